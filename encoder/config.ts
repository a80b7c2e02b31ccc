import { createRequire } from 'node:module';
import { z } from 'zod';
import { envValue, loadConfig } from '../common/config.js';

/** Where the encoder finds its tools. */
export interface EncoderToolsConfig {
  ffmpegPath: string;
  ffprobePath: string;
  /** VMAF model: a `.pkl` for libvmaf 1.x or a `.json` for 2.x; unset means libvmaf's built-in model (2.x only). */
  vmafModelPath: string | undefined;
}

const schema = z.object({
  /** The FFmpeg binary; default: the static build in the `@ffmpeg-installer/ffmpeg` package. */
  ffmpegPath: z.string().min(1),
  /** The ffprobe binary; default: the static build in the `@ffprobe-installer/ffprobe` package. */
  ffprobePath: z.string().min(1),
  /** VMAF model: `.pkl` (with its `.pkl.model`) for libvmaf 1.x, `.json` for 2.x; unset: libvmaf 2.x's built-in model. */
  vmafModelPath: z.string().min(1).optional(),
});

const require = createRequire(import.meta.url);

function bundledPath(packageName: string): string | undefined {
  try {
    const mod = require(packageName) as { path?: unknown };
    return typeof mod.path === 'string' ? mod.path : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Tool paths from the environment (`FFMPEG_PATH`, `FFPROBE_PATH`, `VMAF_MODEL_PATH`), falling back to
 * the static FFmpeg and ffprobe builds shipped in npm packages.
 */
export function encoderToolsConfigFromEnv(
  env: Readonly<Record<string, string | undefined>> = process.env,
): Readonly<EncoderToolsConfig> {
  const parsed = loadConfig(
    schema,
    {
      ffmpegPath: envValue(env, 'FFMPEG_PATH') ?? bundledPath('@ffmpeg-installer/ffmpeg') ?? 'ffmpeg',
      ffprobePath: envValue(env, 'FFPROBE_PATH') ?? bundledPath('@ffprobe-installer/ffprobe') ?? 'ffprobe',
      vmafModelPath: envValue(env, 'VMAF_MODEL_PATH'),
    },
    'encoder environment',
  );
  return Object.freeze({ ...parsed, vmafModelPath: parsed.vmafModelPath });
}
