import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import type { ManifestProblem } from '../errors.js';
import { hlsLineOf, parseHlsMaster, parseHlsMedia, parseHlsPlaylist, readHlsPlaylist } from './index.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, '../testdata/shaka', name));

/** The problems parsing reports, as [line, message fragment]. */
function problemsOf(text: string | Uint8Array): Array<[number | undefined, string]> {
  return readHlsPlaylist(text).problems.map((p: ManifestProblem) => [p.line, p.message]);
}

function parseError(text: string | Uint8Array): { code: string; problems: ManifestProblem[] } {
  try {
    parseHlsPlaylist(text);
  } catch (error) {
    if (!isCdnError(error)) throw error;
    return { code: error.code, problems: error.details?.problems as ManifestProblem[] };
  }
  throw new Error('parsed');
}

describe('shaka-packager 3.4.2 fixtures', () => {
  it('master.m3u8: 2 variants and 1 audio rendition with their attributes', () => {
    const master = parseHlsMaster(fixture('master.m3u8'));
    expect(master).toStrictEqual({
      kind: 'master',
      independentSegments: true,
      defines: [],
      sessionData: [],
      sessionKeys: [],
      renditions: [
        {
          type: 'AUDIO',
          uri: 'audio/a0/playlist.m3u8',
          groupId: 'audio',
          name: 'English',
          default: false,
          autoselect: true,
          channels: '2',
        },
      ],
      variants: [
        {
          uri: 'video/v0/playlist.m3u8',
          bandwidthBps: 290474,
          averageBandwidthBps: 275849,
          codecs: 'avc1.640015,mp4a.40.2',
          resolution: { width: 480, height: 270 },
          frameRate: 25,
          audioGroupId: 'audio',
          closedCaptions: 'NONE',
        },
        {
          uri: 'video/v1/playlist.m3u8',
          bandwidthBps: 461594,
          averageBandwidthBps: 450016,
          codecs: 'avc1.64001e,mp4a.40.2',
          resolution: { width: 640, height: 360 },
          frameRate: 25,
          audioGroupId: 'audio',
          closedCaptions: 'NONE',
        },
      ],
      iFrameVariants: [],
      extraTags: [],
    });
    expect(hlsLineOf(master.renditions[0]!)).toBe(6);
    expect(hlsLineOf(master.variants[0]!)).toBe(8);
    expect(hlsLineOf(master.variants[1]!)).toBe(10);
  });

  it.each([
    ['video-playlist.m3u8', [4, 4, 2]],
    ['audio-playlist.m3u8', [4.011, 3.989, 2.008]],
  ])('%s: 3 segments, init.mp4, target 5 s, VOD, end list', (name, durations) => {
    const media = parseHlsMedia(fixture(name));
    expect(media).toMatchObject({
      kind: 'media',
      version: 6,
      targetDurationS: 5,
      playlistType: 'VOD',
      endList: true,
      iFramesOnly: false,
      extraTags: [],
      trailingTags: [],
    });
    expect(media.segments.map((s) => s.durationS)).toEqual(durations);
    expect(media.segments.map((s) => s.uri)).toEqual(['00001.m4s', '00002.m4s', '00003.m4s']);
    for (const s of media.segments) expect(s.map).toStrictEqual({ uri: 'init.mp4' });
    expect(hlsLineOf(media.segments[0]!)).toBe(7);
    expect(hlsLineOf(media.segments[0]!.map!)).toBe(6);
    expect(hlsLineOf(media, 'EXT-X-TARGETDURATION')).toBe(4);
  });
});

