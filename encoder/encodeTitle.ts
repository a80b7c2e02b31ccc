import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import pLimit from 'p-limit';
import { isCdnError } from '../common/errors.js';
import { moveIntoPlace, pathExists, stagingPathFor } from '../common/files.js';
import {
  buildAudioEncodeArgs,
  buildPacketProbeArgs,
  buildSampleExtractArgs,
  buildVideoEncodeArgs,
  frameRateValue,
  sampleWindows,
  type RateControl,
} from './argv.js';
import { encoderToolsConfigFromEnv } from './config.js';
import { EncoderErrorCode, encoderError } from './errors.js';
import { runFfmpeg } from './ffmpeg.js';
import { bdRate } from './ladder/bdrate.js';
import type { QualityStats, Resolution } from './ladder/types.js';
import { LADDER_SCHEMA_VERSION, type LadderFile, type LadderRung } from './ladderFile.js';
import { measureQuality } from './measure.js';
import {
  candidateResolutions,
  defaultSampleCount,
  fixedLadderFor,
  maxrateKbpsFor,
  resolveEncodeSettings,
  type EncodeOptionsInput,
  type EncodeSettings,
} from './options.js';
import { bitrateSummary, keyframesAligned, keyframeTimesS, parsePacketJson } from './packets.js';
import { probeSource, type SourceFacts } from './probe.js';
import { searchLadder, type ProbeContext } from './search.js';
import { detectTools, requireMetric, vmafModelName, type EncoderTools } from './tools.js';

export type EncodePhase =
  'probing' | 'searching' | 'encoding' | 'measuring' | 'comparing' | 'writing' | 'done';

export interface EncodeProgress {
  phase: EncodePhase;
  /** Overall completion, 0..100. */
  percent: number;
  message: string;
}

export interface EncodeHooks {
  signal?: AbortSignal;
  onProgress?: (progress: EncodeProgress) => void;
  /** Tools already detected (saves the version checks); detected from the environment otherwise. */
  tools?: EncoderTools;
}

export interface EncodeResult {
  outDir: string;
  ladder: LadderFile;
}

/** Where each phase sits in the overall percentage. */
const PHASE_SPAN: Record<Exclude<EncodePhase, 'done'>, [number, number]> = {
  probing: [0, 2],
  searching: [2, 45],
  encoding: [45, 75],
  measuring: [75, 90],
  comparing: [90, 98],
  writing: [98, 100],
};

/**
 * Encodes a title into a per-title ladder: probe, ladder search on samples with VMAF (or PSNR/SSIM),
 * final encodes with aligned GOPs, measurement, and `ladder.json`. The output directory appears only
 * when everything succeeded; a failure or cancellation leaves nothing behind.
 */
