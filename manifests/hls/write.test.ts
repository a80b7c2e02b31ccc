import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import {
  type HlsMasterPlaylist,
  type HlsMediaPlaylist,
  type HlsPlaylist,
  parseHlsPlaylist,
  validateHlsPlaylist,
  writeHlsPlaylist,
} from './index.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, '../testdata/shaka', name));

function roundTrip(model: HlsPlaylist): HlsPlaylist {
  return parseHlsPlaylist(writeHlsPlaylist(model));
}

function writeError(model: HlsPlaylist): string | undefined {
  try {
    writeHlsPlaylist(model);
  } catch (error) {
    if (isCdnError(error, 'MANIFEST_ERR_INVALID')) return error.message;
    throw error;
  }
  return undefined;
}

const emptyMaster: HlsMasterPlaylist = {
  kind: 'master',
  independentSegments: false,
  defines: [],
  sessionData: [],
  sessionKeys: [],
  renditions: [],
  variants: [],
  iFrameVariants: [],
  extraTags: [],
};

const emptyMedia: HlsMediaPlaylist = {
  kind: 'media',
  independentSegments: false,
  iFramesOnly: false,
  endList: false,
  defines: [],
  segments: [],
  extraTags: [],
  trailingTags: [],
};

/** Every typed field of a master playlist, plus unknown tags and attributes. */
const fullMaster: HlsMasterPlaylist = {
  kind: 'master',
  version: 12,
  independentSegments: true,
  start: { timeOffsetS: -12.5, precise: true, extraAttributes: [{ name: 'X-S', value: 'v', quoted: false }] },
  defines: [
    { kind: 'value', name: 'host', value: 'https://a.example, "b"'.replace(/"/g, "'") },
    { kind: 'import', name: 'imp' },
    { kind: 'queryParam', name: 'token', extraAttributes: [{ name: 'X-D', value: '1', quoted: true }] },
  ],
  contentSteering: {
    serverUri: 'https://steer.example/m.json?x=1',
    pathwayId: 'cdn-a',
    extraAttributes: [{ name: 'X-C', value: 'c', quoted: false }],
  },
  sessionData: [
    { dataId: 'com.example.title', value: 'Big Buck, Bunny', language: 'en' },
    {
      dataId: 'com.example.meta',
      uri: 'meta.json',
      format: 'JSON',
      extraAttributes: [{ name: 'X-E', value: '', quoted: true }],
    },
  ],
  sessionKeys: [
    {
      method: 'SAMPLE-AES',
      uri: 'skd://key',
      keyFormat: 'com.apple.streamingkeydelivery',
      keyFormatVersions: '1',
    },
    {
      method: 'AES-128',
      uri: 'k.bin',
      iv: '0X00ff',
      extraAttributes: [{ name: 'X-K', value: 'k', quoted: false }],
    },
  ],
  renditions: [
    {
      type: 'AUDIO',
      groupId: 'aac',
      name: 'Deutsch (Stereo)',
      uri: 'audio/de.m3u8',
      language: 'de',
      assocLanguage: 'de-AT',
      stableRenditionId: 'a-de',
      default: true,
      autoselect: true,
      forced: false,
      bitDepth: 16,
      sampleRateHz: 48000,
      characteristics: 'public.accessibility.describes-video',
      channels: '16/JOC',
      extraAttributes: [{ name: 'X-R', value: 'yes', quoted: false }],
    },
    {
      type: 'SUBTITLES',
      groupId: 'subs',
      name: 'English',
      uri: 'subs/en.m3u8',
      language: 'en',
      forced: true,
    },
    { type: 'CLOSED-CAPTIONS', groupId: 'cc', name: 'CC 1', instreamId: 'SERVICE1' },
    { type: 'VIDEO', groupId: 'angles', name: 'Angle 2', uri: 'angle2.m3u8' },
  ],
  variants: [
    {
      uri: 'https://cdn.example/v/1080p.m3u8?t=1#frag',
      bandwidthBps: 6_000_000,
      averageBandwidthBps: 5_012_345,
      score: 93.1234567890123,
      codecs: 'avc1.640028,mp4a.40.2',
      supplementalCodecs: 'dvh1.08.07/db4h',
      resolution: { width: 1920, height: 1080 },
      frameRate: 29.97002997002997,
      hdcpLevel: 'TYPE-1',
      allowedCpc: 'com.example.drm1:SMART-TV/PC',
      videoRange: 'PQ',
      reqVideoLayout: 'CH-STEREO,CH-MONO',
      stableVariantId: 'v1080',
      audioGroupId: 'aac',
      videoGroupId: 'angles',
      subtitlesGroupId: 'subs',
      closedCaptions: { groupId: 'cc' },
      pathwayId: 'cdn-a',
      programId: 1,
      extraAttributes: [
        { name: 'X-Q', value: 'quoted, with comma', quoted: true },
        { name: 'x-lower_case', value: 'a=b', quoted: false },
      ],
      extraTags: ['#EXT-X-VENDOR:1', '#EXTX-ODD'],
    },
    { uri: 'low.m3u8', closedCaptions: 'NONE' },
    { uri: 'nothing.m3u8' },
  ],
  iFrameVariants: [
    {
      uri: 'iframes.m3u8',
      bandwidthBps: 100_000,
      codecs: 'avc1.640028',
      resolution: { width: 1920, height: 1080 },
      videoGroupId: 'angles',
      pathwayId: 'cdn-a',
      videoRange: 'SDR',
      extraAttributes: [{ name: 'X-I', value: 'i', quoted: true }],
    },
  ],
  extraTags: ['#EXT-X-FOO:bar', '#EXT-X-BAR'],
};

/** Every typed field of a media playlist, plus unknown tags and attributes. */
const fullMedia: HlsMediaPlaylist = {
  kind: 'media',
  version: 7,
  targetDurationS: 6,
  mediaSequence: 9_007_199_254_740_991,
  discontinuitySequence: 3,
  playlistType: 'EVENT',
  independentSegments: true,
  iFramesOnly: true,
  endList: true,
  start: { timeOffsetS: 0 },
  defines: [{ kind: 'import', name: 'token' }],
  segments: [
    {
      uri: 'seg 1.mp4',
      durationS: 5.005,
      title: ' a title, with, commas  and "quotes"',
      byteRange: { length: 1000, offset: 0 },
      programDateTime: '2024-01-01T00:00:00.000+01:00',
      keys: [
        {
          method: 'SAMPLE-AES',
          uri: 'skd://1',
          keyFormat: 'com.apple.streamingkeydelivery',
          keyFormatVersions: '1',
        },
        {
          method: 'SAMPLE-AES-CTR',
          uri: 'data:text/plain;base64,AAAA',
          keyFormat: 'urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed',
        },
      ],
      map: {
        uri: 'init.mp4',
        byteRange: { length: 720, offset: 0 },
        extraAttributes: [{ name: 'X-M', value: 'm', quoted: false }],
      },
      bitrateKbps: 1500,
      extraTags: ['#EXT-X-DATERANGE:ID="x",START-DATE="2024-01-01T00:00:00Z"'],
    },
    {
      uri: 'seg 1.mp4',
      durationS: 0.000001,
      byteRange: { length: 2000 },
      keys: [
        { method: 'AES-128', uri: 'k2', iv: '0x0123456789abcdef0123456789ABCDEF' },
        {
          method: 'SAMPLE-AES-CTR',
          uri: 'data:text/plain;base64,AAAA',
          keyFormat: 'urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed',
        },
      ],
      map: {
        uri: 'init.mp4',
        byteRange: { length: 720, offset: 0 },
        extraAttributes: [{ name: 'X-M', value: 'm', quoted: false }],
      },
      bitrateKbps: 1500,
    },
    {
      uri: 'https://other.example/seg2.mp4',
      durationS: 6,
      discontinuity: true,
      gap: true,
      map: { uri: 'init2.mp4' },
      bitrateKbps: 900,
      extraTags: ['#EXT-X-CUE-IN'],
    },
    {
      uri: 'seg3.mp4',
      durationS: 1e-7,
      map: { uri: 'init2.mp4' },
      bitrateKbps: 900,
      keys: [{ method: 'AES-128', uri: 'k3' }],
    },
    { uri: 'seg4.mp4', durationS: 4, discontinuity: true, map: { uri: 'init2.mp4' }, bitrateKbps: 900 },
  ],
  extraTags: ['#EXT-X-SERVER-CONTROL:CAN-BLOCK-RELOAD=YES'],
  trailingTags: ['#EXT-X-PRELOAD-HINT:TYPE=PART,URI="p.mp4"', '#EXT-X-RENDITION-REPORT:URI="../1/a.m3u8"'],
};

describe('writeHlsPlaylist', () => {
  it.each(['master.m3u8', 'video-playlist.m3u8', 'audio-playlist.m3u8'])(
    'the model of %s survives write → parse, and the written text validates',
    (name) => {
      const model = parseHlsPlaylist(fixture(name));
      const text = writeHlsPlaylist(model);
      expect(parseHlsPlaylist(text)).toStrictEqual(model);
      expect(validateHlsPlaylist(text)).toEqual([]);
    },
  );

  it('writes shaka media playlists back line for line (comments aside)', () => {
    for (const name of ['video-playlist.m3u8', 'audio-playlist.m3u8']) {
      const original = fixture(name).toString('utf8');
      const withoutComments = original
        .split('\n')
        .filter((l) => !l.startsWith('##'))
        .join('\n');
      expect(writeHlsPlaylist(parseHlsPlaylist(original))).toBe(withoutComments);
    }
  });

  it.each<[string, HlsPlaylist]>([
    ['full master', fullMaster],
    ['full media', fullMedia],
    ['master with only session data', { ...emptyMaster, sessionData: [{ dataId: 'a', value: 'b' }] }],
    ['empty media', emptyMedia],
    ['media with only unknown tags', { ...emptyMedia, extraTags: ['#EXT-X-A', '#EXT-X-B:1'] }],
    [
      'version 2 media (integer EXTINF)',
      { ...emptyMedia, version: 2, segments: [{ uri: 'a', durationS: 4.5 }] },
    ],
    ['negative sequence numbers and score', { ...emptyMedia, mediaSequence: -5, discontinuitySequence: -1 }],
    ['negative score', { ...emptyMaster, variants: [{ uri: 'v', score: -0.5 }] }],
  ])('%s: parse(write(x)) deep-equals x', (_, model) => {
    expect(roundTrip(model)).toStrictEqual(model);
  });

  it('uses LF line ends, a trailing newline, EXT-X-MAP/KEY/BITRATE only where they change', () => {
    const text = writeHlsPlaylist(fullMedia);
    expect(text.endsWith('\n')).toBe(true);
    expect(text).not.toContain('\r');
    expect(text.match(/#EXT-X-MAP/g)).toHaveLength(3); // init.mp4, init2.mp4, again after the discontinuity
    expect(text.match(/#EXT-X-BITRATE/g)).toHaveLength(2);
    expect(text.match(/#EXT-X-KEY:METHOD=NONE/g)).toHaveLength(3); // KEYFORMAT order changed; two clear segments
    expect(text).toContain(
      [
        '#EXT-X-KEY:METHOD=AES-128,URI="k3"',
        '#EXTINF:0.0000001,',
        'seg3.mp4',
        '#EXT-X-DISCONTINUITY',
        '#EXT-X-MAP:URI="init2.mp4"',
        '#EXT-X-KEY:METHOD=NONE',
        '#EXTINF:4.000,',
        'seg4.mp4',
      ].join('\n'),
    );
    expect(text).toContain('#EXTINF:0.000001,\n');
    expect(text).toContain('#EXTINF:0.0000001,\n');
    expect(text).toContain('#EXTINF:5.005, a title, with, commas  and "quotes"\n');
    expect(text).toContain('#EXT-X-MEDIA-SEQUENCE:9007199254740991\n');
  });

  it('writes the measured variant fields the packaging shell sets', () => {
    const master = parseHlsPlaylist(fixture('master.m3u8')) as HlsMasterPlaylist;
    const variant = master.variants[0]!;
    variant.bandwidthBps = 300_001;
    variant.averageBandwidthBps = 280_000;
    variant.score = 87.25;
    variant.frameRate = 30000 / 1001;
    const text = writeHlsPlaylist(master);
    expect(text).toContain(
      '#EXT-X-STREAM-INF:BANDWIDTH=300001,AVERAGE-BANDWIDTH=280000,SCORE=87.25,CODECS="avc1.640015,mp4a.40.2",RESOLUTION=480x270,FRAME-RATE=29.97002997002997,AUDIO="audio",CLOSED-CAPTIONS=NONE\n',
    );
    expect(roundTrip(master)).toStrictEqual(master);
  });

  const segment = { uri: 'a.ts', durationS: 4 };
  it.each<[string, HlsPlaylist]>([
    ['a master without any master tag (it would read back as media)', emptyMaster],
    ['a quote in a quoted-string', { ...emptyMaster, variants: [{ uri: 'v', codecs: 'avc1"' }] }],
    ['a line break in a quoted-string', { ...emptyMaster, variants: [{ uri: 'v', codecs: 'a\nb' }] }],
    ['a line break in a URI', { ...emptyMedia, segments: [{ ...segment, uri: 'a\nb' }] }],
    ['a URI starting with #', { ...emptyMedia, segments: [{ ...segment, uri: '#a' }] }],
    ['an empty URI', { ...emptyMaster, variants: [{ uri: '' }] }],
    ['a URI with a trailing space', { ...emptyMedia, segments: [{ ...segment, uri: 'a ' }] }],
    ['a CR in a title', { ...emptyMedia, segments: [{ ...segment, title: 'x\ry' }] }],
    ['a fractional BANDWIDTH', { ...emptyMaster, variants: [{ uri: 'v', bandwidthBps: 1.5 }] }],
    ['a NaN duration', { ...emptyMedia, segments: [{ ...segment, durationS: Number.NaN }] }],
    ['a negative duration', { ...emptyMedia, segments: [{ ...segment, durationS: -1 }] }],
    ['an enumerated value with a comma', { ...emptyMaster, variants: [{ uri: 'v', videoRange: 'S,DR' }] }],
    [
      'an extra attribute named like a typed one',
      {
        ...emptyMaster,
        variants: [{ uri: 'v', extraAttributes: [{ name: 'BANDWIDTH', value: '1', quoted: false }] }],
      },
    ],
    [
      'an extra attribute with a bad name',
      {
        ...emptyMaster,
        variants: [{ uri: 'v', extraAttributes: [{ name: 'A B', value: '1', quoted: false }] }],
      },
    ],
    ['an extra tag this library models', { ...emptyMedia, extraTags: ['#EXT-X-ENDLIST'] }],
    ['an extra tag that is not a tag', { ...emptyMedia, extraTags: ['# comment'] }],
    ['an extra tag with a line break', { ...emptyMedia, extraTags: ['#EXT-X-A\n#EXT-X-B'] }],
    ['a METHOD=NONE key', { ...emptyMedia, segments: [{ ...segment, keys: [{ method: 'NONE' }] }] }],
    [
      'two keys with one KEYFORMAT',
      {
        ...emptyMedia,
        segments: [
          {
            ...segment,
            keys: [
              { method: 'AES-128', uri: 'a' },
              { method: 'AES-128', uri: 'b', keyFormat: 'identity' },
            ],
          },
        ],
      },
    ],
    [
      'a segment without the map of the one before',
      { ...emptyMedia, segments: [{ ...segment, map: { uri: 'i' } }, segment] },
    ],
    [
      'a segment without the bitrate of the one before',
      { ...emptyMedia, segments: [{ ...segment, bitrateKbps: 1 }, segment] },
    ],
    ['a bad EXT-X-DEFINE name', { ...emptyMedia, defines: [{ kind: 'value', name: 'a b', value: 'x' }] }],
    ['a bad IV', { ...emptyMedia, segments: [{ ...segment, keys: [{ method: 'AES-128', iv: '12' }] }] }],
    ['a rendition without TYPE', { ...emptyMaster, renditions: [{ groupId: 'a' } as never] }],
  ])('refuses %s with MANIFEST_ERR_INVALID', (_, model) => {
    expect(writeError(model)).toMatch(/^cannot write HLS playlist: /);
  });
});
