/**
 * The player's view of a title (pure): its rungs, segment durations and, when known, the size and
 * quality of every segment at every rung. Built from a Sabre ladder file, from parsed HLS or DASH
 * manifests or from a title package's `title.json` (manifestLadder.ts).
 */
import { PlayerErrorCode, playerError } from './errors.js';

/** Where one segment (or the init segment) of a track is, as the manifest names it. */
export interface SegmentLocation {
  /** Absolute when the manifest URL was known, else as written in the manifest. */
  url: string;
  /** Byte range within `url`, when the manifest addresses sub-ranges. */
  byteRange?: { offset: number; length: number };
}

export interface LadderRung {
  /** DASH Representation id, HLS variant URI, title track id or `"<index>"` for Sabre ladders. */
  id: string;
  /**
   * What one second of playback at this rung costs to download, bit/s: the video rate plus the audio
   * track's when the ladder has one (HLS variant bandwidths already count audio, RFC 8216 §4.3.4.2).
   * ABR strategies plan with it and QoE counts it.
   */
  bitrateBps: number;
  /** The video rate alone, when known. */
  videoBitrateBps?: number;
  width?: number;
  height?: number;
  frameRate?: number;
  /** RFC 6381 codecs string of the video, e.g. `avc1.640028`. */
  codecs?: string;
  /** Mean VMAF (0..100) of the rung (HLS SCORE, our DASH quality descriptor, title.json). */
  vmaf?: number;
  initSegment?: SegmentLocation;
  /** One per segment of the ladder, for players that request them (absent for Sabre ladders). */
  segments?: readonly SegmentLocation[];
}

export interface AudioTrack {
  id: string;
  bitrateBps: number;
  codecs?: string;
  initSegment?: SegmentLocation;
  segments?: readonly SegmentLocation[];
}

export interface Ladder {
  /** Where the ladder came from. */
  source: 'sabre' | 'hls' | 'dash' | 'title';
  /** Duration of each segment, ms (all rungs share segment boundaries). */
  segmentDurationsMs: readonly number[];
  /** Ascending `bitrateBps`; rung 0 is the lowest. */
  rungs: readonly LadderRung[];
  /** `segmentSizesBytes[segment][rung]`: bytes one download of that segment costs (video + audio). */
  segmentSizesBytes?: readonly (readonly number[])[];
  /** `segmentVmaf[segment][rung]`, when per-segment quality is known. */
  segmentVmaf?: readonly (readonly number[])[];
  audio?: AudioTrack;
}

export function segmentCount(ladder: Ladder): number {
  return ladder.segmentDurationsMs.length;
}

/** Sum of the segment durations, ms. */
export function contentDurationMs(ladder: Ladder): number {
  return ladder.segmentDurationsMs.reduce((sum, d) => sum + d, 0);
}

/** The most common segment duration, ms (the nominal one; the last segment is often shorter). */
export function nominalSegmentDurationMs(ladder: Ladder): number {
  return ladder.segmentDurationsMs[0] ?? 0;
}

/** Bytes of segment `segment` at rung `rung`: known, else estimated from the rung's bitrate. */
export function segmentSizeBytes(ladder: Ladder, segment: number, rung: number): number {
  const known = ladder.segmentSizesBytes?.[segment]?.[rung];
  if (known !== undefined) return known;
  return (ladder.rungs[rung]!.bitrateBps * (ladder.segmentDurationsMs[segment] ?? 0)) / 8000;
}

/** VMAF of segment `segment` at rung `rung`: per segment when known, else the rung's; else undefined. */
export function segmentVmaf(ladder: Ladder, segment: number, rung: number): number | undefined {
  return ladder.segmentVmaf?.[segment]?.[rung] ?? ladder.rungs[rung]?.vmaf;
}

/** Whether every rung (or every segment) has a VMAF, so that quality-aware choices can use it. */
export function hasVmaf(ladder: Ladder): boolean {
  return ladder.segmentVmaf !== undefined || ladder.rungs.every((r) => r.vmaf !== undefined);
}

/**
 * Checks a ladder built by hand or by an adapter; throws PLAYER_ERR_LADDER_INVALID naming the first
 * problem. Returns the ladder for chaining.
 */
export function validateLadder(ladder: Ladder): Ladder {
  const fail = (message: string): never => {
    throw playerError(PlayerErrorCode.LadderInvalid, `ladder (${ladder.source}): ${message}`);
  };
  if (ladder.rungs.length === 0) fail('no rungs');
  if (ladder.segmentDurationsMs.length === 0) fail('no segments');
  ladder.segmentDurationsMs.forEach((d, i) => {
    if (!(Number.isFinite(d) && d > 0)) fail(`segment ${i} has duration ${d} ms (must be > 0)`);
  });
  ladder.rungs.forEach((rung, i) => {
    if (!(Number.isFinite(rung.bitrateBps) && rung.bitrateBps > 0)) {
      fail(`rung ${i} (${rung.id}) has bitrate ${rung.bitrateBps} (must be > 0)`);
    }
    if (i > 0 && !(rung.bitrateBps > ladder.rungs[i - 1]!.bitrateBps)) {
      fail(`rung bitrates must increase strictly (rung ${i} is not above rung ${i - 1})`);
    }
    if (rung.vmaf !== undefined && !(rung.vmaf >= 0 && rung.vmaf <= 100)) {
      fail(`rung ${i} has VMAF ${rung.vmaf} (must be 0..100)`);
    }
    if (rung.segments !== undefined && rung.segments.length !== ladder.segmentDurationsMs.length) {
      fail(
        `rung ${i} lists ${rung.segments.length} segments, the ladder has ${ladder.segmentDurationsMs.length}`,
      );
    }
  });
  checkMatrix(
    ladder.segmentSizesBytes,
    'segmentSizesBytes',
    ladder,
    fail,
    (v) => Number.isFinite(v) && v > 0,
  );
  checkMatrix(ladder.segmentVmaf, 'segmentVmaf', ladder, fail, (v) => v >= 0 && v <= 100);
  return ladder;
}

