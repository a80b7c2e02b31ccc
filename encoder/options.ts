import { availableParallelism } from 'node:os';
import { z } from 'zod';
import { EncoderErrorCode, encoderError } from './errors.js';
import type { QualityMetric, Resolution } from './ladder/types.js';

/** The default candidate resolutions of the ladder search (16:9, largest first). */
export const DEFAULT_RESOLUTIONS: readonly Resolution[] = [
  { width: 1920, height: 1080 },
  { width: 1280, height: 720 },
  { width: 960, height: 540 },
  { width: 768, height: 432 },
  { width: 640, height: 360 },
  { width: 416, height: 234 },
];

/**
 * Quality scale per metric: VMAF's defaults follow the per-title practice (top rung at 95, where
 * viewers rarely tell it from the source; bottom near 45; rungs about one just-noticeable difference,
 * 6 VMAF points, apart). PSNR and SSIM (in dB) get the usual equivalents for 8-bit video.
 */
export const METRIC_DEFAULTS: Record<
  QualityMetric,
  { target: number; floor: number; step: number; tolerance: number }
> = {
  vmaf: { target: 95, floor: 45, step: 6, tolerance: 1 },
  psnr: { target: 45, floor: 30, step: 2, tolerance: 0.3 },
  ssim: { target: 20, floor: 10, step: 1.5, tolerance: 0.3 },
};

const resolutionSchema = z
  .object({
    /** Width in pixels. */
    width: z.number().int().min(16).max(8192),
    /** Height in pixels. */
    height: z.number().int().min(16).max(8192),
  })
  .strict();

/** Parses `1280x720` into a resolution; undefined when malformed. */
export function parseResolution(text: string): Resolution | undefined {
  const match = /^(\d{2,5})x(\d{2,5})$/.exec(text.trim());
  if (!match) return undefined;
  return { width: Number(match[1]), height: Number(match[2]) };
}

/** x264 presets, fastest first. */
export const X264_PRESETS = [
  'ultrafast',
  'superfast',
  'veryfast',
  'faster',
  'fast',
  'medium',
  'slow',
  'slower',
  'veryslow',
] as const;

