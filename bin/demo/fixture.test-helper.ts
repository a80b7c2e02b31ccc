/**
 * A realistic DemoReportData for the report and summary tests (and the sample report): a 30 s 720p
 * title's ladder as the encoder writes it, three edges in two sites with one killed part way, and
 * a fleet of sessions played in virtual time by the real session engine, some of which fail over.
 */
import { ladderFileSchema, type LadderFile } from '../../encoder/index.js';
import {
  NetworkModel,
  PlayerHttpErrorCode,
  VirtualClock,
  VirtualFetcher,
  createStrategy,
  playerHttpError,
  runSession,
  sessionTimeline,
  summarizeHttp,
  type HttpFleetSession,
  type Ladder,
  type SegmentFetcher,
  type Trace,
} from '../../player-sim/index.js';
import { seededRandom } from '../../common/random.js';
import type { DemoEdgeSummary, DemoReportData, DemoSessionTimeline, HitRatioPoint } from './reportData.js';

const r720 = { width: 1280, height: 720 };
const r540 = { width: 960, height: 540 };
const r360 = { width: 640, height: 360 };
const r234 = { width: 416, height: 234 };

/** [resolution, crf, kbit/s, VMAF mean] of the search's probes (from a real run on a 'moderate' title). */
const PROBES: Array<[typeof r720, number, number, number]> = [
  [r720, 20, 3082, 98.2],
  [r720, 22.1, 2577, 97.4],
  [r720, 25.5, 1809, 95.5],
  [r720, 28.8, 1123, 92.6],
  [r720, 33.8, 683, 85.8],
  [r720, 35, 622, 84.0],
  [r720, 39.7, 527, 71.8],
  [r540, 12, 2138, 92.5],
  [r540, 19.3, 1731, 91.9],
  [r540, 22.5, 1162, 90.1],
  [r540, 28.4, 534, 85.7],
  [r540, 30.1, 434, 83.5],
  [r540, 35.2, 292, 74.9],
  [r540, 37.5, 266, 69.0],
  [r360, 31.5, 181, 71.8],
  [r360, 33.7, 164, 67.7],
];
const HULL = [1, 2, 3, 10, 11, 14, 15].map((i) => PROBES[i]!).sort((a, b) => a[2] - b[2]);

/** [id, resolution, crf, avg kbit/s, peak kbit/s, predicted kbit/s, predicted q, mean, p5]. */
const RUNGS: Array<[string, typeof r720, number, number, number, number, number, number, number]> = [
  ['v0', r540, 37.5, 259.6, 286.7, 266.2, 68.95, 69.28, 63.59],
  ['v1', r540, 30.4, 423.6, 461.2, 424, 83, 83.26, 79.52],
  ['v2', r720, 31.5, 832.5, 872.8, 860.2, 89, 89.66, 85.65],
  ['v3', r720, 26.1, 1653.4, 1693.4, 1658.6, 95, 95.1, 92.43],
];

/** [resolution, target kbit/s, avg kbit/s, VMAF mean] of the fixed ladder capped at 720p. */
const FIXED: Array<[typeof r720, number, number, number]> = [
  [r234, 145, 151.2, 58.3],
  [r360, 365, 371.9, 76.4],
  [r540, 730, 722.4, 86.1],
  [r540, 1100, 1087.3, 89.8],
  [r540, 2000, 1948.6, 92.0],
  [r720, 3000, 2931.5, 97.6],
];

export type FixtureMetric = 'vmaf' | 'psnr' | 'ssim';

/** A quality score on the metric's own scale (VMAF 0..100 → PSNR dB / SSIM 0..1, roughly). */
function onScale(vmaf: number, metric: FixtureMetric): number {
  if (metric === 'vmaf') return vmaf;
  if (metric === 'psnr') return Math.round((26 + vmaf * 0.2) * 100) / 100;
  return Math.round((0.8 + vmaf * 0.002) * 10000) / 10000;
}

function stats(mean: number, p5: number, frames: number) {
  return { mean, harmonicMean: mean - 0.1, p5, min: p5 - 3, frames };
}