describe('input forms', () => {
  const text = '#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n';

  it('accepts strings and bytes, CRLF and LF, a leading BOM', () => {
    const expected = parseHlsPlaylist(text);
    expect(parseHlsPlaylist(text.replaceAll('\n', '\r\n'))).toStrictEqual(expected);
    expect(parseHlsPlaylist(new TextEncoder().encode(text))).toStrictEqual(expected);
    expect(parseHlsPlaylist(`\uFEFF${text}`)).toStrictEqual(expected);
    expect(
      parseHlsPlaylist(new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(text)])),
    ).toStrictEqual(expected);
    expect(parseHlsPlaylist(text.replace('a.ts', '  a.ts  '))).toStrictEqual(expected);
  });

  it('invalid UTF-8 is MANIFEST_ERR_PARSE at the line of the bad byte', () => {
    const bytes = new TextEncoder().encode(text);
    for (const bad of [[0xff], [0xc0, 0x80], [0xed, 0xa0, 0x80], [0xe2, 0x82]]) {
      const input = new Uint8Array([...bytes.slice(0, 20), ...bad, ...bytes.slice(20)]);
      const { code, problems } = parseError(input);
      expect(code).toBe('MANIFEST_ERR_PARSE');
      expect(problems).toEqual([
        { code: 'MANIFEST_ERR_PARSE', message: expect.stringContaining('UTF-8'), line: 2 },
      ]);
    }
  });

  it('parseHlsMaster / parseHlsMedia refuse the other kind with MANIFEST_ERR_PARSE', () => {
    expect(() => parseHlsMaster(text)).toThrow(expect.objectContaining({ code: 'MANIFEST_ERR_PARSE' }));
    expect(() => parseHlsMedia(fixture('master.m3u8'))).toThrow(/expected a media playlist/);
  });
});

describe('parse problems', () => {
  it('collects every problem with its line instead of stopping at the first', () => {
    const text = [
      'not a playlist', // 1
      '#EXT-X-TARGETDURATION:five', // 2
      '#EXTINF:abc,', // 3
      'a.ts', // 4
      '#EXTINF:4,', // 5
      '#EXT-X-KEY:METHOD=AES-128,URI="k', // 6
      'b.ts', // 7
      'c.ts', // 8
      '#EXT-X-PLAYLIST-TYPE:LIVE', // 9
      '#EXT-X-BYTERANGE:x', // 10
      '#EXT-X-ENDLIST:yes', // 11
      '#EXTINF:3,', // 12
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      [1, 'the first line must be #EXTM3U'],
      [1, 'URI line without EXTINF'],
      [2, "EXT-X-TARGETDURATION must be a decimal-integer, got 'five'"],
      [3, "EXTINF duration must be a non-negative decimal number, got 'abc'"],
      [6, 'EXT-X-KEY: malformed attribute list: URI: unterminated quoted-string'],
      [8, 'URI line without EXTINF'],
      [9, "EXT-X-PLAYLIST-TYPE must be VOD or EVENT, got 'LIVE'"],
      [10, "EXT-X-BYTERANGE must be <length>[@<offset>], got 'x'"],
      [11, 'EXT-X-ENDLIST takes no value'],
      [12, 'EXTINF is not followed by a URI line'],
    ]);
    expect(parseError(text).code).toBe('MANIFEST_ERR_PARSE');
  });

  it('master problems: STREAM-INF without URI, bad BANDWIDTH, bad attributes, stray URI', () => {
    const text = [
      '#EXTM3U', // 1
      '#EXT-X-STREAM-INF:BANDWIDTH=1.5e6,CODECS=avc1', // 2
      '#EXT-X-STREAM-INF:BANDWIDTH=100', // 3
      'v.m3u8', // 4
      'stray.m3u8', // 5
      '#EXT-X-MEDIA:TYPE=AUDIO,DEFAULT=maybe,GROUP-ID=a', // 6
      '#EXT-X-MEDIA:GROUP-ID="a"', // 7
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1', // 8
      '#EXT-X-STREAM-INF:BANDWIDTH=1,BANDWIDTH=2', // 9
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      [2, 'EXT-X-STREAM-INF BANDWIDTH must be a decimal-integer'],
      [2, 'EXT-X-STREAM-INF CODECS must be a quoted-string'],
      [2, 'EXT-X-STREAM-INF is not followed by a URI line'],
      [5, 'URI line without EXT-X-STREAM-INF'],
      [6, 'EXT-X-MEDIA DEFAULT must be one of YES, NO'],
      [6, 'EXT-X-MEDIA GROUP-ID must be a quoted-string'],
      [7, 'EXT-X-MEDIA needs TYPE'],
      [8, 'EXT-X-I-FRAME-STREAM-INF needs URI'],
      [9, 'EXT-X-STREAM-INF: malformed attribute list: BANDWIDTH appears more than once'],
      [9, 'EXT-X-STREAM-INF is not followed by a URI line'],
    ]);
  });

  it('a playlist mixing master and media tags: each tag of the later kind is reported', () => {
    const text = '#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\nv.m3u8\n#EXTINF:4,\n#EXT-X-TARGETDURATION:4\n';
    expect(problemsOf(text)).toEqual([
      [4, 'EXTINF is a media playlist tag in a master playlist'],
      [5, 'EXT-X-TARGETDURATION is a media playlist tag in a master playlist'],
    ]);
  });

  it('duplicate single tags, control characters, a second #EXTM3U, a bad EXT-X-DEFINE', () => {
    const text = [
      '#EXTM3U',
      '#EXT-X-VERSION:3',
      '#EXT-X-VERSION:4',
      '#EXT-X-TARGETDURATION:4\t',
      '#EXTM3U',
      '#EXT-X-DEFINE:NAME="a b",VALUE="x"',
      '#EXT-X-DEFINE:IMPORT="x",VALUE="y"',
    ].join('\n');
    expect(problemsOf(text)).toEqual([
      [3, 'EXT-X-VERSION appears more than once'],
      [4, 'control characters are not allowed (RFC 8216 §4.1)'],
      [5, '#EXTM3U must be the first line, alone'],
      [6, 'EXT-X-DEFINE NAME must be a quoted [a-zA-Z0-9_-] name'],
      [7, 'EXT-X-DEFINE VALUE goes with NAME (and only with NAME)'],
    ]);
  });

  it('empty input and a lone #EXTM3U', () => {
    expect(problemsOf('')).toEqual([[1, 'the first line must be #EXTM3U']]);
    expect(parseHlsPlaylist('#EXTM3U\n')).toMatchObject({ kind: 'media', segments: [] });
  });
});