export const encodeOptionsSchema = z
  .object({
    /** Where the rendition set is written (created; must not exist unless `overwrite`). */
    outDir: z.string().min(1),
    /** Replace an existing `outDir`. */
    overwrite: z.boolean().default(false),
    /** Quality metric of the search and the report (`psnr`/`ssim` need no VMAF model). */
    metric: z.enum(['vmaf', 'psnr', 'ssim']).default('vmaf'),
    /** Top rung quality; default per metric (VMAF 95). */
    targetQuality: z.number().positive().optional(),
    /** Bottom rung quality; default per metric (VMAF 45). */
    floorQuality: z.number().nonnegative().optional(),
    /** Quality gap between rungs; default per metric (VMAF 6, about one JND). */
    qualityStep: z.number().positive().optional(),
    /**
     * The bottom rung is not placed below this rate, in kbit/s (a title whose top rung already needs
     * less gets that single rung).
     */
    floorBitrateKbps: z.number().positive().default(200),
    /** Optional cap on the top rung's rate, in kbit/s. */
    maxBitrateKbps: z.number().positive().optional(),
    /** Adjacent rungs are at least this ratio apart in rate. */
    minBitrateRatio: z.number().min(1.05).max(4).default(1.5),
    /** Most rungs in the ladder. */
    maxRungs: z.number().int().min(1).max(20).default(10),
    /** Candidate resolutions of the search: larger than the source are dropped, the rest take its aspect ratio. */
    resolutions: z
      .array(resolutionSchema)
      .min(1)
      .default([...DEFAULT_RESOLUTIONS]),
    /** Sample count; default: one per minute of title, 2 to 20. */
    sampleCount: z.number().int().min(1).max(50).optional(),
    /** Length of each sample, in s. */
    sampleDurationS: z.number().min(1).max(120).default(4),
    /** Segment duration the packager will cut, in s: a whole number of GOPs. */
    segmentDurationS: z.number().min(1).max(20).default(4),
    /** GOP length, in s: keyframes at every GOP, aligned across rungs. */
    gopDurationS: z.number().min(0.5).max(10).default(2),
    /** x264 preset of the final encodes. */
    preset: z.enum(X264_PRESETS).default('medium'),
    /**
     * x264 preset of the search probes; default: the final preset. A faster one makes the search
     * cheaper but its CRFs then predict the final rates and qualities less well.
     */
    searchPreset: z.enum(X264_PRESETS).optional(),
    /** Lowest CRF the search tries (highest quality). */
    minCrf: z.number().min(0).max(51).default(12),
    /** Highest CRF the search tries (lowest quality). */
    maxCrf: z.number().min(0).max(51).default(51),
    /** Probes per CRF search before it settles for the closest. */
    maxProbesPerSearch: z.number().int().min(2).max(12).default(5),
    /**
     * VBV ceiling of capped CRF in bits per pixel per frame: 0.15 gives 9.3 Mbit/s at 1080p30 and
     * 1 Mbit/s at 360p30, the usual ceilings of per-title H.264 ladders.
     */
    capBitsPerPixel: z.number().positive().max(2).default(0.15),
    /** VBV buffer as a multiple of maxrate (2 s of buffer at the ceiling). */
    bufsizeFactor: z.number().min(0.5).max(10).default(2),
    /**
     * VMAF on every n-th frame: at 1080p libvmaf 1.3.7 scores about 8.5 frames/s on 2 cores with every
     * frame and 28 with every 5th, and pooled scores differ by less than 0.1.
     */
    vmafSubsample: z.number().int().min(1).max(30).default(5),
    /** AAC-LC stereo bitrate, in kbit/s. */
    audioBitrateKbps: z.number().int().min(32).max(512).default(128),
    /** Encodes running at once; default: one per two cores. */
    concurrency: z.number().int().min(1).max(64).optional(),
    /** Measure every final rendition against the whole source (the report's rung quality). */
    verifyRungs: z.boolean().default(true),
    /** Also encode Apple's fixed H.264 ladder and report the BD-rate against it. */
    compareFixed: z.boolean().default(false),
  })
  .strict();

export type EncodeOptionsInput = z.input<typeof encodeOptionsSchema>;

/** Options after validation, with every default filled in. */
export interface EncodeSettings extends Omit<
  z.output<typeof encodeOptionsSchema>,
  'targetQuality' | 'floorQuality' | 'qualityStep' | 'sampleCount' | 'concurrency' | 'searchPreset'
> {
  targetQuality: number;
  floorQuality: number;
  qualityStep: number;
  toleranceQuality: number;
  sampleCount: number | undefined;
  searchPreset: (typeof X264_PRESETS)[number];
  concurrency: number;
  /** x264 threads per encode so that `concurrency` encodes fill the machine. */
  threadsPerEncode: number;
}