/** A ladder.json of a 30 s 1280x720 title (passes ladderFileSchema). */
export function fixtureLadderFile(
  metric: FixtureMetric = 'vmaf',
  options: { fixedLadder?: boolean } = {},
): LadderFile {
  const q = (v: number) => onScale(v, metric);
  const ladder: LadderFile = {
    schemaVersion: 1,
    createdAt: '2025-03-01T10:00:00.000Z',
    tools: { ffmpeg: 'ffmpeg version 4.1 static', libvmaf: metric === 'vmaf' ? 'libvmaf1' : 'none' },
    source: {
      path: '/tmp/cdn-demo-x/source-moderate.mp4',
      sizeBytes: 9_451_233,
      container: 'mov,mp4,m4a,3gp,3g2,mj2',
      durationS: 30,
      video: {
        codec: 'h264',
        width: 1280,
        height: 720,
        displayWidth: 1280,
        displayHeight: 720,
        frameRate: { num: 30, den: 1 },
        pixelFormat: 'yuv420p',
        bitrateKbps: 2380,
      },
      audio: [{ audioIndex: 0, codec: 'aac', channels: 2, sampleRateHz: 48000, language: 'und' }],
    },
    metric: {
      name: metric,
      model: metric === 'vmaf' ? 'vmaf_v0.6.1.pkl' : null,
      subsample: 5,
      pooling: 'mean, harmonic mean and 5th percentile of per-frame scores',
    },
    settings: {
      targetQuality: q(95),
      floorQuality: q(45),
      qualityStep: metric === 'vmaf' ? 6 : 1.5,
      floorBitrateKbps: 200,
      maxBitrateKbps: null,
      minBitrateRatio: 1.5,
      preset: 'veryfast',
      searchPreset: 'veryfast',
      capBitsPerPixel: 0.15,
      resolutions: [r720, r540, r360, r234],
    },
    segmentDurationS: 4,
    gopDurationS: 2,
    gopFrames: 60,
    frameRate: { num: 30, den: 1 },
    samples: [
      { startS: 6, durationS: 4 },
      { startS: 20, durationS: 4 },
    ],
    probes: PROBES.map(([resolution, crf, bitrateKbps, v], i) => ({
      resolution,
      crf,
      bitrateKbps,
      quality: stats(q(v), q(v - 4), 48),
      elapsedMs: 700 + i * 13,
    })),
    hull: HULL.map(([resolution, crf, bitrateKbps, v]) => ({ resolution, crf, bitrateKbps, quality: q(v) })),
    rungs: RUNGS.map(([id, resolution, crf, avg, peak, pKbps, pQ, mean, p5]) => ({
      id,
      file: `video/${id}_${resolution.width}x${resolution.height}.mp4`,
      resolution,
      crf,
      maxrateKbps: resolution.height === 720 ? 3456 : 1944,
      averageBitrateKbps: avg,
      peakBitrateKbps: peak,
      sizeBytes: Math.round((avg * 1000 * 30) / 8),
      frames: 900,
      predicted: { bitrateKbps: pKbps, quality: q(pQ) },
      quality: stats(q(mean), q(p5), 180),
    })),
    audio: [
      {
        id: 'a0',
        file: 'audio/a0_aac_128k.mp4',
        codec: 'aac',
        bitrateKbps: 128,
        channels: 2,
        sampleRateHz: 48000,
        language: 'und',
      },
    ],
    keyframesAligned: true,
    fixedLadder:
      options.fixedLadder === false
        ? null
        : {
            rungs: FIXED.map(([resolution, target, avg, v]) => ({
              resolution,
              targetBitrateKbps: target,
              averageBitrateKbps: avg,
              peakBitrateKbps: avg * 1.08,
              quality: stats(q(v), q(v - 5), 180),
            })),
            bdRatePercent: -38.4,
          },
    timings: { searchMs: 41_200, encodeMs: 22_800, measureMs: 18_300, totalMs: 84_100 },
  };
  return ladderFileSchema.parse(ladder);
}

