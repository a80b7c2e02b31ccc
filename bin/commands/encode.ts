import { Command, Option } from 'commander';
import { CdnError } from '../../common/errors.js';
import {
  encodeTitle,
  parseResolution,
  type EncodeOptionsInput,
  type LadderFile,
  X264_PRESETS,
} from '../../encoder/index.js';
import { numberOption, positiveInteger, positiveNumber, withInterrupt } from '../cli.js';
import { createProgressReporter } from '../progress.js';
import { formatPackageSummary, runPackaging } from './package.js';

interface EncodeCliOptions {
  out: string;
  force?: boolean;
  metric: 'vmaf' | 'psnr' | 'ssim';
  target?: number;
  floor?: number;
  floorKbps?: number;
  maxKbps?: number;
  step?: number;
  ratio?: number;
  maxRungs?: number;
  resolutions?: string;
  samples?: number;
  sampleDuration?: number;
  segmentDuration?: number;
  gop?: number;
  preset?: string;
  searchPreset?: string;
  subsample?: number;
  audioKbps?: number;
  concurrency?: number;
  verify: boolean;
  compareFixed?: boolean;
  json?: boolean;
  package?: string;
  titleId?: string;
}

/** Maps the command line onto the encoder's options (validated by the encoder itself). */
export function encodeOptionsFromCli(o: EncodeCliOptions): EncodeOptionsInput {
  const input: EncodeOptionsInput = { outDir: o.out, metric: o.metric, verifyRungs: o.verify };
  if (o.force) input.overwrite = true;
  if (o.target !== undefined) input.targetQuality = o.target;
  if (o.floor !== undefined) input.floorQuality = o.floor;
  if (o.floorKbps !== undefined) input.floorBitrateKbps = o.floorKbps;
  if (o.maxKbps !== undefined) input.maxBitrateKbps = o.maxKbps;
  if (o.step !== undefined) input.qualityStep = o.step;
  if (o.ratio !== undefined) input.minBitrateRatio = o.ratio;
  if (o.maxRungs !== undefined) input.maxRungs = o.maxRungs;
  if (o.samples !== undefined) input.sampleCount = o.samples;
  if (o.sampleDuration !== undefined) input.sampleDurationS = o.sampleDuration;
  if (o.segmentDuration !== undefined) input.segmentDurationS = o.segmentDuration;
  if (o.gop !== undefined) input.gopDurationS = o.gop;
  if (o.preset !== undefined) input.preset = o.preset as NonNullable<EncodeOptionsInput['preset']>;
  if (o.searchPreset !== undefined)
    input.searchPreset = o.searchPreset as NonNullable<EncodeOptionsInput['searchPreset']>;
  if (o.subsample !== undefined) input.vmafSubsample = o.subsample;
  if (o.audioKbps !== undefined) input.audioBitrateKbps = o.audioKbps;
  if (o.concurrency !== undefined) input.concurrency = o.concurrency;
  if (o.compareFixed) input.compareFixed = true;
  if (o.resolutions !== undefined) {
    input.resolutions = o.resolutions.split(',').map((text) => {
      const r = parseResolution(text);
      if (!r) throw new CdnError('CDN_ERR_USAGE', `--resolutions: '${text}' is not WIDTHxHEIGHT`);
      return r;
    });
  }
  return input;
}

/** A plain-text table of the ladder for the terminal. */
export function formatLadderSummary(ladder: LadderFile): string {
  const metric = ladder.metric.name.toUpperCase();
  const lines = [
    `${ladder.rungs.length} rungs, metric ${metric}${ladder.metric.model ? ` (${ladder.metric.model})` : ''}, ${ladder.probes.length} probes`,
    `rung  resolution   crf   avg kbit/s  peak kbit/s  ${metric} mean  harmonic     p5`,
  ];
  for (const r of ladder.rungs) {
    const q = r.quality;
    lines.push(
      [
        r.id.padEnd(4),
        `${r.resolution.width}x${r.resolution.height}`.padEnd(11),
        r.crf.toFixed(1).padStart(5),
        r.averageBitrateKbps.toFixed(0).padStart(11),
        r.peakBitrateKbps.toFixed(0).padStart(12),
        (q ? q.mean.toFixed(2) : `~${r.predicted.quality.toFixed(2)}`).padStart(10),
        (q ? q.harmonicMean.toFixed(2) : '-').padStart(9),
        (q ? q.p5.toFixed(2) : '-').padStart(6),
      ].join(' '),
    );
  }
  if (ladder.fixedLadder) {
    const bd = ladder.fixedLadder.bdRatePercent;
    lines.push(
      bd === null
        ? 'BD-rate against the fixed ladder: not computable (the ladders do not overlap in quality)'
        : `BD-rate against Apple's fixed ladder: ${bd > 0 ? '+' : ''}${bd.toFixed(1)}% (${bd < 0 ? 'fewer' : 'more'} bits for the same ${metric})`,
    );
  }
  const t = ladder.timings;
  lines.push(
    `time: search ${((t.searchMs ?? 0) / 1000).toFixed(1)} s, encodes ${((t.encodeMs ?? 0) / 1000).toFixed(1)} s, measure ${((t.measureMs ?? 0) / 1000).toFixed(1)} s, total ${((t.totalMs ?? 0) / 1000).toFixed(1)} s`,
  );
  return lines.join('\n');
}

