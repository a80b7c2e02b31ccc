import { z } from 'zod';
import { TITLE_ID_PATTERN } from './titleId.js';

export { TITLE_ID_PATTERN };

/** Version of the `title.json` layout; bumped on any incompatible change. */
export const TITLE_SCHEMA_VERSION = 1;

const fileRef = z.object({
  /** Path relative to the package root, `/`-separated. */
  path: z.string().min(1),
  sizeBytes: z.number().int().nonnegative(),
  /** Lower-case hex SHA-256 of the file, so fills can be verified end to end. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

const segment = fileRef.extend({
  number: z.number().int().nonnegative(),
  startS: z.number().nonnegative(),
  durationS: z.number().positive(),
});

const quality = z.object({
  metric: z.enum(['vmaf', 'psnr', 'ssim']),
  mean: z.number(),
  harmonicMean: z.number(),
  p5: z.number(),
});

const track = z.object({
  id: z.string().regex(/^[a-zA-Z0-9_-]+$/),
  type: z.enum(['video', 'audio']),
  codecs: z.string().min(1),
  /** Largest per-segment rate of the packaged bytes (HLS BANDWIDTH of the track alone). */
  peakBandwidthBps: z.number().int().positive(),
  /** Packaged bytes over the track duration. */
  averageBandwidthBps: z.number().int().positive(),
  /** DASH @bandwidth: the rate that plays without stalls after minBufferTime of buffer. */
  dashBandwidthBps: z.number().int().positive(),
  width: z.number().int().positive().optional(),
  height: z.number().int().positive().optional(),
  frameRate: z.number().positive().optional(),
  channels: z.number().int().positive().optional(),
  sampleRateHz: z.number().int().positive().optional(),
  language: z.string().optional(),
  /** Measured quality of a video rung against the source, when the encoder measured it. */
  quality: quality.optional(),
  /** HLS media playlist of the track. */
  playlist: z.string().min(1),
  init: fileRef,
  segments: z.array(segment).min(1),
});

/** `title.json`: the index of a title package (what the origin publishes and edges fill). */
export const titleFileSchema = z.object({
  schemaVersion: z.literal(TITLE_SCHEMA_VERSION),
  id: z.string().regex(TITLE_ID_PATTERN),
  /** Content version: creation time plus a digest of every file, unique per package. */
  version: z.string().regex(/^[0-9A-Za-z._-]{1,80}$/),
  createdAt: z.string(),
  durationS: z.number().positive(),
  segmentDurationS: z.number().positive(),
  manifests: z.object({ dash: z.string().min(1), hls: z.string().min(1) }),
  ladder: z.string().min(1),
  tracks: z.array(track).min(1),
  totalSizeBytes: z.number().int().positive(),
  packager: z.object({ name: z.literal('shaka-packager'), version: z.string() }),
});

export type TitleFile = z.infer<typeof titleFileSchema>;
export type TitleTrack = z.infer<typeof track>;
export type TitleSegment = z.infer<typeof segment>;
export type TitleFileRef = z.infer<typeof fileRef>;
