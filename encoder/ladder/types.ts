/** Shared data types of the per-title ladder search (pure, no I/O). */

export type QualityMetric = 'vmaf' | 'psnr' | 'ssim';

export interface Resolution {
  width: number;
  height: number;
}

/** Per-title quality of one encode: pooled over its frames. */
export interface QualityStats {
  mean: number;
  harmonicMean: number;
  /** 5th percentile of the per-frame scores (the bad moments a viewer notices). */
  p5: number;
  min: number;
  frames: number;
}

/** A point in rate-quality space. `quality` is the pooled mean of the metric in use. */
export interface RdPoint {
  bitrateKbps: number;
  quality: number;
}

/** One trial encode of the samples at one resolution and CRF, measured against the source. */
export interface Probe extends RdPoint {
  resolution: Resolution;
  crf: number;
  stats: QualityStats;
  /** Wall time of encode plus measurement, in ms. */
  elapsedMs: number;
}

/** A chosen rung of the ladder, before its final encode. */
export interface PlannedRung {
  resolution: Resolution;
  /** CRF for the capped-CRF final encode, interpolated from the probes (one decimal). */
  crf: number;
  /** Predicted average bitrate from the probes' curve, in kbit/s. */
  predictedBitrateKbps: number;
  /** Predicted pooled quality from the probes' curve. */
  predictedQuality: number;
}
