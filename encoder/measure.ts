import { readFile } from 'node:fs/promises';
import type { CdnError } from '../common/errors.js';
import { buildQualityArgs, type QualityMeasureInput } from './argv.js';
import { EncoderErrorCode, encoderError } from './errors.js';
import { runFfmpeg, type FfmpegRunOptions } from './ffmpeg.js';
import { summarizeScores } from './ladder/stats.js';
import type { QualityMetric, QualityStats } from './ladder/types.js';

/**
 * Cap for PSNR and SSIM in dB when frames are identical (infinite): libvmaf caps 8-bit PSNR at
 * 6 * bitdepth + 12 = 60 dB, and we use the same ceiling for SSIM in dB.
 */
export const MAX_DB = 60;

function metricError(metric: string, detail: string): CdnError {
  return encoderError(EncoderErrorCode.MetricParse, `cannot read the ${metric} log: ${detail}`);
}

/** Per-frame VMAF scores from a libvmaf JSON log (the same `frames[].metrics.vmaf` in 1.x and 2.x). */
export function parseVmafLog(text: string): number[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw metricError('VMAF', err instanceof Error ? err.message : String(err));
  }
  const frames = (parsed as { frames?: unknown }).frames;
  if (!Array.isArray(frames)) throw metricError('VMAF', 'no frames array');
  const scores: number[] = [];
  for (const frame of frames as { metrics?: { vmaf?: unknown } }[]) {
    const score = frame.metrics?.vmaf;
    if (typeof score === 'number' && Number.isFinite(score)) scores.push(score);
  }
  if (scores.length === 0) throw metricError('VMAF', 'no frame has a vmaf score');
  return scores;
}

/** Per-frame PSNR (dB, average of the planes as FFmpeg weighs them) from a `psnr=stats_file` log. */
export function parsePsnrLog(text: string): number[] {
  const scores: number[] = [];
  for (const line of text.split('\n')) {
    const match = /\bpsnr_avg:(inf|[\d.]+)/.exec(line);
    if (match) scores.push(match[1] === 'inf' ? MAX_DB : Math.min(MAX_DB, Number(match[1])));
  }
  if (scores.length === 0) throw metricError('PSNR', 'no psnr_avg values');
  return scores;
}

/** Per-frame SSIM in dB (-10·log10(1 − SSIM), so equal steps mean equal perceived changes) from a `ssim=stats_file` log. */
export function parseSsimLog(text: string): number[] {
  const scores: number[] = [];
  for (const line of text.split('\n')) {
    const match = /\bAll:([\d.]+)/.exec(line);
    if (match) {
      const ssim = Number(match[1]);
      scores.push(ssim >= 1 ? MAX_DB : Math.min(MAX_DB, -10 * Math.log10(1 - ssim)));
    }
  }
  if (scores.length === 0) throw metricError('SSIM', 'no All values');
  return scores;
}

export function parseMetricLog(metric: QualityMetric, text: string): number[] {
  switch (metric) {
    case 'vmaf':
      return parseVmafLog(text);
    case 'psnr':
      return parsePsnrLog(text);
    case 'ssim':
      return parseSsimLog(text);
  }
}

/** Measures a distorted encode against its reference and pools the per-frame scores. */
export async function measureQuality(
  ffmpegPath: string,
  input: QualityMeasureInput,
  options: FfmpegRunOptions = {},
): Promise<QualityStats> {
  await runFfmpeg(ffmpegPath, buildQualityArgs(input), options);
  let text: string;
  try {
    text = await readFile(input.logPath, 'utf8');
  } catch {
    throw metricError(input.metric, `no log written at ${input.logPath}`);
  }
  return summarizeScores(parseMetricLog(input.metric, text));
}
