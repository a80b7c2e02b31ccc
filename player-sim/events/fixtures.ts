/**
 * Hand-built QoE event sequences for tests of the reporter and the collector: a session whose
 * facts (startup, rebuffers, switches, failovers, summary) are given, so that aggregates can be
 * checked against them.
 */
import type { QoeEvent, SessionOutcome } from './schema.js';

export interface FixtureSession {
  sessionId: string;
  titleId?: string;
  strategy?: string;
  trace?: string;
  /** The first edge; a failover moves the session to `failoverTo`. */
  edge?: string;
  failoverTo?: string;
  /** Player clock of the first event, ms. */
  startMs?: number;
  startupDelayMs?: number;
  /** Durations of the rebuffers, ms (on the edge serving at the time). */
  rebufferMs?: readonly number[];
  switches?: number;
  /** One non-fatal player error on the first edge. */
  error?: boolean;
  /** `none`: the session never ends (still active, or abandoned). */
  outcome?: SessionOutcome | 'none';
  playedMs?: number;
  avgBitrateBps?: number;
  avgVmaf?: number;
  p5Vmaf?: number;
}

/** Pensieve/MPC QoE_lin rebuffer penalty per second of stall (Mao et al. 2017, QoE_lin). */
const REBUFFER_PENALTY_PER_S = 4.3;

/** The events of one session, seq 0.. in order, with consistent timestamps and summary. */
export function fixtureSession(session: FixtureSession): QoeEvent[] {
  const {
    sessionId,
    titleId = 'movie',
    strategy = 'quality',
    trace = 'fcc-1',
    edge = 'edge-a',
    startMs = 1_700_000_000_000,
    startupDelayMs = 800,
    rebufferMs = [],
    switches = 2,
    outcome = 'completed',
    playedMs = 60_000,
    avgBitrateBps = 3_000_000,
    avgVmaf = 88,
    p5Vmaf = 71,
  } = session;
  const events: QoeEvent[] = [];
  let clockMs = startMs;
  const push = (event: Omit<QoeEvent, 'sessionId' | 'seq' | 'timestampMs'>, advanceMs = 100): void => {
    events.push({ sessionId, seq: events.length, timestampMs: clockMs, ...event } as QoeEvent);
    clockMs += advanceMs;
  };
  push({
    type: 'session_start',
    payload: { titleId, strategy, trace, edge, format: 'dash', mode: 'virtual' },
  });
  push({ type: 'startup_complete', payload: { startupDelayMs, rungIndex: 1, bitrateBps: 1_500_000, edge } });
  for (let i = 0; i < switches; i++) {
    push({
      type: 'rung_switch',
      payload: {
        fromRung: 1 + (i % 2),
        toRung: 2 - (i % 2),
        fromBitrateBps: 1_500_000,
        toBitrateBps: 3_000_000,
        positionMs: i * 4000,
        bufferMs: 8000,
        reason: 'abr',
        edge,
      },
    });
  }
  if (session.error === true) {
    push({
      type: 'error',
      payload: { code: 'SEGMENT_HTTP_503', message: 'HTTP 503', fatal: false, edge },
    });
  }
  let serving = edge;
  let failovers = 0;
  rebufferMs.forEach((durationMs, i) => {
    if (i === 1 && session.failoverTo !== undefined) {
      push({
        type: 'edge_failover',
        payload: { fromEdge: serving, toEdge: session.failoverTo, reason: 'error', positionMs: 20_000 },
      });
      serving = session.failoverTo;
      failovers += 1;
    }
    push({ type: 'rebuffer_start', payload: { positionMs: 10_000 * (i + 1), edge: serving } }, durationMs);
    push({ type: 'rebuffer_end', payload: { positionMs: 10_000 * (i + 1), durationMs, edge: serving } });
  });
  if (session.failoverTo !== undefined && failovers === 0) {
    push({
      type: 'edge_failover',
      payload: { fromEdge: edge, toEdge: session.failoverTo, reason: 'timeout' },
    });
    failovers += 1;
  }
  if (outcome === 'none') return events;
  const rebufferDurationMs = rebufferMs.reduce((a, b) => a + b, 0);
  const segments = Math.round(playedMs / 4000);
  push({
    type: 'session_end',
    payload: {
      outcome,
      summary: {
        strategy,
        titleId,
        trace,
        startupDelayMs,
        playedMs,
        rebufferCount: rebufferMs.length,
        rebufferDurationMs,
        rebufferRatio: rebufferDurationMs / (rebufferDurationMs + playedMs),
        avgBitrateBps,
        avgVmaf,
        p5Vmaf,
        switchCount: switches,
        switchMagnitudeBps: switches * 1_500_000,
        qoeLin:
          (segments * avgBitrateBps) / 1e6 -
          (REBUFFER_PENALTY_PER_S * rebufferDurationMs) / 1000 -
          switches * 1.5,
        failovers,
      },
    },
  });
  return events;
}
