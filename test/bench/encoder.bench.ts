/**
 * Encoder benchmark (not part of CI): `npm run bench:encoder`.
 *
 * On three synthetic 1080p contents of clearly different complexity (20 s each) it measures, in the
 * same run: the per-title ladder against Apple's fixed H.264 ladder (BD-rate on VMAF, from full-length
 * encodes of both measured the same way), the time of the ladder search relative to the final encodes
 * of the chosen ladder, and VMAF throughput at 1080p and 540p.
 *
 * Environment: VMAF_MODEL_PATH (required), BENCH_DURATION_S (default 20), BENCH_PATTERNS
 * (default simple,moderate,noisy), BENCH_OUT (JSON results file).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildQualityArgs, buildVideoEncodeArgs, frameRateValue } from '../../encoder/argv.js';
import { runFfmpeg } from '../../encoder/ffmpeg.js';
import {
  detectTools,
  encodeTitle,
  encoderToolsConfigFromEnv,
  makeSyntheticSource,
  type LadderFile,
  type SyntheticPattern,
} from '../../encoder/index.js';
import { requireMetric } from '../../encoder/tools.js';

const durationS = Number(process.env.BENCH_DURATION_S ?? 20);
const patterns = (process.env.BENCH_PATTERNS ?? 'simple,moderate,noisy').split(',') as SyntheticPattern[];
const fps = 30;

function median(values: number[]): number {
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

async function main(): Promise<void> {
  const tools = await detectTools(encoderToolsConfigFromEnv());
  const vmaf = requireMetric(tools, 'vmaf');
  const workDir = await mkdtemp(join(tmpdir(), 'cdn-bench-encoder-'));
  console.log(
    `encoder benchmark: ${tools.ffmpegVersion}; ${patterns.length} contents, 1920x1080 ${durationS} s @${fps}; work in ${workDir}`,
  );
  const rows: { pattern: string; ladder: LadderFile }[] = [];
  try {
    for (const pattern of patterns) {
      const source = join(workDir, `${pattern}.mp4`);
      await makeSyntheticSource(
        tools.ffmpegPath,
        { pattern, resolution: { width: 1920, height: 1080 }, durationS, fps, audio: true },
        source,
      );
      const started = performance.now();
      const { ladder } = await encodeTitle(
        source,
        { outDir: join(workDir, `${pattern}-out`), compareFixed: true },
        {
          tools,
          onProgress: (p) => {
            if (p.phase !== 'searching' || p.message.startsWith('probe'))
              process.stderr.write(`  [${pattern} ${p.phase} ${p.percent}%] ${p.message}\n`);
          },
        },
      );
      const t = ladder.timings;
      console.log(
        `${pattern}: done in ${((performance.now() - started) / 1000).toFixed(0)} s; ${ladder.rungs.length} rungs, BD-rate ${ladder.fixedLadder?.bdRatePercent ?? 'n/a'}%, search ${((t.searchMs ?? 0) / 1000).toFixed(1)} s / encodes ${((t.encodeMs ?? 0) / 1000).toFixed(1)} s = ${((t.searchMs ?? 0) / (t.encodeMs ?? 1)).toFixed(2)}x, ${ladder.probes.length} probes`,
      );
      rows.push({ pattern, ladder });
      await rm(join(workDir, `${pattern}-out`), { recursive: true, force: true });
    }

    // VMAF throughput: a 1080p reference against a 540p encode (upscaled) and a 540p reference against
    // a 270p encode, every frame and every 5th frame, two threads.
    const vmafRows: { reference: string; subsample: number; framesPerS: number }[] = [];
    const moderate = join(workDir, `${patterns[0]}.mp4`);
    for (const [w, h] of [
      [1920, 1080],
      [960, 540],
    ] as const) {
      const reference = join(workDir, `ref-${h}.mp4`);
      const distorted = join(workDir, `dist-${h}.mp4`);
      const frameRate = { num: fps, den: 1 };
      await runFfmpeg(
        tools.ffmpegPath,
        buildVideoEncodeArgs({
          inputPath: moderate,
          outPath: reference,
          resolution: { width: w, height: h },
          frameRate,
          rateControl: { kind: 'capped-crf', crf: 12, maxrateKbps: 50_000, bufsizeKbps: 100_000 },
          preset: 'veryfast',
          gopFrames: 60,
          threads: 0,
        }),
      );
      await runFfmpeg(
        tools.ffmpegPath,
        buildVideoEncodeArgs({
          inputPath: reference,
          outPath: distorted,
          resolution: { width: w / 2, height: h / 2 },
          frameRate,
          rateControl: { kind: 'capped-crf', crf: 28, maxrateKbps: 10_000, bufsizeKbps: 20_000 },
          preset: 'veryfast',
          gopFrames: 60,
          threads: 0,
        }),
      );
      for (const subsample of [1, 5]) {
        const runs: number[] = [];
        for (let i = 0; i < 3; i++) {
          const t = performance.now();
          await runFfmpeg(
            tools.ffmpegPath,
            buildQualityArgs({
              distortedPath: distorted,
              referencePath: reference,
              referenceResolution: { width: w, height: h },
              frameRate,
              metric: 'vmaf',
              ...(vmaf ? { vmaf } : {}),
              logPath: join(workDir, 'vmaf.json'),
              threads: 2,
              subsample,
            }),
          );
          runs.push((durationS * frameRateValue(frameRate)) / ((performance.now() - t) / 1000));
        }
        vmafRows.push({ reference: `${w}x${h}`, subsample, framesPerS: median(runs) });
      }
    }

    console.log('\nper-title vs fixed ladder (VMAF, full-length encodes of both, same preset)');
    console.log('content    rungs  fixed  BD-rate   search s  encode s  search/encode  probes');
    for (const { pattern, ladder } of rows) {
      const t = ladder.timings;
      console.log(
        [
          pattern.padEnd(9),
          String(ladder.rungs.length).padStart(6),
          String(ladder.fixedLadder?.rungs.length ?? 0).padStart(6),
          `${ladder.fixedLadder?.bdRatePercent?.toFixed(1) ?? 'n/a'}%`.padStart(8),
          ((t.searchMs ?? 0) / 1000).toFixed(1).padStart(9),
          ((t.encodeMs ?? 0) / 1000).toFixed(1).padStart(9),
          ((t.searchMs ?? 0) / (t.encodeMs ?? 1)).toFixed(2).padStart(14),
          String(ladder.probes.length).padStart(7),
        ].join(' '),
      );
      for (const r of ladder.rungs) {
        console.log(
          `    ${r.id} ${r.resolution.width}x${r.resolution.height} crf ${r.crf} ${r.averageBitrateKbps.toFixed(0)} kbit/s VMAF ${r.quality?.mean.toFixed(2)} (p5 ${r.quality?.p5.toFixed(2)})`,
        );
      }
      for (const r of ladder.fixedLadder?.rungs ?? []) {
        console.log(
          `    fixed ${r.resolution.width}x${r.resolution.height} ${r.averageBitrateKbps.toFixed(0)} kbit/s VMAF ${r.quality.mean.toFixed(2)}`,
        );
      }
    }
    const bds = rows
      .map((r) => r.ladder.fixedLadder?.bdRatePercent)
      .filter((v): v is number => typeof v === 'number');
    const ratios = rows.map((r) => (r.ladder.timings.searchMs ?? 0) / (r.ladder.timings.encodeMs ?? 1));
    console.log(
      `\nmean BD-rate ${(bds.reduce((a, b) => a + b, 0) / Math.max(1, bds.length)).toFixed(1)}% (goal <= -20%)`,
    );
    console.log(`median search/encode time ${median(ratios).toFixed(2)}x (goal <= 1.0x)`);
    console.log('\nVMAF throughput (libvmaf, 2 threads, median of 3)');
    for (const v of vmafRows)
      console.log(`  ${v.reference} n_subsample=${v.subsample}: ${v.framesPerS.toFixed(1)} frames/s`);
    if (process.env.BENCH_OUT) {
      await writeFile(process.env.BENCH_OUT, JSON.stringify({ rows, vmafRows }, null, 2));
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

await main();