function checkMatrix(
  matrix: readonly (readonly number[])[] | undefined,
  what: string,
  ladder: Ladder,
  fail: (message: string) => never,
  valid: (value: number) => boolean,
): void {
  if (matrix === undefined) return;
  if (matrix.length !== ladder.segmentDurationsMs.length) {
    fail(`${what} has ${matrix.length} rows, the ladder has ${ladder.segmentDurationsMs.length} segments`);
  }
  matrix.forEach((row, s) => {
    if (row.length !== ladder.rungs.length)
      fail(`${what}[${s}] has ${row.length} values for ${ladder.rungs.length} rungs`);
    row.forEach((value, r) => {
      if (typeof value !== 'number' || !valid(value)) fail(`${what}[${s}][${r}] = ${value} is out of range`);
    });
  });
}

/**
 * Reads a Sabre ladder file (`{segment_duration_ms, bitrates_kbps, segment_sizes_bits[segment][rung]}`,
 * text or parsed). Throws PLAYER_ERR_LADDER_PARSE for a wrong shape, PLAYER_ERR_LADDER_INVALID for bad
 * values.
 */
export function parseSabreLadder(input: unknown, name = 'ladder'): Ladder {
  let data: unknown = input;
  if (typeof input === 'string') {
    try {
      data = JSON.parse(input);
    } catch (err) {
      throw playerError(PlayerErrorCode.LadderParse, `${name}: not JSON: ${(err as Error).message}`);
    }
  }
  const parseFail = (message: string): never => {
    throw playerError(PlayerErrorCode.LadderParse, `${name}: ${message}`);
  };
  if (data === null || typeof data !== 'object' || Array.isArray(data)) parseFail('expected a JSON object');
  const record = data as Record<string, unknown>;
  const durationMs = record.segment_duration_ms;
  const bitrates = record.bitrates_kbps;
  const sizes = record.segment_sizes_bits;
  if (typeof durationMs !== 'number') parseFail('segment_duration_ms must be a number');
  if (!Array.isArray(bitrates) || !bitrates.every((b) => typeof b === 'number')) {
    parseFail('bitrates_kbps must be an array of numbers');
  }
  if (
    !Array.isArray(sizes) ||
    !sizes.every((row) => Array.isArray(row) && row.every((v) => typeof v === 'number'))
  ) {
    parseFail('segment_sizes_bits must be an array of arrays of numbers');
  }
  const bitratesKbps = bitrates as number[];
  const sizeRows = sizes as number[][];
  return validateLadder({
    source: 'sabre',
    segmentDurationsMs: sizeRows.map(() => durationMs as number),
    rungs: bitratesKbps.map((kbps, i) => ({ id: String(i), bitrateBps: kbps * 1000 })),
    segmentSizesBytes: sizeRows.map((row) => row.map((bits) => bits / 8)),
  });
}

/**
 * A ladder repeated or cut to `segmentCountWanted` segments (Sabre's `--movie-length`): longer sessions
 * from a short title, shorter ones for quick tests. Segment locations are kept when cutting and dropped
 * when repeating (a repeated title has no URLs for its extra segments).
 */
export function resizeLadder(ladder: Ladder, segmentCountWanted: number): Ladder {
  if (!Number.isInteger(segmentCountWanted) || segmentCountWanted < 1) {
    throw playerError(PlayerErrorCode.InvalidOptions, `segment count must be an integer >= 1`);
  }
  const n = ladder.segmentDurationsMs.length;
  const pick = <T>(rows: readonly T[]): T[] =>
    Array.from({ length: segmentCountWanted }, (_, i) => rows[i % n]!);
  const cut = <T extends { segments?: readonly SegmentLocation[] }>(track: T): T => {
    const { segments, ...rest } = track;
    if (segments === undefined || segmentCountWanted > n) return rest as T;
    return { ...rest, segments: segments.slice(0, segmentCountWanted) } as unknown as T;
  };
  const resized: Ladder = {
    ...ladder,
    segmentDurationsMs: pick(ladder.segmentDurationsMs),
    rungs: ladder.rungs.map(cut),
  };
  if (ladder.audio) resized.audio = cut(ladder.audio);
  if (ladder.segmentSizesBytes) resized.segmentSizesBytes = pick(ladder.segmentSizesBytes);
  if (ladder.segmentVmaf) resized.segmentVmaf = pick(ladder.segmentVmaf);
  return resized;
}
