import { commonFfmpegArgs } from './argv.js';
import { runFfmpeg, type FfmpegRunOptions } from './ffmpeg.js';
import type { Resolution } from './ladder/types.js';

/** Synthetic content from FFmpeg's lavfi sources, from easy to hard to encode. */
export type SyntheticPattern = 'simple' | 'moderate' | 'complex' | 'noisy';

export const SYNTHETIC_PATTERNS: readonly SyntheticPattern[] = ['simple', 'moderate', 'complex', 'noisy'];

export interface SyntheticSourceSpec {
  pattern: SyntheticPattern;
  resolution: Resolution;
  durationS: number;
  /** Frames per second. */
  fps: number;
  /** Add a stereo tone track. */
  audio: boolean;
}

function videoGraph(spec: SyntheticSourceSpec): string {
  const { width, height } = spec.resolution;
  const base = `size=${width}x${height}:rate=${spec.fps}:duration=${spec.durationS}`;
  switch (spec.pattern) {
    case 'simple':
      // Flat test card with a moving sweep: little detail, little motion.
      return `testsrc=${base}`;
    case 'moderate':
      // Gradients, text and moving shapes.
      return `testsrc2=${base}`;
    case 'complex':
      // A zooming fractal: fine detail changing every frame.
      return `mandelbrot=size=${width}x${height}:rate=${spec.fps},trim=duration=${spec.durationS}`;
    case 'noisy':
      // Moving shapes under temporal grain, the hardest case for an encoder.
      return `testsrc2=${base},noise=alls=24:allf=t+u`;
  }
}

/** FFmpeg arguments that render a synthetic title to an MP4 (visually lossless H.264, AAC). */
export function buildSyntheticSourceArgs(spec: SyntheticSourceSpec, outPath: string): string[] {
  const args = commonFfmpegArgs();
  args.push('-f', 'lavfi', '-i', videoGraph(spec));
  if (spec.audio) {
    args.push('-f', 'lavfi', '-i', `sine=frequency=440:sample_rate=48000:duration=${spec.durationS}`);
  }
  args.push('-map', '0:v');
  if (spec.audio) args.push('-map', '1:a', '-c:a', 'aac', '-b:a', '192k', '-ac', '2');
  // CRF 10 keeps the source far above any rung's quality while staying a manageable size.
  args.push(
    '-c:v',
    'libx264',
    '-preset',
    'veryfast',
    '-crf',
    '10',
    '-pix_fmt',
    'yuv420p',
    '-t',
    String(spec.durationS),
    outPath,
  );
  return args;
}

/** Renders a synthetic source file. */
export async function makeSyntheticSource(
  ffmpegPath: string,
  spec: SyntheticSourceSpec,
  outPath: string,
  options: FfmpegRunOptions = {},
): Promise<string> {
  await runFfmpeg(ffmpegPath, buildSyntheticSourceArgs(spec, outPath), {
    expectedDurationS: spec.durationS,
    ...options,
  });
  return outPath;
}
