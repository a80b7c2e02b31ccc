import { CommonErrorCode, isCdnError } from '../common/errors.js';
import { runProcess, type ProcessResult } from '../common/process.js';
import { EncoderErrorCode, encoderError } from './errors.js';

/** FFmpeg's `-progress` output: `key=value` lines, a block ending in `progress=continue|end`. */
export function parseProgressSeconds(line: string): number | undefined {
  // out_time_us is microseconds; old builds print the same value as out_time_ms (a misnomer).
  const match = /^out_time_(?:us|ms)=(\d+)$/.exec(line.trim());
  if (!match) return undefined;
  return Number(match[1]) / 1_000_000;
}

export interface FfmpegRunOptions {
  signal?: AbortSignal;
  timeoutMs?: number;
  /** Length of the media being processed, to turn progress into a fraction. */
  expectedDurationS?: number;
  /** Fraction done, 0..1. */
  onFraction?: (fraction: number) => void;
  captureStdout?: boolean;
  cwd?: string;
}

/** Maps the runner's generic failures to the encoder's codes. */
export function toEncoderError(err: unknown, tool: string): unknown {
  if (!isCdnError(err)) return err;
  const mapped: Record<string, EncoderErrorCode> = {
    [CommonErrorCode.ProcessSpawn]: EncoderErrorCode.FfmpegNotFound,
    [CommonErrorCode.ProcessExit]: EncoderErrorCode.FfmpegExit,
    [CommonErrorCode.ProcessTimeout]: EncoderErrorCode.FfmpegTimeout,
    [CommonErrorCode.Aborted]: EncoderErrorCode.Cancelled,
  };
  const code = mapped[err.code];
  if (code === undefined) return err;
  const message =
    code === EncoderErrorCode.FfmpegNotFound
      ? `${err.message} (install FFmpeg, or set ${tool === 'ffprobe' ? 'FFPROBE_PATH' : 'FFMPEG_PATH'})`
      : err.message;
  return encoderError(code, message, { cause: err, ...(err.details ? { details: err.details } : {}) });
}

/** Runs FFmpeg (or ffprobe) with the product's process runner, reporting progress as a fraction. */
export async function runFfmpeg(
  binaryPath: string,
  args: readonly string[],
  options: FfmpegRunOptions = {},
): Promise<ProcessResult> {
  const expected = options.expectedDurationS;
  const onFraction = options.onFraction;
  try {
    return await runProcess(binaryPath, args, {
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.timeoutMs !== undefined ? { timeoutMs: options.timeoutMs } : {}),
      ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
      captureStdout: options.captureStdout ?? false,
      ...(onFraction && expected !== undefined && expected > 0
        ? {
            onStdoutLine: (line: string) => {
              const seconds = parseProgressSeconds(line);
              if (seconds !== undefined) onFraction(Math.min(1, seconds / expected));
            },
          }
        : {}),
    });
  } catch (err) {
    throw toEncoderError(err, binaryPath.includes('ffprobe') ? 'ffprobe' : 'ffmpeg');
  }
}