export async function encodeTitle(
  sourcePath: string,
  options: EncodeOptionsInput,
  hooks: EncodeHooks = {},
): Promise<EncodeResult> {
  const settings = resolveEncodeSettings(options);
  const started = performance.now();
  const signal = hooks.signal;
  const outDir = resolve(settings.outDir);
  const report = (phase: Exclude<EncodePhase, 'done'>, fraction: number, message: string): void => {
    const [from, to] = PHASE_SPAN[phase];
    hooks.onProgress?.({
      phase,
      percent: Math.round((from + (to - from) * Math.min(1, Math.max(0, fraction))) * 10) / 10,
      message,
    });
  };

  if (!settings.overwrite && (await pathExists(outDir))) {
    throw encoderError(
      EncoderErrorCode.OutputExists,
      `output ${outDir} already exists (use --force to replace it)`,
    );
  }

  const tools = hooks.tools ?? (await detectTools(encoderToolsConfigFromEnv(), signal));
  report('probing', 0, `probing ${sourcePath}`);
  const facts = await probeSource(tools, sourcePath, signal);
  const vmaf = requireMetric(tools, settings.metric);
  report(
    'probing',
    1,
    `${facts.video.width}x${facts.video.height} ${facts.durationS.toFixed(1)} s, ${facts.audio.length} audio`,
  );

  await mkdir(dirname(outDir), { recursive: true });
  const workDir = await mkdtemp(join(tmpdir(), 'cdn-encode-'));
  const stagingDir = stagingPathFor(outDir);
  await mkdir(join(stagingDir, 'video'), { recursive: true });
  let succeeded = false;
  try {
    const ladder = await runPipeline({
      sourcePath,
      facts,
      settings,
      tools,
      vmaf,
      workDir,
      stagingDir,
      signal,
      report,
      started,
    });
    await writeFile(join(stagingDir, 'ladder.json'), `${JSON.stringify(ladder, null, 2)}\n`);
    report('writing', 0.5, `publishing ${outDir}`);
    signal?.throwIfAborted();
    await moveIntoPlace(stagingDir, outDir, {
      overwrite: settings.overwrite,
      existsError: () => encoderError(EncoderErrorCode.OutputExists, `output ${outDir} already exists`),
    });
    succeeded = true;
    report('writing', 1, `wrote ${outDir}`);
    hooks.onProgress?.({ phase: 'done', percent: 100, message: `${ladder.rungs.length} rungs in ${outDir}` });
    return { outDir, ladder };
  } catch (err) {
    if (signal?.aborted && !isCdnError(err, EncoderErrorCode.Cancelled)) {
      throw encoderError(EncoderErrorCode.Cancelled, 'encode cancelled', { cause: err });
    }
    if (isCdnError(err, 'CDN_ERR_ABORTED') || (err instanceof Error && err.name === 'AbortError')) {
      throw encoderError(EncoderErrorCode.Cancelled, 'encode cancelled', { cause: err });
    }
    throw err;
  } finally {
    await rm(workDir, { recursive: true, force: true });
    if (!succeeded) await rm(stagingDir, { recursive: true, force: true });
  }
}

interface PipelineInput {
  sourcePath: string;
  facts: SourceFacts;
  settings: Readonly<EncodeSettings>;
  tools: EncoderTools;
  vmaf: ReturnType<typeof requireMetric>;
  workDir: string;
  stagingDir: string;
  signal: AbortSignal | undefined;
  report: (phase: Exclude<EncodePhase, 'done'>, fraction: number, message: string) => void;
  started: number;
}

