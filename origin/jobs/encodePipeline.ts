import { join } from 'node:path';
import {
  detectTools,
  encodeTitle,
  encoderToolsConfigFromEnv,
  type EncodeOptionsInput,
  type EncoderTools,
} from '../../encoder/index.js';
import { packageTitle } from '../../manifests/index.js';
import type { ContentStore } from '../store/types.js';
import type { JobPipeline } from './pipeline.js';
import { jobStateForEncodePhase, jobStateForPackagePhase, overallPercent } from './states.js';

export interface EncodePipelineOptions {
  store: ContentStore;
  /** FFmpeg/ffprobe/VMAF, detected once from the environment on first use when not given. */
  tools?: EncoderTools;
  /** Encodes at once inside one job (default: the encoder's, cores / 2). */
  encodeConcurrency?: number;
  /** shaka-packager binary (default: from SHAKA_PACKAGER_PATH or the npm package). */
  packagerPath?: string;
}

/**
 * The real job: encodeTitle (probing, searching, encoding) → packageTitle (packaging) →
 * store.publish (publishing), everything intermediate inside the job's work directory. The abort
 * signal reaches FFmpeg and shaka-packager, which are stopped with their process trees.
 */
export function createEncodePipeline(options: EncodePipelineOptions): JobPipeline {
  let tools: Promise<EncoderTools> | undefined = options.tools ? Promise.resolve(options.tools) : undefined;
  const getTools = (signal: AbortSignal): Promise<EncoderTools> => {
    tools ??= detectTools(encoderToolsConfigFromEnv(), signal).catch((err: unknown) => {
      tools = undefined; // detect again next time (a transient failure or an abort)
      throw err;
    });
    return tools;
  };

  return async (job, { signal, workDir, report }) => {
    const renditionsDir = join(workDir, 'renditions');
    const packageDir = join(workDir, 'package');
    report('probing', 0, 'detecting the encoder tools');
    const encoderTools = await getTools(signal);
    const encodeOptions: EncodeOptionsInput = {
      ...(job.encode as EncodeOptionsInput),
      outDir: renditionsDir,
      ...(options.encodeConcurrency !== undefined ? { concurrency: options.encodeConcurrency } : {}),
    };
    await encodeTitle(job.source.path, encodeOptions, {
      signal,
      tools: encoderTools,
      onProgress: (p) =>
        report(jobStateForEncodePhase(p.phase), overallPercent('encode', p.percent), p.message),
    });
    report('packaging', overallPercent('package', 0), 'packaging');
    await packageTitle(
      renditionsDir,
      { outDir: packageDir, titleId: job.titleId },
      {
        signal,
        ...(options.packagerPath !== undefined ? { packagerPath: options.packagerPath } : {}),
        onProgress: (p) =>
          report(jobStateForPackagePhase(p.phase), overallPercent('package', p.percent), p.message),
      },
    );
    report('publishing', overallPercent('publish', 0), 'publishing');
    const published = await options.store.publish(packageDir, { signal });
    report(
      'publishing',
      overallPercent('publish', 100),
      `published ${published.titleId} ${published.version}`,
    );
    return { version: published.version, publishedAt: published.publishedAt };
  };
}
