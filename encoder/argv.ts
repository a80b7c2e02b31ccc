/**
 * Pure builders of FFmpeg and ffprobe argument vectors. Nothing here runs a process; the shells in
 * this folder pass these to the process runner, and unit tests check them directly.
 */
import type { QualityMetric, Resolution } from './ladder/types.js';

/** A frame rate as the rational ffprobe reports (`30000/1001`). */
export interface FrameRate {
  num: number;
  den: number;
}

export function frameRateValue(rate: FrameRate): number {
  return rate.num / rate.den;
}

export function frameRateText(rate: FrameRate): string {
  return rate.den === 1 ? String(rate.num) : `${rate.num}/${rate.den}`;
}

/** Arguments every FFmpeg run starts with: quiet, no prompts, machine-readable progress on stdout. */
export function commonFfmpegArgs(): string[] {
  return ['-hide_banner', '-nostdin', '-y', '-v', 'error', '-progress', 'pipe:1', '-nostats'];
}

/**
 * Escapes a value for use as a filter option inside a filtergraph string (both FFmpeg escaping levels:
 * the option parser's, then the graph parser's). Plain paths pass through unchanged.
 */
export function escapeFilterValue(value: string): string {
  if (/^[A-Za-z0-9_./+@-]*$/.test(value)) return value;
  const optionLevel = value.replace(/[\\':]/g, (c) => `\\${c}`);
  return optionLevel.replace(/[\\'[\],;]/g, (c) => `\\${c}`);
}

export interface SampleWindow {
  startS: number;
  durationS: number;
}

/**
 * Picks `count` windows of `durationS` spread evenly over a title (centred in equal slices), or the
 * whole title as one window when the samples would cover most of it anyway.
 */
export function sampleWindows(titleDurationS: number, count: number, durationS: number): SampleWindow[] {
  // Past 2/3 coverage, sampling saves little and loses fidelity: measure the whole title instead.
  const WHOLE_TITLE_COVERAGE = 2 / 3;
  if (count <= 0 || durationS <= 0 || count * durationS >= titleDurationS * WHOLE_TITLE_COVERAGE) {
    return [{ startS: 0, durationS: titleDurationS }];
  }
  const sliceS = titleDurationS / count;
  const windows: SampleWindow[] = [];
  for (let i = 0; i < count; i++) {
    const centreS = sliceS * (i + 0.5);
    const startS = Math.min(Math.max(0, centreS - durationS / 2), titleDurationS - durationS);
    windows.push({ startS: round3(startS), durationS });
  }
  return windows;
}

/**
 * Cuts the sample windows out of the source into one lossless H.264 file (constant frame rate,
 * yuv420p) that is the reference for every probe: decoded once, frame-exact, cheap to read again.
 */
export function buildSampleExtractArgs(input: {
  sourcePath: string;
  windows: readonly SampleWindow[];
  frameRate: FrameRate;
  outPath: string;
}): string[] {
  const args = commonFfmpegArgs();
  for (const w of input.windows) {
    args.push('-ss', String(w.startS), '-t', String(w.durationS), '-i', input.sourcePath);
  }
  const fps = frameRateText(input.frameRate);
  const chains = input.windows.map(
    (_, i) => `[${i}:v:0]fps=${fps},setpts=PTS-STARTPTS,format=yuv420p[s${i}]`,
  );
  const labels = input.windows.map((_, i) => `[s${i}]`).join('');
  const graph =
    input.windows.length === 1
      ? `${chains[0]!.replace(/\[s0\]$/, '[ref]')}`
      : `${chains.join(';')};${labels}concat=n=${input.windows.length}:v=1:a=0[ref]`;
  args.push('-filter_complex', graph, '-map', '[ref]', '-an');
  args.push('-c:v', 'libx264', '-preset', 'ultrafast', '-qp', '0', input.outPath);
  return args;
}

/** How a video encode controls its rate. */
export type RateControl =
  /** Capped CRF: constant quality with a VBV ceiling, as per-title encoding uses. */
  | { kind: 'capped-crf'; crf: number; maxrateKbps: number; bufsizeKbps: number }
  /** Average bitrate with a VBV ceiling, as fixed ladders use. */
  | { kind: 'abr'; bitrateKbps: number; maxrateKbps: number; bufsizeKbps: number };

export interface VideoEncodeInput {
  inputPath: string;
  outPath: string;
  resolution: Resolution;
  frameRate: FrameRate;
  rateControl: RateControl;
  /** x264 preset (ultrafast … veryslow). */
  preset: string;
  /** GOP length in frames: closed, fixed, no scene-cut keyframes, so rungs align. */
  gopFrames: number;
  /** Encoder threads; 0 lets x264 choose. */
  threads: number;
}

/** H.264 High, yuv420p, closed fixed GOPs, no audio, MP4 with the index up front. */
export function buildVideoEncodeArgs(input: VideoEncodeInput): string[] {
  const { width, height } = input.resolution;
  const fps = frameRateText(input.frameRate);
  const args = commonFfmpegArgs();
  args.push('-i', input.inputPath, '-map', '0:v:0', '-an', '-sn', '-dn');
  args.push('-vf', `fps=${fps},scale=${width}:${height}:flags=lanczos,setsar=1,format=yuv420p`);
  args.push('-c:v', 'libx264', '-profile:v', 'high', '-pix_fmt', 'yuv420p', '-preset', input.preset);
  const rc = input.rateControl;
  switch (rc.kind) {
    case 'capped-crf':
      args.push('-crf', String(rc.crf));
      break;
    case 'abr':
      args.push('-b:v', `${Math.round(rc.bitrateKbps)}k`);
      break;
  }
  args.push('-maxrate', `${Math.round(rc.maxrateKbps)}k`, '-bufsize', `${Math.round(rc.bufsizeKbps)}k`);
  const gop = String(input.gopFrames);
  args.push('-g', gop, '-keyint_min', gop, '-sc_threshold', '0');
  args.push('-x264-params', 'open-gop=0');
  args.push('-threads', String(input.threads));
  args.push('-movflags', '+faststart', '-f', 'mp4', input.outPath);
  return args;
}

export interface AudioEncodeInput {
  sourcePath: string;
  /** Index among the source's audio streams (0 = first). */
  audioIndex: number;
  outPath: string;
  bitrateKbps: number;
}

/** AAC-LC stereo 48 kHz as its own MP4 output. */
export function buildAudioEncodeArgs(input: AudioEncodeInput): string[] {
  const args = commonFfmpegArgs();
  args.push('-i', input.sourcePath, '-map', `0:a:${input.audioIndex}`, '-vn', '-sn', '-dn');
  args.push(
    '-c:a',
    'aac',
    '-profile:a',
    'aac_low',
    '-b:a',
    `${input.bitrateKbps}k`,
    '-ac',
    '2',
    '-ar',
    '48000',
  );
  args.push('-movflags', '+faststart', '-f', 'mp4', input.outPath);
  return args;
}

/** The VMAF filter flavour the chosen FFmpeg offers. */
export type VmafSetup =
  /** libvmaf 1.x: `model_path=` to a `.pkl` model. */
  | { flavour: 'libvmaf1'; modelPath: string }
  /** libvmaf 2.x: `model=path=` to a `.json` model, or a built-in `model=version=`. */
  | { flavour: 'libvmaf2'; modelPath: string | undefined; builtInVersion: string };

export interface QualityMeasureInput {
  distortedPath: string;
  referencePath: string;
  /** The reference's resolution: the distorted video is upscaled (bicubic) to it. */
  referenceResolution: Resolution;
  frameRate: FrameRate;
  metric: QualityMetric;
  /** Required when metric is vmaf. */
  vmaf?: VmafSetup;
  logPath: string;
  threads: number;
  /** Compute VMAF on every n-th frame (1 = all). */
  subsample: number;
}

/** Compares a distorted encode with its reference, frame-synchronised, writing a per-frame log. */
export function buildQualityArgs(input: QualityMeasureInput): string[] {
  const { width, height } = input.referenceResolution;
  const fps = frameRateText(input.frameRate);
  const sync = `fps=${fps},setpts=PTS-STARTPTS,format=yuv420p`;
  const distorted = `[0:v:0]scale=${width}:${height}:flags=bicubic,${sync}[dist]`;
  const reference = `[1:v:0]${sync}[ref]`;
  const log = escapeFilterValue(input.logPath);
  let compare: string;
  switch (input.metric) {
    case 'vmaf': {
      const vmaf = input.vmaf;
      if (!vmaf) throw new TypeError('buildQualityArgs: metric vmaf needs a VMAF setup');
      const common = `log_fmt=json:log_path=${log}:n_threads=${input.threads}:n_subsample=${input.subsample}`;
      const model =
        vmaf.flavour === 'libvmaf1'
          ? `model_path=${escapeFilterValue(vmaf.modelPath)}`
          : vmaf.modelPath !== undefined
            ? `model=${escapeFilterValue(`path=${vmaf.modelPath}`)}`
            : `model=${escapeFilterValue(`version=${vmaf.builtInVersion}`)}`;
      compare = `[dist][ref]libvmaf=${model}:${common}`;
      break;
    }
    case 'psnr':
      compare = `[dist][ref]psnr=stats_file=${log}`;
      break;
    case 'ssim':
      compare = `[dist][ref]ssim=stats_file=${log}`;
      break;
  }
  const args = commonFfmpegArgs();
  args.push('-i', input.distortedPath, '-i', input.referencePath);
  args.push('-filter_complex', `${distorted};${reference};${compare}`, '-f', 'null', '-');
  return args;
}

/** ffprobe of every video packet: timestamps, sizes and key flags (for peak rate and GOP checks). */
export function buildPacketProbeArgs(path: string): string[] {
  return [
    '-v',
    'error',
    '-select_streams',
    'v:0',
    '-show_entries',
    'packet=pts_time,duration_time,size,flags',
    '-of',
    'json',
    path,
  ];
}

/** Decodes the first seconds of the source and stops at the first error: catches corrupt data early. */
export function buildDecodeCheckArgs(sourcePath: string, seconds: number): string[] {
  return [
    '-hide_banner',
    '-nostdin',
    '-v',
    'error',
    '-xerror',
    '-t',
    String(seconds),
    '-i',
    sourcePath,
    '-map',
    '0:v:0',
    '-f',
    'null',
    '-',
  ];
}

function round3(value: number): number {
  return Math.round(value * 1000) / 1000;
}