async function runPipeline(p: PipelineInput): Promise<LadderFile> {
  const { facts, settings, tools, signal, report } = p;
  const sig = signal ? { signal } : {};
  const frameRate = facts.video.frameRate;
  const fps = frameRateValue(frameRate);
  const gopFrames = Math.max(1, Math.round(settings.gopDurationS * fps));
  const referenceResolution: Resolution = { width: facts.video.width, height: facts.video.height };
  const resolutions = candidateResolutions(settings.resolutions, {
    width: facts.video.displayWidth,
    height: facts.video.displayHeight,
  });
  const timings: Record<string, number> = {};

  // 1. Samples: one lossless, constant-frame-rate reference for every probe.
  const searchStarted = performance.now();
  const count = settings.sampleCount ?? defaultSampleCount(facts.durationS);
  const windows = sampleWindows(facts.durationS, count, settings.sampleDurationS);
  const sampleDurationS = windows.reduce((sum, w) => sum + w.durationS, 0);
  const samplePath = join(p.workDir, 'samples.mp4');
  report('searching', 0, `cutting ${windows.length} sample(s), ${sampleDurationS.toFixed(1)} s`);
  await runFfmpeg(
    tools.ffmpegPath,
    buildSampleExtractArgs({ sourcePath: p.sourcePath, windows, frameRate, outPath: samplePath }),
    {
      ...sig,
      expectedDurationS: sampleDurationS,
    },
  );

  // 2. Ladder search.
  const ctx: ProbeContext = {
    ffmpegPath: tools.ffmpegPath,
    settings,
    metric: settings.metric,
    vmaf: p.vmaf,
    workDir: p.workDir,
    samplePath,
    sampleDurationS,
    referenceResolution,
    frameRate,
    signal,
  };
  const search = await searchLadder(ctx, resolutions, (probe, done, expected) =>
    report(
      'searching',
      done / expected,
      `probe ${probe.resolution.width}x${probe.resolution.height} crf ${probe.crf}: ${Math.round(probe.bitrateKbps)} kbit/s, ${settings.metric} ${probe.quality.toFixed(2)}`,
    ),
  );
  timings.searchMs = Math.round(performance.now() - searchStarted);
  if (search.rungs.length === 0) {
    throw encoderError(
      EncoderErrorCode.NoLadder,
      `no rung could be chosen for ${p.sourcePath} (${search.probes.length} probes)`,
    );
  }

  // 3. Final encodes, a concurrency limit at a time; audio alongside.
  const encodeStarted = performance.now();
  const limit = pLimit(settings.concurrency);
  let encodesDone = 0;
  const totalEncodes = search.rungs.length + (facts.audio.length > 0 ? 1 : 0);
  const rungFiles = search.rungs.map((rung, index) => ({
    rung,
    id: `v${index}`,
    file: `video/v${index}_${rung.resolution.width}x${rung.resolution.height}.mp4`,
  }));
  const encodeVideo = async (
    file: string,
    resolution: Resolution,
    rateControl: RateControl,
    dir: string,
  ): Promise<void> => {
    await runFfmpeg(
      tools.ffmpegPath,
      buildVideoEncodeArgs({
        inputPath: p.sourcePath,
        outPath: join(dir, file),
        resolution,
        frameRate,
        rateControl,
        preset: settings.preset,
        gopFrames,
        threads: settings.threadsPerEncode,
      }),
      sig,
    );
    encodesDone++;
    report('encoding', encodesDone / totalEncodes, `encoded ${file}`);
  };
  const audioFile = facts.audio.length > 0 ? `audio/a0_aac_${settings.audioBitrateKbps}k.mp4` : undefined;
  if (audioFile) await mkdir(join(p.stagingDir, 'audio'), { recursive: true });
  await Promise.all([
    ...rungFiles.map(({ rung, file }) =>
      limit(() => {
        const maxrateKbps = maxrateKbpsFor(rung.resolution, fps, settings.capBitsPerPixel);
        return encodeVideo(
          file,
          rung.resolution,
          {
            kind: 'capped-crf',
            crf: rung.crf,
            maxrateKbps,
            bufsizeKbps: maxrateKbps * settings.bufsizeFactor,
          },
          p.stagingDir,
        );
      }),
    ),
    ...(audioFile
      ? [
          limit(async () => {
            await runFfmpeg(
              tools.ffmpegPath,
              buildAudioEncodeArgs({
                sourcePath: p.sourcePath,
                audioIndex: 0,
                outPath: join(p.stagingDir, audioFile),
                bitrateKbps: settings.audioBitrateKbps,
              }),
              sig,
            );
            encodesDone++;
            report('encoding', encodesDone / totalEncodes, `encoded ${audioFile}`);
          }),
        ]
      : []),
  ]);
  timings.encodeMs = Math.round(performance.now() - encodeStarted);

  // 4. Analyse and measure the final renditions.
  const measureStarted = performance.now();
  const analysed = await Promise.all(
    rungFiles.map(({ file }) =>
      analyseVideo(tools, join(p.stagingDir, file), facts.durationS, settings, signal),
    ),
  );
  if (!keyframesAligned(analysed.map((a) => a.keyframesS))) {
    throw encoderError(
      EncoderErrorCode.GopMisaligned,
      'the renditions have misaligned keyframes; the ladder would not be switchable',
    );
  }
  const rungs: LadderRung[] = [];
  for (const [index, { rung, id, file }] of rungFiles.entries()) {
    const a = analysed[index]!;
    const quality = settings.verifyRungs
      ? await measureQuality(
          tools.ffmpegPath,
          {
            distortedPath: join(p.stagingDir, file),
            referencePath: p.sourcePath,
            referenceResolution,
            frameRate,
            metric: settings.metric,
            ...(p.vmaf ? { vmaf: p.vmaf } : {}),
            logPath: join(p.workDir, `${id}.${settings.metric}.log`),
            threads: settings.threadsPerEncode * settings.concurrency,
            subsample: settings.vmafSubsample,
          },
          { ...sig, expectedDurationS: facts.durationS },
        )
      : null;
    report(
      'measuring',
      (index + 1) / rungFiles.length,
      `measured ${file}${quality ? `: ${settings.metric} ${quality.mean.toFixed(2)}` : ''}`,
    );
    rungs.push({
      id,
      file,
      resolution: rung.resolution,
      crf: rung.crf,
      maxrateKbps: maxrateKbpsFor(rung.resolution, fps, settings.capBitsPerPixel),
      averageBitrateKbps: round1(a.summary.averageKbps),
      peakBitrateKbps: round1(a.summary.peakKbps),
      sizeBytes: a.summary.sizeBytes,
      frames: a.summary.frames,
      predicted: { bitrateKbps: round1(rung.predictedBitrateKbps), quality: round2(rung.predictedQuality) },
      quality: quality ? roundStats(quality) : null,
    });
  }
  timings.measureMs = Math.round(performance.now() - measureStarted);

  // 5. Optional baseline: Apple's fixed ladder, encoded and measured the same way.
  let fixedLadder: LadderFile['fixedLadder'] = null;
  if (settings.compareFixed) {
    const compareStarted = performance.now();
    const fixedDir = join(p.workDir, 'fixed');
    await mkdir(fixedDir, { recursive: true });
    const fixed = fixedLadderFor({ width: facts.video.displayWidth, height: facts.video.displayHeight });
    let done = 0;
    const fixedRungs = await Promise.all(
      fixed.map((f, index) =>
        limit(async () => {
          const file = `f${index}.mp4`;
          await runFfmpeg(
            tools.ffmpegPath,
            buildVideoEncodeArgs({
              inputPath: p.sourcePath,
              outPath: join(fixedDir, file),
              resolution: f.resolution,
              frameRate,
              // Apple's spec: peak within 110% of the average; 2 s of buffer at that ceiling.
              rateControl: {
                kind: 'abr',
                bitrateKbps: f.bitrateKbps,
                maxrateKbps: f.bitrateKbps * 1.1,
                bufsizeKbps: f.bitrateKbps * 2.2,
              },
              preset: settings.preset,
              gopFrames,
              threads: settings.threadsPerEncode,
            }),
            sig,
          );
          const a = await analyseVideo(tools, join(fixedDir, file), facts.durationS, settings, signal);
          const quality = await measureQuality(
            tools.ffmpegPath,
            {
              distortedPath: join(fixedDir, file),
              referencePath: p.sourcePath,
              referenceResolution,
              frameRate,
              metric: settings.metric,
              ...(p.vmaf ? { vmaf: p.vmaf } : {}),
              logPath: join(p.workDir, `f${index}.${settings.metric}.log`),
              threads: settings.threadsPerEncode,
              subsample: settings.vmafSubsample,
            },
            sig,
          );
          await rm(join(fixedDir, file), { force: true });
          done++;
          report(
            'comparing',
            done / fixed.length,
            `fixed ${f.resolution.width}x${f.resolution.height}@${f.bitrateKbps}k: ${settings.metric} ${quality.mean.toFixed(2)}`,
          );
          return {
            resolution: f.resolution,
            targetBitrateKbps: f.bitrateKbps,
            averageBitrateKbps: round1(a.summary.averageKbps),
            peakBitrateKbps: round1(a.summary.peakKbps),
            quality: roundStats(quality),
          };
        }),
      ),
    );
    const perTitlePoints = rungs.map((r) => ({
      bitrateKbps: r.averageBitrateKbps,
      quality: r.quality?.mean ?? r.predicted.quality,
    }));
    const fixedPoints = fixedRungs.map((r) => ({
      bitrateKbps: r.averageBitrateKbps,
      quality: r.quality.mean,
    }));
    const bd = bdRate(fixedPoints, perTitlePoints);
    fixedLadder = { rungs: fixedRungs, bdRatePercent: bd === undefined ? null : round2(bd) };
    timings.compareMs = Math.round(performance.now() - compareStarted);
  }
  timings.totalMs = Math.round(performance.now() - p.started);

  const audio = facts.audio[0];
  return {
    schemaVersion: LADDER_SCHEMA_VERSION,
    createdAt: new Date().toISOString(),
    tools: { ffmpeg: tools.ffmpegVersion, libvmaf: tools.libvmaf },
    source: facts,
    metric: {
      name: settings.metric,
      model: settings.metric === 'vmaf' && p.vmaf ? vmafModelName(p.vmaf) : null,
      subsample: settings.metric === 'vmaf' ? settings.vmafSubsample : 1,
      pooling: 'mean, harmonic mean and 5th percentile of per-frame scores',
    },
    settings: {
      targetQuality: settings.targetQuality,
      floorQuality: settings.floorQuality,
      qualityStep: settings.qualityStep,
      floorBitrateKbps: settings.floorBitrateKbps,
      maxBitrateKbps: settings.maxBitrateKbps ?? null,
      minBitrateRatio: settings.minBitrateRatio,
      preset: settings.preset,
      searchPreset: settings.searchPreset,
      capBitsPerPixel: settings.capBitsPerPixel,
      resolutions,
    },
    segmentDurationS: settings.segmentDurationS,
    gopDurationS: settings.gopDurationS,
    gopFrames,
    frameRate,
    samples: windows,
    probes: search.probes.map((pr) => ({
      resolution: pr.resolution,
      crf: pr.crf,
      bitrateKbps: round1(pr.bitrateKbps),
      quality: roundStats(pr.stats),
      elapsedMs: pr.elapsedMs,
    })),
    hull: search.hull.map((h) => ({
      resolution: h.resolution,
      crf: h.crf,
      bitrateKbps: round1(h.bitrateKbps),
      quality: round2(h.quality),
    })),
    rungs,
    audio:
      audioFile && audio
        ? [
            {
              id: 'a0',
              file: audioFile,
              codec: 'aac',
              bitrateKbps: settings.audioBitrateKbps,
              channels: 2,
              sampleRateHz: 48000,
              language: audio.language ?? null,
            },
          ]
        : [],
    keyframesAligned: true,
    fixedLadder,
    timings,
  };
}

async function analyseVideo(
  tools: EncoderTools,
  path: string,
  durationS: number,
  settings: Readonly<EncodeSettings>,
  signal: AbortSignal | undefined,
): Promise<{ summary: ReturnType<typeof bitrateSummary>; keyframesS: number[] }> {
  const result = await runFfmpeg(tools.ffprobePath, buildPacketProbeArgs(path), {
    captureStdout: true,
    ...(signal ? { signal } : {}),
  });
  const packets = parsePacketJson(result.stdout);
  return {
    summary: bitrateSummary(packets, durationS, settings.segmentDurationS),
    keyframesS: keyframeTimesS(packets),
  };
}

function round1(v: number): number {
  return Math.round(v * 10) / 10;
}
function round2(v: number): number {
  return Math.round(v * 100) / 100;
}
function roundStats(s: QualityStats): QualityStats {
  return {
    mean: round2(s.mean),
    harmonicMean: round2(s.harmonicMean),
    p5: round2(s.p5),
    min: round2(s.min),
    frames: s.frames,
  };
}
