import { access, constants } from 'node:fs/promises';
import { CdnError } from '../common/errors.js';
import type { VmafSetup } from './argv.js';
import type { EncoderToolsConfig } from './config.js';
import { EncoderErrorCode, encoderError } from './errors.js';
import { runFfmpeg } from './ffmpeg.js';
import type { QualityMetric } from './ladder/types.js';

/** The libvmaf filter flavour, read from `ffmpeg -h filter=libvmaf`. */
export type LibvmafFlavour = 'none' | 'libvmaf1' | 'libvmaf2';

/** libvmaf 1.x takes `model_path`; 2.x replaced it with `model` (and built-in model versions). */
export function parseLibvmafFlavour(filterHelp: string): LibvmafFlavour {
  if (!/Filter libvmaf/.test(filterHelp)) return 'none';
  if (/^\s*model_path\s/m.test(filterHelp)) return 'libvmaf1';
  if (/^\s*model\s/m.test(filterHelp)) return 'libvmaf2';
  return 'none';
}

/** The built-in model libvmaf 2.x uses when no model file is given. */
export const BUILT_IN_VMAF_MODEL = 'vmaf_v0.6.1';

const VMAF_HELP =
  'Get vmaf_v0.6.1.pkl and vmaf_v0.6.1.pkl.model (libvmaf 1.x) or vmaf_v0.6.1.json (libvmaf 2.x) from the model/ folder of the Netflix vmaf project and set VMAF_MODEL_PATH to the model file, or choose --metric psnr or --metric ssim.';

/**
 * Decides how VMAF is computed with this FFmpeg, or why it cannot be. Pure: the caller says which
 * files exist.
 */
export function resolveVmafSetup(input: {
  flavour: LibvmafFlavour;
  modelPath: string | undefined;
  modelExists: boolean;
  /** libvmaf 1.x reads `<model>.model` beside the `.pkl`. */
  modelSidecarExists: boolean;
}): VmafSetup | CdnError {
  const { flavour, modelPath } = input;
  if (flavour === 'none') {
    return encoderError(
      EncoderErrorCode.VmafUnavailable,
      `this FFmpeg has no libvmaf filter. Use an FFmpeg built with --enable-libvmaf (FFMPEG_PATH), or choose --metric psnr or --metric ssim.`,
    );
  }
  if (modelPath === undefined) {
    if (flavour === 'libvmaf2') return { flavour, modelPath: undefined, builtInVersion: BUILT_IN_VMAF_MODEL };
    return encoderError(
      EncoderErrorCode.VmafModelMissing,
      `VMAF_MODEL_PATH is not set and libvmaf 1.x has no built-in model. ${VMAF_HELP}`,
    );
  }
  if (!input.modelExists) {
    return encoderError(
      EncoderErrorCode.VmafModelMissing,
      `VMAF model not found at ${modelPath}. ${VMAF_HELP}`,
    );
  }
  if (flavour === 'libvmaf1') {
    if (!modelPath.endsWith('.pkl')) {
      return encoderError(
        EncoderErrorCode.VmafModelIncompatible,
        `this FFmpeg has libvmaf 1.x, which needs a .pkl model, but VMAF_MODEL_PATH is ${modelPath}. ${VMAF_HELP}`,
      );
    }
    if (!input.modelSidecarExists) {
      return encoderError(
        EncoderErrorCode.VmafModelMissing,
        `${modelPath}.model is missing beside the .pkl model. ${VMAF_HELP}`,
      );
    }
    return { flavour, modelPath };
  }
  if (!modelPath.endsWith('.json')) {
    return encoderError(
      EncoderErrorCode.VmafModelIncompatible,
      `this FFmpeg has libvmaf 2.x, which needs a .json model, but VMAF_MODEL_PATH is ${modelPath}. ${VMAF_HELP}`,
    );
  }
  return { flavour, modelPath, builtInVersion: BUILT_IN_VMAF_MODEL };
}

export interface EncoderTools {
  ffmpegPath: string;
  ffprobePath: string;
  ffmpegVersion: string;
  libvmaf: LibvmafFlavour;
  /** Present when VMAF can be computed; otherwise the reason it cannot. */
  vmaf: VmafSetup | CdnError;
}

async function exists(path: string): Promise<boolean> {
  try {
    await access(path, constants.R_OK);
    return true;
  } catch {
    return false;
  }
}

/** Checks the configured FFmpeg and ffprobe, and what VMAF support they offer. */
export async function detectTools(config: EncoderToolsConfig, signal?: AbortSignal): Promise<EncoderTools> {
  const timeoutMs = 20_000; // a version query takes milliseconds; 20 s only guards against a hung binary
  const opts = { timeoutMs, captureStdout: true, ...(signal ? { signal } : {}) };
  const version = await runFfmpeg(config.ffmpegPath, ['-hide_banner', '-version'], opts);
  await runFfmpeg(config.ffprobePath, ['-hide_banner', '-version'], opts);
  const help = await runFfmpeg(config.ffmpegPath, ['-hide_banner', '-h', 'filter=libvmaf'], opts);
  const flavour = parseLibvmafFlavour(help.stdout);
  const modelPath = config.vmafModelPath;
  const vmaf = resolveVmafSetup({
    flavour,
    modelPath,
    modelExists: modelPath !== undefined && (await exists(modelPath)),
    modelSidecarExists: modelPath !== undefined && (await exists(`${modelPath}.model`)),
  });
  return {
    ffmpegPath: config.ffmpegPath,
    ffprobePath: config.ffprobePath,
    ffmpegVersion: version.stdout.split('\n')[0]?.trim() ?? 'unknown',
    libvmaf: flavour,
    vmaf,
  };
}

/** The VMAF setup for a run, or the coded error that explains how to get VMAF. */
export function requireMetric(tools: EncoderTools, metric: QualityMetric): VmafSetup | undefined {
  if (metric !== 'vmaf') return undefined;
  if (tools.vmaf instanceof CdnError) throw tools.vmaf;
  return tools.vmaf;
}

/** The model's name for reports: the file name, or the built-in version. */
export function vmafModelName(setup: VmafSetup): string {
  if (setup.modelPath !== undefined) return setup.modelPath.split(/[\\/]/).pop() ?? setup.modelPath;
  return setup.flavour === 'libvmaf2' ? setup.builtInVersion : 'unknown';
}
