/** Shared pieces of the player tests: hand-built traces and ladders, a scripted strategy. */
import { join } from 'node:path';
import {
  CONTINUE,
  EMPTY_EWMA,
  ewmaLatencyMs,
  ewmaThroughputKbps,
  NetworkModel,
  resolvePlayerConfig,
  runSession,
  updateEwma,
  virtualSetup,
  type AbrContext,
  type AbrStrategy,
  type DownloadSample,
  type Ladder,
  type PlayerConfigInput,
  type ProgressDecision,
  type SessionResult,
  type Trace,
  type TransferProgress,
} from '../../player-sim/index.js';

/** ../shared next to the checkout (Sabre traces and reference ladders). */
export const SHARED_DIR = join(import.meta.dirname, '../../../shared');

/** A trace of one constant period. */
export function constantTrace(bandwidthKbps: number, latencyMs = 0, durationMs = 1_000_000): Trace {
  return {
    name: `const-${bandwidthKbps}`,
    intervals: [{ durationMs, bandwidthKbps, latencyMs }],
    durationMs,
  };
}

/** A trace from [durationMs, kbps] steps, one latency throughout. */
export function stepTrace(steps: Array<[number, number]>, latencyMs = 0, name = 'steps'): Trace {
  const intervals = steps.map(([durationMs, bandwidthKbps]) => ({ durationMs, bandwidthKbps, latencyMs }));
  return { name, intervals, durationMs: intervals.reduce((s, i) => s + i.durationMs, 0) };
}

/** A ladder of equal segments whose sizes are exactly bitrate x duration. */
export function evenLadder(bitratesKbps: number[], segments: number, segmentDurationMs = 2000): Ladder {
  return {
    source: 'sabre',
    segmentDurationsMs: Array.from({ length: segments }, () => segmentDurationMs),
    rungs: bitratesKbps.map((kbps, i) => ({ id: String(i), bitrateBps: kbps * 1000 })),
  };
}

/**
 * A strategy that plays a fixed script of rungs (the last one repeated), optionally abandoning
 * downloads as `abandon` says.
 */
export function scriptedStrategy(
  script: readonly number[] | ((segmentIndex: number) => number),
  abandon?: (progress: TransferProgress) => ProgressDecision,
): AbrStrategy<null> {
  const rungOf =
    typeof script === 'function' ? script : (k: number) => script[Math.min(k, script.length - 1)]!;
  return {
    name: 'script',
    init: () => null,
    decide: (state, ctx) => ({ state, decision: { rungIndex: rungOf(ctx.segmentIndex) } }),
    onProgress: (state, _ctx, progress) => ({ state, decision: abandon ? abandon(progress) : CONTINUE }),
    onDownload: (state) => state,
    onWait: (state) => state,
  };
}

/** One virtual-time session. */
export function simulate(
  ladder: Ladder,
  trace: Trace,
  strategy: AbrStrategy,
  config: PlayerConfigInput = {},
  offsetMs = 0,
): Promise<SessionResult> {
  const { clock, fetcher } = virtualSetup(new NetworkModel(trace, { offsetMs }));
  return runSession({ ladder, strategy, clock, fetcher, config });
}

/** An AbrContext for unit tests of strategies (defaults: playing, 10 s buffer, no history). */
export function abrContext(ladder: Ladder, overrides: Partial<AbrContext> = {}): AbrContext {
  return {
    ladder,
    config: resolvePlayerConfig(),
    nowMs: 0,
    segmentIndex: 1,
    bufferMs: 10_000,
    phase: 'playing',
    lastRungIndex: 0,
    throughput: { samples: [], ewmaKbps: undefined, latencyMs: undefined },
    ...overrides,
  };
}

/** Throughput history of complete downloads at the given rates (kbit/s), 1 s of transfer each. */
export function history(ratesKbps: readonly number[], latencyMs = 0): AbrContext['throughput'] {
  let t = 0;
  const samples: DownloadSample[] = ratesKbps.map((kbps, i) => {
    const requestMs = t;
    t += latencyMs + 1000;
    return {
      segmentIndex: i,
      rungIndex: 0,
      bytes: (kbps * 1000) / 8,
      requestMs,
      firstByteMs: requestMs + latencyMs,
      endMs: t,
      abandoned: false,
    };
  });
  let ewma = EMPTY_EWMA;
  for (const s of samples) ewma = updateEwma(ewma, s);
  return { samples, ewmaKbps: ewmaThroughputKbps(ewma), latencyMs: ewmaLatencyMs(ewma) };
}
