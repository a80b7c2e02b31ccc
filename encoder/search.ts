import { rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { FrameRate, VmafSetup } from './argv.js';
import { buildVideoEncodeArgs, frameRateValue } from './argv.js';
import { runFfmpeg } from './ffmpeg.js';
import { nextCrfStep } from './ladder/crfSearch.js';
import { bitrateAtQuality, buildCurve, type RdCurve } from './ladder/curve.js';
import { upperConvexHull } from './ladder/hull.js';
import { selectRungs } from './ladder/select.js';
import type { PlannedRung, Probe, QualityMetric, Resolution } from './ladder/types.js';
import { measureQuality } from './measure.js';
import { maxrateKbpsFor, type EncodeSettings } from './options.js';

/** Everything a probe needs: the lossless sample file and how to encode and measure against it. */
export interface ProbeContext {
  ffmpegPath: string;
  settings: Readonly<EncodeSettings>;
  metric: QualityMetric;
  vmaf: VmafSetup | undefined;
  workDir: string;
  samplePath: string;
  sampleDurationS: number;
  referenceResolution: Resolution;
  frameRate: FrameRate;
  signal: AbortSignal | undefined;
}

/** Encodes the samples at one resolution and CRF with the search preset and measures the result. */
export async function runProbe(ctx: ProbeContext, resolution: Resolution, crf: number): Promise<Probe> {
  const started = performance.now();
  const name = `probe-${resolution.width}x${resolution.height}-crf${crf}`;
  const encodedPath = join(ctx.workDir, `${name}.mp4`);
  const fps = frameRateValue(ctx.frameRate);
  const maxrateKbps = maxrateKbpsFor(resolution, fps, ctx.settings.capBitsPerPixel);
  const signal = ctx.signal ? { signal: ctx.signal } : {};
  await runFfmpeg(
    ctx.ffmpegPath,
    buildVideoEncodeArgs({
      inputPath: ctx.samplePath,
      outPath: encodedPath,
      resolution,
      frameRate: ctx.frameRate,
      rateControl: {
        kind: 'capped-crf',
        crf,
        maxrateKbps,
        bufsizeKbps: maxrateKbps * ctx.settings.bufsizeFactor,
      },
      preset: ctx.settings.searchPreset,
      gopFrames: Math.max(1, Math.round(ctx.settings.gopDurationS * fps)),
      threads: ctx.settings.threadsPerEncode,
    }),
    signal,
  );
  try {
    const { size } = await stat(encodedPath);
    const stats = await measureQuality(
      ctx.ffmpegPath,
      {
        distortedPath: encodedPath,
        referencePath: ctx.samplePath,
        referenceResolution: ctx.referenceResolution,
        frameRate: ctx.frameRate,
        metric: ctx.metric,
        ...(ctx.vmaf ? { vmaf: ctx.vmaf } : {}),
        logPath: join(ctx.workDir, `${name}.${ctx.metric}.log`),
        threads: ctx.settings.threadsPerEncode,
        subsample: ctx.settings.vmafSubsample,
      },
      signal,
    );
    return {
      resolution,
      crf,
      bitrateKbps: (size * 8) / 1000 / ctx.sampleDurationS,
      quality: stats.mean,
      stats,
      elapsedMs: Math.round(performance.now() - started),
    };
  } finally {
    await rm(encodedPath, { force: true });
  }
}

export interface LadderSearchResult {
  probes: Probe[];
  curves: RdCurve[];
  hull: Probe[];
  rungs: PlannedRung[];
}

/** Where a resolution's CRF search toward one quality target starts. */
interface SearchGoal {
  targetQuality: number;
  toleranceQuality: number;
  initialCrf: number;
}

type SearchOutcome = 'converged' | 'unreachable-high' | 'unreachable-low' | 'max-probes';

/**
 * CRF that usually lands near VMAF 95 at native resolution with x264 (a first guess; the search
 * corrects it within a probe or two).
 */
const INITIAL_TOP_CRF = 20;
/**
 * A smaller resolution needs a lower CRF for the same quality (it loses detail to the upscale); this
 * many CRF steps lower is the first guess when a search moves down one resolution.
 */
const CRF_DROP_PER_RESOLUTION = 3;
/**
 * The walk samples each curve every this many rung steps of quality: two steps (12 VMAF points by
 * default) keep the curves accurate enough for interpolation between samples, at half the probes.
 */
const WALK_STEPS_PER_LEVEL = 2;

/**
 * The per-title ladder search, as a walk down the convex hull.
 *
 * 1. Top: an interpolated CRF search for the target quality at the largest resolution, then at the
 *    next ones while they reach it for fewer bits (easy content is often cheaper at a lower size).
 * 2. Down the quality range in levels of two rung steps to the floor: at each level, search the
 *    current hull resolution and the next smaller one; when the smaller one is cheaper, the hull has
 *    crossed over and the walk continues from it. The walk stops early once the hull's rate is below
 *    the floor rate, where no rung will go.
 * 3. The probes give each resolution's rate-quality curve where it matters (near the hull); the convex
 *    hull and the rung selection run on those curves.
 */
export async function searchLadder(
  ctx: ProbeContext,
  resolutions: readonly Resolution[],
  onProbe: (probe: Probe, probesDone: number, probesExpected: number) => void,
  /** Encodes and measures one probe; replaced in tests by a rate-quality model. */
  probeAt: (ctx: ProbeContext, resolution: Resolution, crf: number) => Promise<Probe> = runProbe,
): Promise<LadderSearchResult> {
  const s = ctx.settings;
  const probesOf = resolutions.map((): Probe[] => []);
  const all: Probe[] = [];
  const levels = Math.max(
    1,
    Math.ceil((s.targetQuality - s.floorQuality) / (s.qualityStep * WALK_STEPS_PER_LEVEL)),
  );
  // About three probes for the top, and three per level (two resolutions, one or two probes each).
  const probesExpected = 4 + levels * 3;
  const walkTolerance = (s.qualityStep * WALK_STEPS_PER_LEVEL) / 6;

  const search = async (index: number, goal: SearchGoal): Promise<SearchOutcome> => {
    const probes = probesOf[index]!;
    const budget = probes.length + s.maxProbesPerSearch;
    for (;;) {
      const step = nextCrfStep(
        {
          targetQuality: goal.targetQuality,
          toleranceQuality: goal.toleranceQuality,
          minCrf: s.minCrf,
          maxCrf: s.maxCrf,
          maxProbes: budget,
          initialCrf: goal.initialCrf,
        },
        probes,
      );
      if (step.kind === 'done') return step.reason;
      const probe = await probeAt(ctx, resolutions[index]!, step.crf);
      probes.push(probe);
      all.push(probe);
      onProbe(probe, all.length, Math.max(probesExpected, all.length + 1));
    }
  };
  const rateAt = (index: number, quality: number): number | undefined =>
    bitrateAtQuality(buildCurve(probesOf[index]!), quality) ??
    nearestRate(probesOf[index]!, quality, walkTolerance);
  const guessCrf = (index: number, quality: number): number =>
    crfClosestTo(probesOf[index]!, quality) ??
    (index > 0
      ? (crfClosestTo(probesOf[index - 1]!, quality) ?? INITIAL_TOP_CRF) - CRF_DROP_PER_RESOLUTION
      : INITIAL_TOP_CRF);

  // 1. Top of the ladder.
  let current = 0;
  let topQuality = s.targetQuality;
  const topOutcome = await search(0, {
    targetQuality: topQuality,
    toleranceQuality: s.toleranceQuality,
    initialCrf: INITIAL_TOP_CRF,
  });
  if (topOutcome === 'unreachable-high') topQuality = Math.max(...probesOf[0]!.map((p) => p.quality));
  for (let next = 1; next < resolutions.length; next++) {
    const outcome = await search(next, {
      targetQuality: topQuality,
      toleranceQuality: s.toleranceQuality,
      initialCrf: guessCrf(next, topQuality),
    });
    const nextRate = outcome === 'unreachable-high' ? undefined : rateAt(next, topQuality);
    const currentRate = rateAt(current, topQuality);
    if (nextRate === undefined || currentRate === undefined || nextRate >= currentRate) break;
    current = next;
  }

  // 2. Walk down to the floor.
  for (let level = 1; level <= levels; level++) {
    const quality = Math.max(s.floorQuality, topQuality - level * s.qualityStep * WALK_STEPS_PER_LEVEL);
    const currentOutcome = await search(current, {
      targetQuality: quality,
      toleranceQuality: walkTolerance,
      initialCrf: guessCrf(current, quality),
    });
    const next = current + 1;
    if (next >= resolutions.length) {
      const rate = rateAt(current, quality);
      if (currentOutcome === 'unreachable-low' || (rate !== undefined && rate < s.floorBitrateKbps)) break;
      continue;
    }
    const nextOutcome = await search(next, {
      targetQuality: quality,
      toleranceQuality: walkTolerance,
      initialCrf: guessCrf(next, quality),
    });
    const currentRate = currentOutcome === 'unreachable-low' ? undefined : rateAt(current, quality);
    const nextRate = nextOutcome === 'unreachable-high' ? undefined : rateAt(next, quality);
    if (nextRate !== undefined && (currentRate === undefined || nextRate < currentRate)) current = next;
    // No rung goes below the floor rate: once the hull is under it, the rest of the walk is wasted.
    const hullRate = rateAt(current, quality);
    if (hullRate !== undefined && hullRate < s.floorBitrateKbps) break;
  }

  // Resolutions the walk never reached have no curve.
  const curves = probesOf.filter((probes) => probes.length > 0).map((probes) => buildCurve(probes));
  const rungs = selectRungs(curves, {
    targetQuality: s.targetQuality,
    floorQuality: s.floorQuality,
    floorBitrateKbps: s.floorBitrateKbps,
    ...(s.maxBitrateKbps !== undefined ? { maxBitrateKbps: s.maxBitrateKbps } : {}),
    qualityStep: s.qualityStep,
    minBitrateRatio: s.minBitrateRatio,
    maxRungs: s.maxRungs,
  });
  return { probes: all, curves, hull: upperConvexHull(all), rungs };
}

/** The rate of the probe within `tolerance` of a quality, for curves with a single point. */
function nearestRate(probes: readonly Probe[], quality: number, tolerance: number): number | undefined {
  const p = probes.find((x) => Math.abs(x.quality - quality) <= tolerance);
  return p?.bitrateKbps;
}

function crfClosestTo(probes: readonly Probe[], quality: number): number | undefined {
  let best: Probe | undefined;
  for (const p of probes)
    if (!best || Math.abs(p.quality - quality) < Math.abs(best.quality - quality)) best = p;
  return best?.crf;
}
