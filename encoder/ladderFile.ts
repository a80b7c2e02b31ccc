import { z } from 'zod';

/** Version of the `ladder.json` layout; bumped on any incompatible change. */
export const LADDER_SCHEMA_VERSION = 1;

const resolution = z.object({ width: z.number().int().positive(), height: z.number().int().positive() });
const qualityStats = z.object({
  mean: z.number(),
  harmonicMean: z.number(),
  p5: z.number(),
  min: z.number(),
  frames: z.number().int().positive(),
});
const frameRate = z.object({ num: z.number().int().positive(), den: z.number().int().positive() });

const rung = z.object({
  id: z.string(),
  /** Path relative to the rendition directory. */
  file: z.string(),
  resolution,
  crf: z.number(),
  maxrateKbps: z.number().positive(),
  averageBitrateKbps: z.number().positive(),
  /** Largest per-segment rate (HLS BANDWIDTH). */
  peakBitrateKbps: z.number().positive(),
  sizeBytes: z.number().int().positive(),
  frames: z.number().int().positive(),
  /** What the search's curves predicted for this rung. */
  predicted: z.object({ bitrateKbps: z.number(), quality: z.number() }),
  /** Measured on the whole final rendition against the source; null when verification was off. */
  quality: qualityStats.nullable(),
});

/** The schema of `ladder.json`, the encoder's output and the packager's input. */
export const ladderFileSchema = z.object({
  schemaVersion: z.literal(LADDER_SCHEMA_VERSION),
  createdAt: z.string(),
  tools: z.object({ ffmpeg: z.string(), libvmaf: z.enum(['none', 'libvmaf1', 'libvmaf2']) }),
  source: z.object({
    path: z.string(),
    sizeBytes: z.number().int().positive(),
    container: z.string(),
    durationS: z.number().positive(),
    video: z.object({
      codec: z.string(),
      width: z.number().int().positive(),
      height: z.number().int().positive(),
      displayWidth: z.number().int().positive(),
      displayHeight: z.number().int().positive(),
      frameRate,
      pixelFormat: z.string(),
      bitrateKbps: z.number().optional(),
    }),
    audio: z.array(
      z.object({
        audioIndex: z.number().int().nonnegative(),
        codec: z.string(),
        channels: z.number(),
        sampleRateHz: z.number(),
        language: z.string().optional(),
      }),
    ),
  }),
  metric: z.object({
    name: z.enum(['vmaf', 'psnr', 'ssim']),
    model: z.string().nullable(),
    subsample: z.number().int().positive(),
    pooling: z.string(),
  }),
  settings: z.object({
    targetQuality: z.number(),
    floorQuality: z.number(),
    qualityStep: z.number(),
    floorBitrateKbps: z.number(),
    maxBitrateKbps: z.number().nullable(),
    minBitrateRatio: z.number(),
    preset: z.string(),
    searchPreset: z.string(),
    capBitsPerPixel: z.number(),
    resolutions: z.array(resolution),
  }),
  segmentDurationS: z.number().positive(),
  gopDurationS: z.number().positive(),
  gopFrames: z.number().int().positive(),
  frameRate,
  samples: z.array(z.object({ startS: z.number().nonnegative(), durationS: z.number().positive() })).min(1),
  probes: z
    .array(
      z.object({
        resolution,
        crf: z.number(),
        bitrateKbps: z.number().positive(),
        quality: qualityStats,
        elapsedMs: z.number(),
      }),
    )
    .min(1),
  hull: z
    .array(z.object({ resolution, crf: z.number(), bitrateKbps: z.number(), quality: z.number() }))
    .min(1),
  rungs: z.array(rung).min(1),
  audio: z.array(
    z.object({
      id: z.string(),
      file: z.string(),
      codec: z.literal('aac'),
      bitrateKbps: z.number().positive(),
      channels: z.number().int().positive(),
      sampleRateHz: z.number().int().positive(),
      language: z.string().nullable(),
    }),
  ),
  keyframesAligned: z.literal(true),
  fixedLadder: z
    .object({
      rungs: z.array(
        z.object({
          resolution,
          targetBitrateKbps: z.number(),
          averageBitrateKbps: z.number(),
          peakBitrateKbps: z.number(),
          quality: qualityStats,
        }),
      ),
      /** Bjøntegaard delta rate of the per-title ladder against the fixed one (negative = fewer bits). */
      bdRatePercent: z.number().nullable(),
    })
    .nullable(),
  timings: z.record(z.string(), z.number()),
});

export type LadderFile = z.infer<typeof ladderFileSchema>;
export type LadderRung = z.infer<typeof rung>;
