import { Command } from 'commander';
import { packageTitle, type PackageResult, type TitleFile } from '../../manifests/index.js';
import { positiveNumber, withInterrupt } from '../cli.js';
import { createProgressReporter, type ProgressReporter } from '../progress.js';

/** A plain-text summary of a title package for the terminal. */
export function formatPackageSummary(title: TitleFile, outDir: string): string {
  const lines = [
    `title ${title.id} version ${title.version}: ${title.durationS.toFixed(2)} s, ${title.tracks.length} tracks, ${(title.totalSizeBytes / 1e6).toFixed(2)} MB`,
    'track  type   resolution  codecs          avg kbit/s  peak kbit/s  segments  quality',
  ];
  for (const t of title.tracks) {
    lines.push(
      [
        t.id.padEnd(6),
        t.type.padEnd(6),
        (t.width !== undefined && t.height !== undefined ? `${t.width}x${t.height}` : '-').padEnd(11),
        t.codecs.padEnd(15),
        (t.averageBandwidthBps / 1000).toFixed(0).padStart(10),
        (t.peakBandwidthBps / 1000).toFixed(0).padStart(12),
        String(t.segments.length).padStart(9),
        t.quality ? `  ${t.quality.metric.toUpperCase()} ${t.quality.mean.toFixed(2)}` : '  -',
      ].join(' '),
    );
  }
  lines.push(`DASH ${outDir}/${title.manifests.dash}`, `HLS  ${outDir}/${title.manifests.hls}`);
  return lines.join('\n');
}

/** Runs packageTitle with progress and Ctrl-C handling; shared by `cdn package` and `cdn encode --package`. */
export async function runPackaging(
  renditionsDir: string,
  options: { out: string; titleId?: string; force?: boolean; minBufferTime?: number },
  progress: ProgressReporter,
): Promise<PackageResult> {
  return withInterrupt((signal) =>
    packageTitle(
      renditionsDir,
      {
        outDir: options.out,
        ...(options.titleId !== undefined ? { titleId: options.titleId } : {}),
        ...(options.force ? { overwrite: true } : {}),
        ...(options.minBufferTime !== undefined ? { minBufferTimeS: options.minBufferTime } : {}),
      },
      { signal, onProgress: (p) => progress.update(p) },
    ),
  );
}

interface PackageCliOptions {
  out: string;
  titleId?: string;
  force?: boolean;
  minBufferTime?: number;
  json?: boolean;
}

export function packageCommand(): Command {
  return new Command('package')
    .description(
      'Package an encoder output (ladder.json + renditions) into CMAF segments with DASH and HLS manifests (shaka-packager)',
    )
    .argument('<renditions-dir>', 'directory written by cdn encode')
    .requiredOption('-o, --out <dir>', 'package directory (must not exist unless --force)')
    .option('--title-id <id>', "title id (default: the package directory's name)")
    .option('-f, --force', 'replace an existing package directory')
    .option(
      '--min-buffer-time <s>',
      'DASH minBufferTime in seconds (default 2)',
      positiveNumber('--min-buffer-time'),
    )
    .option('--json', 'print title.json to standard output instead of the summary')
    .addHelpText(
      'after',
      `
Output: manifest.mpd, master.m3u8, video/<rung>/{init.mp4,NNNNN.m4s,playlist.m3u8},
audio/<id>/..., ladder.json and title.json (tracks, segments with sizes and SHA-256).

Environment:
  SHAKA_PACKAGER_PATH  use this shaka-packager binary instead of the one in the npm package

Exit codes: 0 done, 1 failed or cancelled, 2 bad usage.`,
    )
    .action(async (renditionsDir: string, opts: PackageCliOptions) => {
      const progress = createProgressReporter();
      try {
        const result = await runPackaging(renditionsDir, opts, progress);
        progress.stop();
        process.stdout.write(
          opts.json
            ? `${JSON.stringify(result.title, null, 2)}\n`
            : `${formatPackageSummary(result.title, result.outDir)}\n`,
        );
      } finally {
        progress.stop();
      }
    });
}