/** Ms after the fleet's start at which the fixture's demo kills edge-a1. */
export const FIXTURE_KILL_MS = 12_300;
export const FIXTURE_KILLED_EDGE = 'edge-a1';

function stepTrace(name: string, steps: Array<[number, number]>, latencyMs: number): Trace {
  const intervals = steps.map(([durationMs, bandwidthKbps]) => ({ durationMs, bandwidthKbps, latencyMs }));
  return { name, intervals, durationMs: intervals.reduce((s, i) => s + i.durationMs, 0) };
}

interface Slot {
  strategy: string;
  index: number;
  trace: Trace;
  edge: string;
  startOffsetMs: number;
  clientIp: string;
  /** Fails for good after failing over (every edge failed). */
  failsAfterFailover: boolean;
}

/** Player ladder of the title: 7 segments of 4 s and one of 2 s, rates with the 128 kbit/s audio. */
function playerLadder(file: LadderFile): Ladder {
  return {
    source: 'title',
    segmentDurationsMs: [4000, 4000, 4000, 4000, 4000, 4000, 4000, 2000],
    rungs: file.rungs.map((r) => ({
      id: r.id,
      bitrateBps: (r.averageBitrateKbps + 128) * 1000,
      videoBitrateBps: r.averageBitrateKbps * 1000,
      width: r.resolution.width,
      height: r.resolution.height,
      ...(file.metric.name === 'vmaf' && r.quality ? { vmaf: r.quality.mean } : {}),
    })),
  };
}

/** Time a request to a killed edge takes to fail (the player's request timeout), ms. */
const FAILOVER_TIMEOUT_MS = 1500;

async function playSlot(slot: Slot, ladder: Ladder, peers: Record<string, string>) {
  const clock = new VirtualClock(slot.startOffsetMs);
  const inner = new VirtualFetcher({ network: new NetworkModel(slot.trace), clock });
  const edges = [slot.edge];
  const failoverAt: number[] = [];
  let requests = 0;
  const fetcher: SegmentFetcher = {
    async fetch(request, options) {
      requests++;
      const edge = edges.at(-1)!;
      if (edge === FIXTURE_KILLED_EDGE && clock.nowMs() >= FIXTURE_KILL_MS) {
        await clock.sleep(FAILOVER_TIMEOUT_MS);
        failoverAt.push(clock.nowMs() - slot.startOffsetMs);
        edges.push(peers[edge]!);
        if (slot.failsAfterFailover) {
          await clock.sleep(FAILOVER_TIMEOUT_MS);
          throw playerHttpError(
            PlayerHttpErrorCode.AllEdgesFailed,
            'every edge failed, steering gave no other',
          );
        }
      }
      return inner.fetch(request, options);
    },
  };
  const result = await runSession({ ladder, strategy: createStrategy(slot.strategy), clock, fetcher });
  const bytes = result.downloads.reduce((sum, d) => sum + d.bytes, 0);
  const session: HttpFleetSession = {
    sessionId: `s-${slot.strategy}-${slot.index}`,
    strategy: slot.strategy,
    index: slot.index,
    trace: slot.trace.name,
    offsetMs: 0,
    outcome: result.outcome,
    qoe: result.qoe,
    abandonments: result.downloads.filter((d) => d.abandoned).length,
    clientIp: slot.clientIp,
    firstEdge: slot.edge,
    edges,
    failovers: failoverAt.length,
    ...(result.error ? { error: result.error } : {}),
    requests: requests + 3,
    bytes,
    setupMs: 12 + slot.index,
    wallMs: result.endMs - result.startMs,
  };
  const timeline: DemoSessionTimeline = {
    sessionId: session.sessionId,
    strategy: slot.strategy,
    trace: slot.trace.name,
    clientIp: slot.clientIp,
    edges,
    failovers: failoverAt.length,
    outcome: result.outcome,
    startOffsetMs: slot.startOffsetMs,
    points: sessionTimeline(result),
    rebuffers: result.rebuffers.map((r) => ({
      startMs: r.startMs - result.startMs,
      durationMs: r.durationMs,
    })),
    ...(failoverAt.length > 0 ? { failoverAtMs: failoverAt } : {}),
  };
  return { session, timeline, endMs: result.endMs };
}

