/**
 * Long inputs: the reader and the writer handle playlists far larger than any real one (long lists,
 * long lines) with the same results as small ones. Nothing here asserts time; the parse/write
 * throughput is measured by test/bench/manifests.bench.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  type HlsMediaPlaylist,
  hlsLineOf,
  parseHlsMedia,
  parseHlsPlaylist,
  readHlsPlaylist,
  validateHlsPlaylist,
  writeHlsPlaylist,
} from './index.js';

/** A 2-hour title's media playlist, as the benchmark writes it: 1800 segments of 3.5 to 4.5 s. */
function longPlaylist(count: number): HlsMediaPlaylist {
  let seed = 42;
  return {
    kind: 'media',
    version: 6,
    targetDurationS: 5,
    playlistType: 'VOD',
    independentSegments: true,
    iFramesOnly: false,
    endList: true,
    defines: [],
    extraTags: [],
    trailingTags: [],
    segments: Array.from({ length: count }, (_, i) => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31;
      return {
        uri: `${String(i + 1).padStart(5, '0')}.m4s`,
        durationS: 3.5 + Math.round((seed / 2 ** 31) * 25) / 25,
        map: { uri: 'init.mp4' },
      };
    }),
  };
}

describe('long playlists', () => {
  it('1800 segments: write → parse → write is stable, with every segment located', () => {
    const model = longPlaylist(1800);
    const text = writeHlsPlaylist(model);
    const parsed = parseHlsMedia(text);
    expect(parsed).toStrictEqual(model);
    expect(writeHlsPlaylist(parsed)).toBe(text);
    expect(validateHlsPlaylist(text)).toEqual([]);
    // Header: EXTM3U, VERSION, TARGETDURATION, PLAYLIST-TYPE, INDEPENDENT-SEGMENTS, then MAP on line 6.
    expect(hlsLineOf(parsed.segments[0]!.map!)).toBe(6);
    parsed.segments.forEach((s, i) => expect(hlsLineOf(s)).toBe(7 + 2 * i));
    // CRLF line ends read the same.
    expect(parseHlsMedia(text.replaceAll('\n', '\r\n'))).toStrictEqual(model);
  });

  it('300k unknown tags before and after the segments are kept (no argument-list overflow)', () => {
    const many = '#EXT-X-UNKNOWN\n'.repeat(300_000);
    const trailing = parseHlsMedia(`#EXTM3U\n#EXT-X-TARGETDURATION:4\n#EXTINF:4,\na.ts\n${many}`);
    expect(trailing.trailingTags).toHaveLength(300_000);
    const header = parseHlsMedia(`#EXTM3U\n#EXT-X-TARGETDURATION:4\n${many}`);
    expect(header.extraTags).toHaveLength(300_000);
    const trailingText = writeHlsPlaylist(trailing);
    expect(trailingText.endsWith(`a.ts\n${many}`)).toBe(true);
    const headerText = writeHlsPlaylist(header);
    expect(headerText).toBe(`#EXTM3U\n#EXT-X-TARGETDURATION:4\n${many}`);
  });

  it('long lines: spaces, attribute lists, quoted strings, numbers', () => {
    const spaces = ' '.repeat(1_000_000);
    const uri = parseHlsMedia(`#EXTM3U\n#EXTINF:4,\n${spaces}a${spaces}b${spaces}\n`);
    expect(uri.segments[0]!.uri).toBe(`a${spaces}b`);

    const attributes = Array.from({ length: 50_000 }, (_, i) => `,X-${i}="v"`).join('');
    const master = parseHlsPlaylist(`#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1${attributes}\nv.m3u8\n`);
    expect(master.kind === 'master' && master.variants[0]!.extraAttributes).toHaveLength(50_000);

    const quoted = 'k'.repeat(1_000_000);
    const unterminated = readHlsPlaylist(`#EXTM3U\n#EXT-X-KEY:METHOD=AES-128,URI="${quoted}\n`);
    expect(unterminated.problems.map((p) => [p.line, p.message])).toEqual([
      [2, 'EXT-X-KEY: malformed attribute list: URI: unterminated quoted-string'],
    ]);

    const digits = '1'.repeat(100_000);
    const duration = readHlsPlaylist(`#EXTM3U\n#EXTINF:${digits},\na.ts\n`);
    expect(duration.problems.map((p) => p.line)).toEqual([2]);
  });

  it('many problems are each reported once, in line order', () => {
    const text = `#EXTM3U\n${'a.ts\n\u0001\n'.repeat(20_000)}`;
    const { problems } = readHlsPlaylist(text);
    expect(problems).toHaveLength(40_000);
    expect(problems[0]).toMatchObject({ line: 2, message: 'URI line without EXTINF' });
    expect(problems[1]).toMatchObject({ line: 3, message: expect.stringContaining('control characters') });
    expect(problems.every((p, i) => p.line === i + 2)).toBe(true);
  });
});
