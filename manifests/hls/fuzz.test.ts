/**
 * Bounded, seeded fuzzing: whatever the bytes, validation never throws and reports located problems,
 * parsing returns or throws MANIFEST_ERR_PARSE only, and what parses survives write → parse.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { type HlsPlaylist, parseHlsPlaylist, validateHlsPlaylist, writeHlsPlaylist } from './index.js';

const FIXTURES = ['master.m3u8', 'video-playlist.m3u8', 'audio-playlist.m3u8'].map((name) =>
  readFileSync(join(import.meta.dirname, '../testdata/shaka', name)),
);

/** mulberry32 */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const random = prng(0x484c53);
const below = (n: number): number => Math.floor(random() * n);
const pick = <T>(list: readonly T[]): T => list[below(list.length)]!;

/** Bytes that are likely to matter to an HLS reader. */
const INTERESTING = [...'#:,="@x.\n\r -0123456789AEINOSTXYZ']
  .map((c) => c.charCodeAt(0))
  .concat([0x00, 0x7f, 0xc3, 0xff]);

function randomBytes(): Uint8Array {
  return Uint8Array.from({ length: below(200) }, () => (random() < 0.5 ? pick(INTERESTING) : below(256)));
}

function randomText(): string {
  const pieces = [
    '#EXTM3U\n',
    '#EXTINF:',
    '#EXT-X-STREAM-INF:',
    'BANDWIDTH=',
    '#EXT-X-MAP:URI="',
    '"',
    ',',
    '\n',
    '4.5',
    'a.ts',
    '#EXT-X-KEY:METHOD=NONE',
    'x',
  ];
  return Array.from({ length: below(40) }, () =>
    random() < 0.5 ? pick(pieces) : String.fromCharCode(32 + below(95)),
  ).join('');
}

function mutate(bytes: Uint8Array): Uint8Array {
  const out = Uint8Array.from(bytes);
  out[below(out.length)] = random() < 0.5 ? pick(INTERESTING) : below(256);
  return out;
}

/** Lines to insert: tags that reach deeper into both readers. */
const LINES = [
  '#EXT-X-KEY:METHOD=AES-128,URI="k",IV=0x01',
  '#EXT-X-KEY:METHOD=NONE',
  '#EXT-X-BYTERANGE:10@0',
  '#EXT-X-DISCONTINUITY',
  '#EXT-X-PROGRAM-DATE-TIME:2024-01-01T00:00:00Z',
  '#EXT-X-GAP',
  '#EXT-X-BITRATE:800',
  '#EXT-X-MAP:URI="other.mp4"',
  '#EXT-X-VENDOR-TAG:1',
  '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Other",DEFAULT=YES',
  '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=1,URI="i.m3u8"',
  '#EXT-X-CONTENT-STEERING:SERVER-URI="s",PATHWAY-ID="p"',
  '#EXT-X-DEFINE:NAME="n",VALUE="v"',
  '#EXT-X-START:TIME-OFFSET=-3',
  '#EXT-X-MEDIA-SEQUENCE:-1',
  '#EXTINF:9.5,title',
  'extra.m4s',
];

/** Deletes, duplicates or inserts a line. */
function editLines(bytes: Uint8Array): string {
  const lines = Buffer.from(bytes).toString('utf8').split('\n');
  const i = below(lines.length);
  const r = random();
  if (r < 0.3) lines.splice(i, 1);
  else if (r < 0.6) lines.splice(i, 0, lines[i] ?? '');
  else lines.splice(i, 0, pick(LINES));
  return lines.join('\n');
}

/** Every input of the run: random, truncated and mutated fixtures. */
function* inputs(): Generator<string | Uint8Array> {
  for (const f of FIXTURES) for (let end = 0; end <= f.length; end++) yield f.subarray(0, end);
  for (let i = 0; i < 400; i++) yield randomBytes();
  for (let i = 0; i < 400; i++) yield randomText();
  for (let i = 0; i < 800; i++) yield mutate(pick(FIXTURES));
  for (let i = 0; i < 800; i++) yield editLines(pick(FIXTURES));
}

function lineCount(input: string | Uint8Array): number {
  const text = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
  return text.split('\n').length;
}

function checkOne(input: string | Uint8Array): 'parsed' | 'refused' {
  const problems = validateHlsPlaylist(input);
  const maxLine = lineCount(input) + 1;
  for (const p of problems) {
    expect(['MANIFEST_ERR_PARSE', 'MANIFEST_ERR_INVALID']).toContain(p.code);
    expect(
      Number.isInteger(p.line) && p.line! >= 1 && p.line! <= maxLine,
      `line ${p.line} of ${maxLine}`,
    ).toBe(true);
    expect(p.message).not.toBe('');
  }
  let first: HlsPlaylist;
  try {
    first = parseHlsPlaylist(input);
  } catch (error) {
    expect(isCdnError(error, 'MANIFEST_ERR_PARSE'), String(error)).toBe(true);
    expect(problems.some((p) => p.code === 'MANIFEST_ERR_PARSE')).toBe(true);
    return 'refused';
  }
  expect(problems.every((p) => p.code === 'MANIFEST_ERR_INVALID')).toBe(true);
  expect(parseHlsPlaylist(writeHlsPlaylist(first))).toStrictEqual(first);
  return 'parsed';
}

describe('fuzz', () => {
  it('random bytes and text, truncations, byte mutations and line edits of the fixtures', () => {
    const counts = { parsed: 0, refused: 0 };
    let n = 0;
    for (const input of inputs()) {
      n++;
      try {
        counts[checkOne(input)]++;
      } catch (error) {
        const shown = typeof input === 'string' ? input : Buffer.from(input).toString('latin1');
        throw new Error(`input ${n}: ${JSON.stringify(shown)}\n${String(error)}`, { cause: error });
      }
    }
    expect(n).toBeGreaterThan(3000);
    // Both outcomes are exercised in quantity.
    expect(counts.parsed).toBeGreaterThan(300);
    expect(counts.refused).toBeGreaterThan(300);
  });
});

describe('adversarial sizes', () => {
  it('long lines of spaces, long attribute lists and many segments take linear time', () => {
    const spaces = ' '.repeat(200_000);
    const inputs = [
      `#EXTM3U\nx${spaces}x\n`,
      `#EXTM3U\n#EXT-X-STREAM-INF:${'A=1,'.repeat(50_000)}B=2\nv.m3u8\n`,
      `#EXTM3U\n#EXT-X-TARGETDURATION:4\n${'#EXTINF:4,\na.ts\n'.repeat(50_000)}`,
      `#EXTM3U\n#EXT-X-STREAM-INF:CODECS="${'a'.repeat(200_000)}\nv.m3u8\n`,
      `#EXTM3U\n#EXTINF:${'1'.repeat(200_000)}x,\na.ts\n`,
    ];
    const started = performance.now();
    for (const input of inputs) validateHlsPlaylist(input);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