describe('media playlist details', () => {
  it('keys, map and bitrate apply until replaced; METHOD=NONE clears keys', () => {
    const media = parseHlsMedia(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:6',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-KEY:METHOD=AES-128,URI="k1",IV=0x01',
        '#EXT-X-KEY:METHOD=SAMPLE-AES,URI="skd://x",KEYFORMAT="com.apple.streamingkeydelivery"',
        '#EXT-X-MAP:URI="init.mp4",BYTERANGE="720@0"',
        '#EXT-X-BITRATE:800',
        '#EXTINF:4,first',
        'a.mp4',
        '#EXT-X-KEY:METHOD=AES-128,URI="k2"',
        '#EXT-X-BYTERANGE:1000@720',
        '#EXTINF:4',
        'a.mp4',
        '#EXT-X-KEY:METHOD=NONE',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00.000Z',
        '#EXT-X-GAP',
        '#EXTINF:4,',
        'b.mp4',
      ].join('\n'),
    );
    const [s1, s2, s3] = media.segments;
    const fairplay = { method: 'SAMPLE-AES', uri: 'skd://x', keyFormat: 'com.apple.streamingkeydelivery' };
    const map = { uri: 'init.mp4', byteRange: { length: 720, offset: 0 } };
    expect(s1).toStrictEqual({
      uri: 'a.mp4',
      durationS: 4,
      title: 'first',
      keys: [{ method: 'AES-128', uri: 'k1', iv: '0x01' }, fairplay],
      map,
      bitrateKbps: 800,
    });
    expect(s2).toStrictEqual({
      uri: 'a.mp4',
      durationS: 4,
      byteRange: { length: 1000, offset: 720 },
      keys: [{ method: 'AES-128', uri: 'k2' }, fairplay],
      map,
      bitrateKbps: 800,
    });
    expect(s3).toStrictEqual({
      uri: 'b.mp4',
      durationS: 4,
      discontinuity: true,
      programDateTime: '2024-01-01T00:00:00.000Z',
      gap: true,
      map,
      bitrateKbps: 800,
    });
    expect(hlsLineOf(s2!.byteRange!)).toBe(11);
    expect(hlsLineOf(s2!.keys![0]!)).toBe(10);
  });

  it('keeps unknown tags and attributes: header, per segment, trailing', () => {
    const media = parseHlsMedia(
      [
        '#EXTM3U',
        '#EXT-X-TARGETDURATION:4',
        '#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES',
        '# a comment, dropped',
        '#EXT-X-MAP:URI="init.mp4",X-FOO=bar,X-Q="q v"',
        '#EXT-X-DATERANGE:ID="ad",START-DATE="2024-01-01T00:00:00Z"',
        '#EXTINF:4,',
        '#EXT-X-CUE-OUT:30',
        'a.mp4',
        '#EXT-X-PART:DURATION=1,URI="p.mp4"',
        '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p2.mp4"',
        '#EXT-X-KEY:METHOD=NONE',
      ].join('\n'),
    );
    expect(media.extraTags).toEqual(['#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES']);
    expect(media.segments[0]!.extraTags).toEqual([
      '#EXT-X-DATERANGE:ID="ad",START-DATE="2024-01-01T00:00:00Z"',
      '#EXT-X-CUE-OUT:30',
    ]);
    expect(media.segments[0]!.map!.extraAttributes).toEqual([
      { name: 'X-FOO', value: 'bar', quoted: false },
      { name: 'X-Q', value: 'q v', quoted: true },
    ]);
    expect(media.trailingTags).toEqual([
      '#EXT-X-PART:DURATION=1,URI="p.mp4"',
      '#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p2.mp4"',
    ]);
  });

  it('reads negative media sequence numbers and SCORE (validation reports them)', () => {
    const media = parseHlsMedia('#EXTM3U\n#EXT-X-MEDIA-SEQUENCE:-1\n#EXT-X-DISCONTINUITY-SEQUENCE:-0\n');
    expect(media.mediaSequence).toBe(-1);
    expect(Object.is(media.discontinuitySequence, 0)).toBe(true);
  });
});