/** Validates encode options, fills metric-dependent defaults, and checks cross-field rules. */
export function resolveEncodeSettings(
  input: unknown,
  cores = availableParallelism(),
): Readonly<EncodeSettings> {
  const parsed = encodeOptionsSchema.safeParse(input);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`);
    throw encoderError(EncoderErrorCode.InvalidOptions, `invalid encode options: ${problems.join('; ')}`);
  }
  const o = parsed.data;
  const defaults = METRIC_DEFAULTS[o.metric];
  const targetQuality = o.targetQuality ?? defaults.target;
  const floorQuality = o.floorQuality ?? defaults.floor;
  const problems: string[] = [];
  if (o.metric === 'vmaf' && targetQuality > 100) problems.push('targetQuality: VMAF is at most 100');
  if (floorQuality >= targetQuality) problems.push('floorQuality: must be below targetQuality');
  if (o.minCrf >= o.maxCrf) problems.push('minCrf: must be below maxCrf');
  const gopsPerSegment = o.segmentDurationS / o.gopDurationS;
  if (Math.abs(gopsPerSegment - Math.round(gopsPerSegment)) > 1e-9) {
    problems.push('segmentDurationS: must be a whole number of GOPs (gopDurationS)');
  }
  if (problems.length > 0) {
    throw encoderError(EncoderErrorCode.InvalidOptions, `invalid encode options: ${problems.join('; ')}`);
  }
  // Two cores per x264 encode keep its lookahead and frame threads busy without oversubscribing.
  const concurrency = o.concurrency ?? Math.max(1, Math.floor(cores / 2));
  return Object.freeze({
    ...o,
    targetQuality,
    floorQuality,
    qualityStep: o.qualityStep ?? defaults.step,
    toleranceQuality: defaults.tolerance,
    sampleCount: o.sampleCount,
    searchPreset: o.searchPreset ?? o.preset,
    concurrency,
    threadsPerEncode: Math.max(1, Math.floor(cores / concurrency)),
  });
}

/**
 * Candidate resolutions for a source: never above it, aspect ratio of the source kept (the
 * candidate's height, or width for portrait sources, with the other side derived), even dimensions,
 * duplicates removed, largest first.
 */
export function candidateResolutions(candidates: readonly Resolution[], source: Resolution): Resolution[] {
  const even = (n: number): number => Math.max(2, Math.round(n / 2) * 2);
  const landscape = source.width >= source.height;
  const out: Resolution[] = [];
  for (const c of candidates) {
    const shortSide = Math.min(c.width, c.height);
    const sourceShort = landscape ? source.height : source.width;
    if (shortSide > sourceShort) continue;
    const scale = shortSide / sourceShort;
    const r = landscape
      ? { width: even(source.width * scale), height: even(shortSide) }
      : { width: even(shortSide), height: even(source.height * scale) };
    if (!out.some((o) => o.width === r.width && o.height === r.height)) out.push(r);
  }
  if (out.length === 0) out.push({ width: even(source.width), height: even(source.height) });
  return out.sort((a, b) => b.width * b.height - a.width * a.height);
}

/** The capped-CRF ceiling for a resolution, in kbit/s. */
export function maxrateKbpsFor(resolution: Resolution, fps: number, capBitsPerPixel: number): number {
  return Math.round((resolution.width * resolution.height * fps * capBitsPerPixel) / 1000);
}

/** Sample count when none is given: one per minute of title, at least 2, at most 20. */
export function defaultSampleCount(titleDurationS: number): number {
  return Math.min(20, Math.max(2, Math.round(titleDurationS / 60)));
}

/**
 * Apple's fixed H.264 ladder from the HLS Authoring Specification for Apple Devices (the baseline
 * that per-title encoding is measured against), in kbit/s.
 */
export const APPLE_FIXED_LADDER: readonly { resolution: Resolution; bitrateKbps: number }[] = [
  { resolution: { width: 416, height: 234 }, bitrateKbps: 145 },
  { resolution: { width: 640, height: 360 }, bitrateKbps: 365 },
  { resolution: { width: 768, height: 432 }, bitrateKbps: 730 },
  { resolution: { width: 768, height: 432 }, bitrateKbps: 1100 },
  { resolution: { width: 960, height: 540 }, bitrateKbps: 2000 },
  { resolution: { width: 1280, height: 720 }, bitrateKbps: 3000 },
  { resolution: { width: 1280, height: 720 }, bitrateKbps: 4500 },
  { resolution: { width: 1920, height: 1080 }, bitrateKbps: 6000 },
  { resolution: { width: 1920, height: 1080 }, bitrateKbps: 7800 },
];

/** The fixed ladder capped at the source: rungs above the source's size are dropped. */
export function fixedLadderFor(source: Resolution): { resolution: Resolution; bitrateKbps: number }[] {
  const sourceShort = Math.min(source.width, source.height);
  return APPLE_FIXED_LADDER.filter(
    (r) => Math.min(r.resolution.width, r.resolution.height) <= sourceShort,
  ).map((r) => ({
    resolution: candidateResolutions([r.resolution], source)[0]!,
    bitrateKbps: r.bitrateKbps,
  }));
}