/** Hit ratio samples every 2 s: warming up from cold, then steady near `steady` (seeded noise). */
function hitRatioSeries(seed: number, untilMs: number, steady: number, dipAtMs?: number): HitRatioPoint[] {
  const random = seededRandom(seed);
  const points: HitRatioPoint[] = [];
  let hits = 0;
  let total = 0;
  for (let t = 2000; t <= untilMs; t += 2000) {
    const requests = t === 2000 ? 0 : 4 + Math.floor(random() * 8);
    const warm = Math.min(1, t / 10_000);
    const dip = dipAtMs !== undefined && t > dipAtMs && t <= dipAtMs + 4000 ? 0.45 : 0;
    const ratio = Math.max(0, Math.min(1, steady * warm - dip + (random() - 0.5) * 0.1));
    const h = Math.round(requests * ratio);
    hits += h;
    total += requests;
    points.push({
      tMs: t,
      intervalRatio: requests > 0 ? h / requests : Number.NaN,
      cumulativeRatio: total > 0 ? hits / total : Number.NaN,
      requests,
    });
  }
  return points;
}

export interface FixtureOptions {
  metric?: FixtureMetric;
  /** Name of the first trace (tests put markup in it). */
  traceName?: string;
  /** Sessions per strategy (default 4). */
  sessionsPerStrategy?: number;
  fixedLadder?: boolean;
}