describe('master playlist details', () => {
  it('reads every typed attribute, keeps unknown ones and unknown tags', () => {
    const master = parseHlsMaster(
      [
        '#EXTM3U',
        '#EXT-X-VERSION:9',
        '#EXT-X-START:TIME-OFFSET=-10.5,PRECISE=YES',
        '#EXT-X-DEFINE:NAME="host",VALUE="https://a.example"',
        '#EXT-X-DEFINE:QUERYPARAM="token"',
        '#EXT-X-CONTENT-STEERING:SERVER-URI="https://s.example/steer",PATHWAY-ID="cdn-a"',
        '#EXT-X-SESSION-DATA:DATA-ID="com.example.title",VALUE="Title",LANGUAGE="en"',
        '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://k",KEYFORMAT="com.apple.streamingkeydelivery"',
        '#EXT-X-X-VENDOR:1',
        '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="English",INSTREAM-ID="CC1",LANGUAGE="en"',
        '#EXT-X-STREAM-INF:BANDWIDTH=1000,SCORE=1.5,VIDEO-RANGE=PQ,HDCP-LEVEL=TYPE-1,CLOSED-CAPTIONS="cc",PATHWAY-ID="cdn-a",STABLE-VARIANT-ID="v1",X-NEW=7',
        '#EXT-X-VENDOR-PER-VARIANT',
        'v1.m3u8',
        '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100,CODECS="avc1.64001f",URI="iframe.m3u8"',
      ].join('\n'),
    );
    expect(master).toMatchObject({
      version: 9,
      start: { timeOffsetS: -10.5, precise: true },
      defines: [
        { kind: 'value', name: 'host', value: 'https://a.example' },
        { kind: 'queryParam', name: 'token' },
      ],
      contentSteering: { serverUri: 'https://s.example/steer', pathwayId: 'cdn-a' },
      sessionData: [{ dataId: 'com.example.title', value: 'Title', language: 'en' }],
      sessionKeys: [{ method: 'SAMPLE-AES', uri: 'skd://k', keyFormat: 'com.apple.streamingkeydelivery' }],
      extraTags: ['#EXT-X-X-VENDOR:1'],
      renditions: [{ type: 'CLOSED-CAPTIONS', groupId: 'cc', instreamId: 'CC1' }],
      iFrameVariants: [{ uri: 'iframe.m3u8', bandwidthBps: 100, codecs: 'avc1.64001f' }],
    });
    expect(master.variants[0]).toStrictEqual({
      uri: 'v1.m3u8',
      bandwidthBps: 1000,
      score: 1.5,
      videoRange: 'PQ',
      hdcpLevel: 'TYPE-1',
      closedCaptions: { groupId: 'cc' },
      pathwayId: 'cdn-a',
      stableVariantId: 'v1',
      extraAttributes: [{ name: 'X-NEW', value: '7', quoted: false }],
      extraTags: ['#EXT-X-VENDOR-PER-VARIANT'],
    });
  });
});
