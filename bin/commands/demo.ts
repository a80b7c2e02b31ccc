import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Command, Option } from 'commander';
import {
  detectTools,
  encodeTitle,
  encoderToolsConfigFromEnv,
  makeSyntheticSource,
  SYNTHETIC_PATTERNS,
  type SyntheticPattern,
} from '../../encoder/index.js';
import { positiveNumber, withInterrupt } from '../cli.js';
import { packageTitle } from '../../manifests/index.js';
import { createProgressReporter } from '../progress.js';
import { formatPackageSummary } from './package.js';
import { formatLadderSummary } from './encode.js';

interface DemoOptions {
  source?: string;
  out?: string;
  duration: number;
  pattern: SyntheticPattern;
  metric: 'vmaf' | 'psnr' | 'ssim';
}

export function demoCommand(): Command {
  return new Command('demo')
    .description(
      'Run the product end to end on an embedded default: make a title, search its per-title ladder with VMAF, encode it and compare it with a fixed ladder',
    )
    .option('--source <file>', 'use this source instead of a generated one')
    .option('--out <dir>', 'where to write the renditions (default: a new temporary directory)')
    .option('--duration <s>', 'length of the generated title in seconds', positiveNumber('--duration'), 20)
    .addOption(
      new Option('--pattern <name>', 'generated content')
        .choices([...SYNTHETIC_PATTERNS])
        .default('moderate'),
    )
    .addOption(
      new Option('-m, --metric <metric>', 'quality metric').choices(['vmaf', 'psnr', 'ssim']).default('vmaf'),
    )
    .action(async (opts: DemoOptions) => {
      const progress = createProgressReporter();
      try {
        await withInterrupt(async (signal) => {
          const tools = await detectTools(encoderToolsConfigFromEnv(), signal);
          const workDir = opts.out ? resolve(opts.out) : await mkdtemp(join(tmpdir(), 'cdn-demo-'));
          process.stderr.write(`demo: ${tools.ffmpegVersion}; metric ${opts.metric}; output in ${workDir}\n`);
          let source = opts.source;
          if (!source) {
            source = join(workDir, `source-${opts.pattern}.mp4`);
            process.stderr.write(
              `demo: generating a ${opts.duration} s 1280x720 '${opts.pattern}' title with audio\n`,
            );
            await makeSyntheticSource(
              tools.ffmpegPath,
              {
                pattern: opts.pattern,
                resolution: { width: 1280, height: 720 },
                durationS: opts.duration,
                fps: 30,
                audio: true,
              },
              source,
              { signal },
            );
          }
          const result = await encodeTitle(
            source,
            { outDir: join(workDir, 'renditions'), overwrite: true, metric: opts.metric, compareFixed: true },
            { signal, tools, onProgress: (p) => progress.update(p) },
          );
          const packaged = await packageTitle(
            result.outDir,
            { outDir: join(workDir, 'package'), overwrite: true, titleId: 'demo' },
            { signal, onProgress: (p) => progress.update(p) },
          );
          progress.stop();
          process.stdout.write(
            `${formatLadderSummary(result.ladder)}\nrenditions and ladder.json in ${result.outDir}\n` +
              `${formatPackageSummary(packaged.title, packaged.outDir)}\n`,
          );
        });
      } finally {
        progress.stop();
      }
    });
}