export function encodeCommand(): Command {
  const presets = [...X264_PRESETS];
  return new Command('encode')
    .description('Encode a source into a per-title bitrate ladder (FFmpeg + VMAF) and write ladder.json')
    .argument('<source>', 'source media file')
    .requiredOption('-o, --out <dir>', 'output directory (must not exist unless --force)')
    .option('-f, --force', 'replace an existing output directory')
    .addOption(
      new Option('-m, --metric <metric>', 'quality metric').choices(['vmaf', 'psnr', 'ssim']).default('vmaf'),
    )
    .option('--target <quality>', 'top rung quality (VMAF default 95)', numberOption('--target'))
    .option('--floor <quality>', 'bottom rung quality (VMAF default 45)', numberOption('--floor'))
    .option(
      '--floor-kbps <kbps>',
      'bottom rung never below this rate (default 200)',
      positiveNumber('--floor-kbps'),
    )
    .option('--max-kbps <kbps>', 'cap on the top rung rate', positiveNumber('--max-kbps'))
    .option('--step <quality>', 'quality gap between rungs (VMAF default 6)', positiveNumber('--step'))
    .option('--ratio <ratio>', 'minimum bitrate ratio between rungs (default 1.5)', positiveNumber('--ratio'))
    .option('--max-rungs <n>', 'most rungs (default 10)', positiveInteger('--max-rungs'))
    .option('--resolutions <list>', 'candidate resolutions, e.g. 1920x1080,1280x720,640x360')
    .option('--samples <n>', 'sample count (default: one per minute, 2 to 20)', positiveInteger('--samples'))
    .option(
      '--sample-duration <s>',
      'sample length in seconds (default 4)',
      positiveNumber('--sample-duration'),
    )
    .option(
      '--segment-duration <s>',
      'segment duration in seconds (default 4)',
      positiveNumber('--segment-duration'),
    )
    .option('--gop <s>', 'GOP length in seconds (default 2)', positiveNumber('--gop'))
    .addOption(
      new Option('--preset <preset>', 'x264 preset of the final encodes (default medium)').choices(presets),
    )
    .addOption(
      new Option(
        '--search-preset <preset>',
        'x264 preset of the search probes (default: the final preset)',
      ).choices(presets),
    )
    .option('--subsample <n>', 'VMAF on every n-th frame (default 5)', positiveInteger('--subsample'))
    .option('--audio-kbps <kbps>', 'AAC bitrate (default 128)', positiveInteger('--audio-kbps'))
    .option('--concurrency <n>', 'encodes at once (default: cores / 2)', positiveInteger('--concurrency'))
    .option('--no-verify', 'skip measuring the final renditions against the whole source')
    .option('--compare-fixed', "also encode Apple's fixed H.264 ladder and report the BD-rate against it")
    .option('--json', 'print ladder.json (title.json with --package) to standard output instead of the table')
    .option(
      '--package <dir>',
      'then package the renditions into DASH + HLS in this directory (see cdn package)',
    )
    .option('--title-id <id>', "title id of the package (default: the package directory's name)")
    .addHelpText(
      'after',
      `
Environment:
  FFMPEG_PATH, FFPROBE_PATH  use these FFmpeg/ffprobe binaries instead of the bundled static builds
  VMAF_MODEL_PATH            VMAF model (.pkl for libvmaf 1.x, .json for 2.x)

Exit codes: 0 done, 1 failed or cancelled, 2 bad usage.`,
    )
    .action(async (source: string, opts: EncodeCliOptions) => {
      const input = encodeOptionsFromCli(opts);
      if (opts.titleId !== undefined && opts.package === undefined) {
        throw new CdnError('CDN_ERR_USAGE', '--title-id needs --package');
      }
      const progress = createProgressReporter();
      try {
        const result = await withInterrupt((signal) =>
          encodeTitle(source, input, { signal, onProgress: (p) => progress.update(p) }),
        );
        const packaged =
          opts.package === undefined
            ? undefined
            : await runPackaging(
                result.outDir,
                {
                  out: opts.package,
                  ...(opts.titleId !== undefined ? { titleId: opts.titleId } : {}),
                  ...(opts.force ? { force: true } : {}),
                },
                progress,
              );
        progress.stop();
        if (opts.json) {
          process.stdout.write(`${JSON.stringify(packaged?.title ?? result.ladder, null, 2)}\n`);
          return;
        }
        process.stdout.write(`${formatLadderSummary(result.ladder)}\nwrote ${result.outDir}\n`);
        if (packaged) process.stdout.write(`${formatPackageSummary(packaged.title, packaged.outDir)}\n`);
      } finally {
        progress.stop();
      }
    });
}