/** The DemoReportData of a demo run: real engine sessions in virtual time, plausible edge figures. */
export async function demoReportFixture(options: FixtureOptions = {}): Promise<DemoReportData> {
  const metric = options.metric ?? 'vmaf';
  const ladder = fixtureLadderFile(metric, options.fixedLadder === false ? { fixedLadder: false } : {});
  const traces = [
    stepTrace(
      options.traceName ?? 'lte-commute',
      [
        [6000, 2500],
        [5000, 700],
        [8000, 1800],
        [4000, 350],
        [30_000, 2200],
      ],
      60,
    ),
    stepTrace('fcc-dsl', [[60_000, 3800]], 25),
    stepTrace(
      'lte-tunnel',
      [
        [9000, 1200],
        [3000, 150],
        [50_000, 900],
      ],
      90,
    ),
  ];
  const strategies = ['bola', 'throughput'];
  const perStrategy = options.sessionsPerStrategy ?? 4;
  const edgeOfSlot = (i: number) => (['edge-a1', 'edge-a1', 'edge-a2', 'edge-b1'] as const)[i % 4]!;
  const slots: Slot[] = strategies.flatMap((strategy, s) =>
    Array.from({ length: perStrategy }, (_, index) => ({
      strategy,
      index,
      trace: traces[index % traces.length]!,
      edge: edgeOfSlot(index),
      startOffsetMs: index * 1800 + s * 900,
      clientIp: edgeOfSlot(index).startsWith('edge-a') ? `10.1.0.${10 + index}` : `10.2.0.${10 + index}`,
      failsAfterFailover: strategy === 'throughput' && index === 1,
    })),
  );
  const peers = { 'edge-a1': 'edge-a2', 'edge-a2': 'edge-a1', 'edge-b1': 'edge-a2' };
  const played = await Promise.all(slots.map((slot) => playSlot(slot, playerLadder(ladder), peers)));
  const sessions = played.map((p) => p.session);
  const fleetEndMs = Math.max(...played.map((p) => p.endMs));
  const perStrategySummary = strategies.map((name) =>
    summarizeHttp(
      name,
      sessions.filter((s) => s.strategy === name),
    ),
  );

  const edge = (
    id: string,
    site: string,
    over: Partial<DemoEdgeSummary> & Pick<DemoEdgeSummary, 'requestsByStatus' | 'bytesServed'>,
  ): DemoEdgeSummary => {
    const served = Object.values(over.requestsByStatus).reduce((a, b) => a + b, 0);
    return {
      id,
      site,
      url: `http://127.0.0.${id === 'edge-b1' ? 21 : id === 'edge-a1' ? 11 : 12}:4${id.length}123`,
      parents: [],
      peers: [],
      prefixes: [],
      hitRatio: served > 0 ? (over.requestsByStatus.hit ?? 0) / served : Number.NaN,
      fillsBySource: {},
      coalesced: 0,
      prefetch: { issued: 0, used: 0, wasted: 0 },
      ...over,
    };
  };
  const edges: DemoEdgeSummary[] = [
    edge('edge-a1', 'site-a', {
      peers: ['edge-a1', 'edge-a2'],
      prefixes: ['10.1.0.0/24'],
      killedAtMs: FIXTURE_KILL_MS,
      requestsByStatus: { hit: 31, miss: 9, stale: 1 },
      bytesServed: 6_912_440,
      fillsBySource: { peer: 2, origin: 7 },
      coalesced: 3,
      prefetch: { issued: 12, used: 8, wasted: 1 },
    }),
    edge('edge-a2', 'site-a', {
      peers: ['edge-a1', 'edge-a2'],
      prefixes: ['10.1.0.0/24'],
      requestsByStatus: { hit: 58, miss: 14 },
      bytesServed: 11_204_977,
      fillsBySource: { peer: 5, origin: 9 },
      coalesced: 4,
      prefetch: { issued: 20, used: 15, wasted: 2 },
    }),
    edge('edge-b1', 'site-b', {
      parents: ['edge-a2'],
      prefixes: ['10.2.0.0/24', '2001:db8:2::/48'],
      requestsByStatus: { hit: 22, miss: 8 },
      bytesServed: 4_880_120,
      fillsBySource: { parent: 8 },
      coalesced: 1,
      prefetch: { issued: 9, used: 6, wasted: 0 },
    }),
  ];
  const servedBytes = edges.reduce((sum, e) => sum + e.bytesServed, 0);
  const originBytes = 3_966_540;
  return {
    generatedAt: '2025-03-01T10:04:12.000Z',
    mode: 'quick',
    title: {
      id: 'demo',
      durationS: 30,
      source: "generated: 30 s 1280x720 lavfi 'moderate' with audio",
    },
    ladder,
    routes: {
      source: 'bgp',
      note: 'client prefixes learned over BGP from BIRD 2 (3 sessions established on 127.0.0.1)',
    },
    origin: { url: 'http://127.0.0.1:40100', contentRequests: 31, contentBytes: originBytes },
    edges,
    originOffload: 1 - originBytes / servedBytes,
    hitRatioSeries: [
      { edgeId: 'edge-a1', points: hitRatioSeries(1, FIXTURE_KILL_MS, 0.8) },
      { edgeId: 'edge-a2', points: hitRatioSeries(2, fleetEndMs, 0.85, FIXTURE_KILL_MS) },
      { edgeId: 'edge-b1', points: hitRatioSeries(3, fleetEndMs, 0.75) },
    ],
    fleet: {
      mode: 'realtime',
      titleId: 'demo',
      objective: metric === 'vmaf' ? 'vmaf' : 'lin',
      planned: sessions.length,
      interrupted: false,
      wallMs: fleetEndMs,
      sessions,
      strategies: perStrategySummary,
      overall: summarizeHttp('all', sessions),
    },
    sessions: played.map((p) => p.timeline),
    timingsMs: { encode: 84_100, package: 3_200, start: 2_900, fleet: fleetEndMs, total: 93_400 },
  };
}

/** The fixture with no session at all (a fleet that never ran). */
export function withEmptyFleet(data: DemoReportData): DemoReportData {
  const none = summarizeHttp('all', []);
  return {
    ...data,
    hitRatioSeries: data.hitRatioSeries.map((s) => ({ ...s, points: [] })),
    fleet: {
      ...data.fleet,
      planned: 0,
      sessions: [],
      strategies: [],
      overall: { ...none, failed: 0, failoversPerSession: Number.NaN },
    },
    sessions: [],
  };
}
