/**
 * Property-style round trip: seeded pseudo-random models (every typed field, unknown tags and
 * attributes, odd strings and numbers) survive write → parse unchanged.
 */
import { describe, expect, it } from 'vitest';
import {
  type HlsAttribute,
  type HlsContentSteering,
  type HlsDefine,
  type HlsIFrameVariant,
  type HlsKey,
  type HlsMap,
  type HlsMasterPlaylist,
  type HlsMediaPlaylist,
  type HlsPlaylist,
  type HlsRendition,
  type HlsSegment,
  type HlsSessionData,
  type HlsStart,
  type HlsVariant,
  parseHlsPlaylist,
  writeHlsPlaylist,
} from './index.js';

/** mulberry32: a small deterministic PRNG. */
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

const QUOTABLE = [..."abcXYZ019 ,=-:/.?&#'é日😀_+"];
const TOKEN = [...'ABCxyz0189-._=:/+'];
const NAME = [...'ABCDEFXYZ0189-'];

class Gen {
  private readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  int(lo: number, hi: number): number {
    return lo + Math.floor(this.next() * (hi - lo + 1));
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.int(0, list.length - 1)]!;
  }
  many<T>(lo: number, hi: number, make: () => T): T[] {
    return Array.from({ length: this.int(lo, hi) }, make);
  }
  chars(alphabet: readonly string[], lo: number, hi: number): string {
    return this.many(lo, hi, () => this.pick(alphabet)).join('');
  }
  /** Sets `key` on `target` to `make()` with probability `p`. */
  maybe<T, K extends keyof T>(target: T, key: K, make: () => T[K], p = 0.5): void {
    if (this.bool(p)) target[key] = make();
  }

  quoted(): string {
    return this.chars(QUOTABLE, 0, 12);
  }
  token(): string {
    return this.chars(TOKEN, 1, 8);
  }
  /** A line-ending value: not empty, no trailing space; `uri` also no leading space or `#`. */
  lineText(uri = false): string {
    let text = this.chars([...QUOTABLE, '"'], 1, 16).trimEnd();
    if (uri) text = text.replace(/^[# ]+/, '');
    return text === '' ? 'x' : text;
  }
  integer(): number {
    return this.pick([
      () => this.int(0, 10),
      () => this.int(0, 1e9),
      () => Math.floor(this.next() * Number.MAX_SAFE_INTEGER),
    ])();
  }
  signedInteger(): number {
    const n = this.integer();
    return this.bool(0.2) && n !== 0 ? -n : n;
  }
  decimal(): number {
    const r = this.next();
    return this.pick([
      () => this.int(0, 100),
      () => r * 1000,
      () => Number((r * 10).toFixed(3)),
      () => r * 1e-6,
      () => r * 10 ** this.int(-12, 25),
      () => 0,
    ])();
  }
  signedDecimal(): number {
    const n = this.decimal();
    return this.bool(0.3) && n !== 0 ? -n : n;
  }
  hex(): string {
    return `0${this.pick(['x', 'X'])}${this.chars([...'0123456789abcdefABCDEF'], 1, 32)}`;
  }
  extraAttributes(target: { extraAttributes?: HlsAttribute[] }): void {
    const names = new Set(this.many(0, 3, () => `X-${this.chars(NAME, 1, 6)}`));
    const list = [...names].map((name) => {
      const quoted = this.bool();
      return { name, quoted, value: quoted ? this.quoted() : this.token() };
    });
    if (list.length > 0) target.extraAttributes = list;
  }
  extraTags(lo: number, hi: number): string[] {
    return this.many(
      lo,
      hi,
      () => `#EXT-X-Z${this.chars(NAME, 0, 6)}${this.bool() ? `:${this.lineText()}` : ''}`,
    );
  }
}

function define(g: Gen): HlsDefine {
  const name = g.chars([...'abcXYZ019_-'], 1, 8);
  const d: HlsDefine = g.pick([
    (): HlsDefine => ({ kind: 'value', name, value: g.quoted() }),
    (): HlsDefine => ({ kind: 'import', name }),
    (): HlsDefine => ({ kind: 'queryParam', name }),
  ])();
  g.extraAttributes(d);
  return d;
}

function common(g: Gen, p: HlsMasterPlaylist | HlsMediaPlaylist): void {
  g.maybe(p, 'version', () => g.int(1, 12));
  p.independentSegments = g.bool();
  g.maybe(p, 'start', () => {
    const start: HlsStart = { timeOffsetS: g.signedDecimal() };
    g.maybe(start, 'precise', () => g.bool());
    g.extraAttributes(start);
    return start;
  });
  p.defines = g.many(0, 2, () => define(g));
}

function variantCommon(g: Gen, v: HlsIFrameVariant): void {
  g.maybe(v, 'bandwidthBps', () => g.integer());
  g.maybe(v, 'averageBandwidthBps', () => g.integer());
  g.maybe(v, 'score', () => g.signedDecimal());
  g.maybe(v, 'codecs', () => g.quoted());
  g.maybe(v, 'supplementalCodecs', () => g.quoted());
  g.maybe(v, 'resolution', () => ({ width: g.integer(), height: g.integer() }));
  g.maybe(v, 'hdcpLevel', () => g.pick(['TYPE-0', 'TYPE-1', 'NONE', g.token()]));
  g.maybe(v, 'allowedCpc', () => g.quoted());
  g.maybe(v, 'videoRange', () => g.pick(['SDR', 'HLG', 'PQ', g.token()]));
  g.maybe(v, 'reqVideoLayout', () => g.quoted());
  g.maybe(v, 'stableVariantId', () => g.quoted());
  g.maybe(v, 'videoGroupId', () => g.quoted());
  g.maybe(v, 'pathwayId', () => g.quoted());
  g.maybe(v, 'programId', () => g.integer(), 0.2);
  g.extraAttributes(v);
}

function variant(g: Gen): HlsVariant {
  const v: HlsVariant = { uri: g.lineText(true) };
  variantCommon(g, v);
  g.maybe(v, 'frameRate', () => g.decimal());
  g.maybe(v, 'audioGroupId', () => g.quoted());
  g.maybe(v, 'subtitlesGroupId', () => g.quoted());
  g.maybe(v, 'closedCaptions', () => (g.bool() ? 'NONE' : { groupId: g.quoted() }));
  const tags = g.extraTags(0, 2);
  if (tags.length > 0) v.extraTags = tags;
  return v;
}

function rendition(g: Gen): HlsRendition {
  const r: HlsRendition = { type: g.pick(['AUDIO', 'VIDEO', 'SUBTITLES', 'CLOSED-CAPTIONS'] as const) };
  for (const key of ['groupId', 'name', 'uri', 'language', 'assocLanguage', 'stableRenditionId'] as const) {
    g.maybe(r, key, () => g.quoted());
  }
  for (const key of ['default', 'autoselect', 'forced'] as const) g.maybe(r, key, () => g.bool());
  g.maybe(r, 'instreamId', () => g.pick(['CC1', 'SERVICE7', g.quoted()]));
  g.maybe(r, 'bitDepth', () => g.integer());
  g.maybe(r, 'sampleRateHz', () => g.integer());
  g.maybe(r, 'characteristics', () => g.quoted());
  g.maybe(r, 'channels', () => g.quoted());
  g.extraAttributes(r);
  return r;
}

const KEY_FORMATS = [
  undefined,
  'com.apple.streamingkeydelivery',
  'urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed',
];

function key(g: Gen, keyFormat: string | undefined): HlsKey {
  const k: HlsKey = {
    method: g.pick(['AES-128', 'SAMPLE-AES', 'SAMPLE-AES-CTR', g.token().replace(/^NONE$/, 'X')]),
  };
  g.maybe(k, 'uri', () => g.quoted());
  g.maybe(k, 'iv', () => g.hex());
  if (keyFormat !== undefined) k.keyFormat = keyFormat;
  else g.maybe(k, 'keyFormat', () => 'identity', 0.2);
  g.maybe(k, 'keyFormatVersions', () => g.quoted());
  g.extraAttributes(k);
  return k;
}

function keySet(g: Gen): HlsKey[] {
  const formats = KEY_FORMATS.filter(() => g.bool());
  return formats.sort(() => g.int(-1, 1)).map((f) => key(g, f));
}

function map(g: Gen): HlsMap {
  const m: HlsMap = { uri: g.quoted() };
  g.maybe(m, 'byteRange', () =>
    g.bool() ? { length: g.integer() } : { length: g.integer(), offset: g.integer() },
  );
  g.extraAttributes(m);
  return m;
}

function segments(g: Gen): HlsSegment[] {
  let keys: HlsKey[] = [];
  let currentMap: HlsMap | undefined;
  let bitrateKbps: number | undefined;
  return g.many(0, 8, () => {
    const s: HlsSegment = { uri: g.lineText(true), durationS: g.decimal() };
    if (g.bool(0.3)) keys = keySet(g);
    if (currentMap === undefined ? g.bool() : g.bool(0.2)) currentMap = map(g);
    if (bitrateKbps === undefined ? g.bool(0.3) : g.bool(0.2)) bitrateKbps = g.integer();
    g.maybe(s, 'title', () => g.lineText());
    g.maybe(s, 'byteRange', () =>
      g.bool() ? { length: g.integer() } : { length: g.integer(), offset: g.integer() },
    );
    g.maybe(s, 'discontinuity', () => true as const, 0.2);
    g.maybe(s, 'programDateTime', () => g.lineText(), 0.3);
    if (keys.length > 0) s.keys = keys;
    if (currentMap) s.map = currentMap;
    g.maybe(s, 'gap', () => true as const, 0.1);
    if (bitrateKbps !== undefined) s.bitrateKbps = bitrateKbps;
    const tags = g.extraTags(0, 2);
    if (tags.length > 0) s.extraTags = tags;
    return s;
  });
}

function media(g: Gen): HlsMediaPlaylist {
  const m: HlsMediaPlaylist = {
    kind: 'media',
    independentSegments: false,
    iFramesOnly: g.bool(0.2),
    endList: g.bool(),
    defines: [],
    segments: segments(g),
    extraTags: g.extraTags(0, 2),
    trailingTags: [],
  };
  common(g, m);
  g.maybe(m, 'targetDurationS', () => g.integer());
  g.maybe(m, 'mediaSequence', () => g.signedInteger());
  g.maybe(m, 'discontinuitySequence', () => g.signedInteger());
  g.maybe(m, 'playlistType', () => g.pick(['VOD', 'EVENT'] as const));
  if (m.segments.length > 0) m.trailingTags = g.extraTags(0, 2);
  return m;
}

function master(g: Gen): HlsMasterPlaylist {
  const m: HlsMasterPlaylist = {
    kind: 'master',
    independentSegments: false,
    defines: [],
    sessionData: g.many(0, 2, () => {
      const d: HlsSessionData = { dataId: g.quoted() };
      g.maybe(d, 'value', () => g.quoted());
      g.maybe(d, 'uri', () => g.quoted());
      g.maybe(d, 'format', () => g.pick(['JSON', 'RAW'] as const));
      g.maybe(d, 'language', () => g.quoted());
      g.extraAttributes(d);
      return d;
    }),
    sessionKeys: g.many(0, 2, () => key(g, g.pick(KEY_FORMATS))),
    renditions: g.many(0, 4, () => rendition(g)),
    variants: g.many(1, 4, () => variant(g)),
    iFrameVariants: g.many(0, 2, () => {
      const v: HlsIFrameVariant = { uri: g.quoted() };
      variantCommon(g, v);
      return v;
    }),
    extraTags: g.extraTags(0, 2),
  };
  common(g, m);
  g.maybe(m, 'contentSteering', () => {
    const s: HlsContentSteering = { serverUri: g.quoted() };
    g.maybe(s, 'pathwayId', () => g.quoted());
    g.extraAttributes(s);
    return s;
  });
  return m;
}

function randomPlaylist(seed: number): HlsPlaylist {
  const g = new Gen(seed);
  return g.bool() ? master(g) : media(g);
}

describe('round trip of random models', () => {
  it('parse(write(x)) deep-equals x for 300 seeded models, and writing is stable', () => {
    let segments = 0;
    let variants = 0;
    for (let seed = 1; seed <= 300; seed++) {
      const model = randomPlaylist(seed);
      const text = writeHlsPlaylist(model);
      const back = parseHlsPlaylist(text);
      expect(back, `seed ${seed}:\n${text}`).toStrictEqual(model);
      expect(writeHlsPlaylist(back)).toBe(text);
      if (model.kind === 'media') segments += model.segments.length;
      else variants += model.variants.length;
    }
    // The generator covers both kinds in quantity.
    expect(segments).toBeGreaterThan(300);
    expect(variants).toBeGreaterThan(200);
  });
});
