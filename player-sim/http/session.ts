/**
 * One player session over HTTP: ask steering for ranked edges, load the title's manifests from the
 * first edge that answers (DASH MPD, or HLS master and media playlists), then run the core's session
 * engine with the HTTP fetcher, in real time (SystemClock, bodies read at the trace's rate) or in
 * virtual time (VirtualClock, segments still requested, times from the trace). QoE events go to the
 * reporter as they happen; the session never throws for network trouble (see `outcome`).
 */
import { randomUUID } from 'node:crypto';
import { Agent, type Dispatcher } from 'undici';
import { CommonErrorCode, isCdnError, toCdnError } from '../../common/errors.js';
import { createStrategy, type AbrStrategy, type StrategyOptions } from '../abr/index.js';
import { SystemClock, VirtualClock, type Clock } from '../clock.js';
import { resolvePlayerConfig, type PlayerConfigInput } from '../config.js';
import type { QoeReporter, QoeSessionEmitter, SessionSummary } from '../events/index.js';
import { resizeLadder, segmentCount, type Ladder } from '../ladder.js';
import { NetworkModel } from '../network.js';
import { computeQoe, type QoeSummary } from '../qoe.js';
import { runSession, type SessionEvent, type SessionResult } from '../session.js';
import type { Trace } from '../trace.js';
import { VirtualFetcher } from '../virtual.js';
import { withCmcd } from './cmcd.js';
import { resolveHttpPlayerConfig, type HttpPlayerConfigInput } from './config.js';
import { EdgeRoster, relocate } from './edges.js';
import {
  FailoverController,
  HttpSegmentFetcher,
  type FailoverNotice,
  type HttpSessionStats,
  type RequestErrorNotice,
} from './fetcher.js';
import { loadLadder } from './manifest.js';
import { ContentSteeringClient, requestSteering, type SteerResponse } from './steering.js';

export type PlayMode = 'realtime' | 'virtual';

export interface HttpSessionOptions {
  /** The origin (steering and, by default, the QoE collector). */
  originUrl: string;
  titleId: string;
  /** A strategy or its name (createStrategy). */
  strategy: AbrStrategy | string;
  strategyOptions?: StrategyOptions;
  /** Default `realtime`. */
  mode?: PlayMode;
  trace: Trace;
  /** Where in the trace the session starts, ms. */
  traceOffsetMs?: number;
  /** Default: a random UUID (also the CMCD `sid` and the steering session). */
  sessionId?: string;
  /** `client_ip` for steering (origins that allow the override). */
  clientIp?: string;
  http?: HttpPlayerConfigInput;
  /** Buffer settings of the engine. */
  player?: PlayerConfigInput;
  /** Default: an undici Agent of the session's own, closed at the end. */
  dispatcher?: Dispatcher;
  reporter?: QoeReporter;
  /** Real time only: the engine's clock (default SystemClock). */
  clock?: Clock;
  /** Wall clock for event timestamps, ms since the epoch (default Date.now). */
  wallNowMs?: () => number;
  /** Play only the first this many ms of the title (whole segments). */
  maxDurationMs?: number;
  /** Exact sizes per segment and rung (video plus audio), e.g. learned once for a fleet. */
  segmentSizesBytes?: readonly (readonly number[])[];
  signal?: AbortSignal;
  onEvent?: (event: SessionEvent) => void;
  onFailover?: (notice: FailoverNotice) => void;
}

export interface HttpSessionResult extends SessionResult {
  sessionId: string;
  titleId: string;
  format: 'dash' | 'hls';
  mode: PlayMode;
  trace: string;
  clientIp?: string;
  /** The title version played (from steering). */
  version?: string;
  /** The edge the session started on, and every edge it used, in order. */
  firstEdge?: string;
  edges: string[];
  failovers: number;
  /** Every failover, in order. */
  failoverLog: FailoverRecord[];
  stats: HttpSessionStats;
  /** Steering and manifest loading before the first segment request, ms of wall time. */
  setupMs: number;
  /** The ladder played (undefined when setup failed). */
  ladder?: Ladder;
}

/** A failover and when it happened. */
export interface FailoverRecord extends FailoverNotice {
  /** The engine's clock (the time base of startMs and endMs), ms; absent before playback set up. */
  atMs?: number;
}

/** QoE trace names: printable ASCII without spaces, at most 256 (the event schema's rule). */
export function qoeTraceName(name: string): string {
  const clean = name.replace(/[^\x21-\x7e]/g, '_').slice(0, 256);
  return clean === '' ? 'trace' : clean;
}

/** The session summary of the QoE events (finite values only). */
export function toSessionSummary(
  qoe: QoeSummary,
  extra: { strategy: string; titleId: string; trace: string; failovers: number },
): SessionSummary {
  const finite = Object.fromEntries(
    Object.entries(qoe).filter(([, v]) => typeof v === 'number' && Number.isFinite(v)),
  ) as unknown as QoeSummary;
  return {
    ...finite,
    rebufferRatio: Math.min(1, Math.max(0, finite.rebufferRatio ?? 0)),
    strategy: extra.strategy,
    titleId: extra.titleId,
    trace: qoeTraceName(extra.trace),
    failovers: extra.failovers,
  };
}

/** The first segments of a ladder that make up `maxDurationMs` (whole segments, at least one). */
export function cutLadder(ladder: Ladder, maxDurationMs: number | undefined): Ladder {
  if (maxDurationMs === undefined) return ladder;
  let kept = 0;
  let totalMs = 0;
  while (kept < segmentCount(ladder) && totalMs < maxDurationMs) {
    totalMs += ladder.segmentDurationsMs[kept]!;
    kept += 1;
  }
  return kept < segmentCount(ladder) ? resizeLadder(ladder, Math.max(1, kept)) : ladder;
}

function emptyQoe(): QoeSummary {
  return computeQoe({ segments: [], startupDelayMs: undefined, rebuffers: [], playedMs: 0 });
}

/** Plays one session over HTTP. Rejects only for bad options (config, strategy name). */
export async function runHttpSession(options: HttpSessionOptions): Promise<HttpSessionResult> {
  const http = resolveHttpPlayerConfig(options.http);
  resolvePlayerConfig(options.player);
  const strategy =
    typeof options.strategy === 'string'
      ? createStrategy(options.strategy, options.strategyOptions)
      : options.strategy;
  const mode = options.mode ?? 'realtime';
  const network = new NetworkModel(options.trace, { offsetMs: options.traceOffsetMs ?? 0 });
  const sessionId = options.sessionId ?? randomUUID();
  const wallNow = options.wallNowMs ?? Date.now;
  const ownAgent = options.dispatcher === undefined ? new Agent() : undefined;
  const dispatcher = options.dispatcher ?? ownAgent!;
  const emitter: QoeSessionEmitter | undefined = options.reporter?.session(sessionId);
  const stats: HttpSessionStats = {
    requests: 0,
    bytes: 0,
    failovers: 0,
    steerAnswers: 0,
    steeringReloads: 0,
    requestsByEdge: {},
  };
  const edgesUsed: string[] = [];
  const useEdge = (id: string) => {
    if (edgesUsed[edgesUsed.length - 1] !== id) edgesUsed.push(id);
  };
  const failoverLog: FailoverRecord[] = [];
  /** The engine's clock, once it runs. */
  let engineNowMs: (() => number) | undefined;
  const base = {
    sessionId,
    titleId: options.titleId,
    format: http.format,
    mode,
    trace: options.trace.name,
    ...(options.clientIp !== undefined ? { clientIp: options.clientIp } : {}),
    edges: edgesUsed,
    failoverLog,
    stats,
  };
  const setupStartMs = wallNow();
  const smallGet = {
    dispatcher,
    timeoutMs: http.requestTimeoutMs,
    maxBytes: http.maxManifestBytes,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  const steer = () =>
    requestSteering(
      {
        originUrl: options.originUrl,
        titleId: options.titleId,
        sessionId,
        ...(options.clientIp !== undefined ? { clientIp: options.clientIp } : {}),
      },
      smallGet,
    );
  let roster: EdgeRoster | undefined;
  /** Wall time of the engine's clock time `atMs` (set once the engine starts). */
  let wallAt = (_atMs: number) => wallNow();
  const stamp = (atMs?: number) => Math.round(atMs === undefined ? wallNow() : wallAt(atMs));
  const currentEdge = () => (roster === undefined ? {} : { edge: roster.current.id });
  const startPayload = (edge: string | undefined) => ({
    titleId: options.titleId,
    strategy: strategy.name,
    format: http.format,
    mode,
    trace: qoeTraceName(options.trace.name),
    ...(edge !== undefined ? { edge } : {}),
  });
  const onFailover = (notice: FailoverNotice) => {
    emitter?.emit(
      'edge_failover',
      {
        fromEdge: notice.fromEdge,
        ...(notice.toEdge !== undefined ? { toEdge: notice.toEdge } : {}),
        reason: notice.reason,
        positionMs: notice.positionMs,
      },
      stamp(),
    );
    if (notice.toEdge !== undefined) useEdge(notice.toEdge);
    failoverLog.push({ ...notice, ...(engineNowMs !== undefined ? { atMs: engineNowMs() } : {}) });
    options.onFailover?.(notice);
  };
  const onRequestError = (notice: RequestErrorNotice) => {
    if (notice.code === CommonErrorCode.Aborted) return;
    emitter?.emit(
      'error',
      { code: notice.code, message: notice.message.slice(0, 1024), fatal: false, edge: notice.edge },
      stamp(),
    );
  };
  const endFailed = (error: unknown, ladder?: Ladder): HttpSessionResult => {
    const cdnError = toCdnError(error);
    const stopped = options.signal?.aborted === true && cdnError.code === CommonErrorCode.Aborted;
    const qoe = emptyQoe();
    if (!stopped) {
      emitter?.emit(
        'error',
        { code: cdnError.code, message: cdnError.message.slice(0, 1024), fatal: true, ...currentEdge() },
        stamp(),
      );
    }
    const outcome = stopped ? 'stopped' : 'failed';
    emitter?.emit('session_end', {
      outcome,
      summary: toSessionSummary(qoe, {
        strategy: strategy.name,
        titleId: options.titleId,
        trace: options.trace.name,
        failovers: stats.failovers,
      }),
    });
    const now = wallNow();
    return {
      ...base,
      outcome,
      ...(stopped ? {} : { error: { code: cdnError.code, message: cdnError.message } }),
      strategy: strategy.name,
      startMs: 0,
      endMs: 0,
      segments: [],
      downloads: [],
      rebuffers: [],
      startupDelayMs: undefined,
      playedMs: 0,
      qoe,
      failovers: stats.failovers,
      setupMs: now - setupStartMs,
      ...(roster !== undefined ? { firstEdge: edgesUsed[0] } : {}),
      ...(ladder !== undefined ? { ladder } : {}),
    };
  };

  try {
    // ---- setup: steering, then the manifests from the first edge that serves them ----------------
    let answer: SteerResponse;
    try {
      answer = await steer();
      stats.steerAnswers += 1;
    } catch (err) {
      emitter?.emit('session_start', startPayload(undefined));
      return endFailed(err);
    }
    roster = new EdgeRoster(answer.edges, answer.version);
    const firstEdge = roster.current.id;
    useEdge(firstEdge);
    emitter?.emit('session_start', startPayload(firstEdge));
    const failover = new FailoverController({
      roster,
      config: http,
      steer,
      stats,
      ...(options.signal ? { signal: options.signal } : {}),
      onFailover,
      onRequestError,
    });
    let ladder: Ladder;
    let ladderBase: string;
    try {
      const loaded = await failover.run(
        async (edge) => {
          const manifestUrl = relocate(
            http.format === 'dash' ? edge.dashUrl : edge.hlsUrl,
            edge.baseUrl,
            roster!.baseOf(edge),
          );
          stats.requestsByEdge[edge.id] = (stats.requestsByEdge[edge.id] ?? 0) + 1;
          const result = await loadLadder(http.format, manifestUrl, {
            ...smallGet,
            headersFor: (url) =>
              withCmcd(
                http.cmcd,
                url,
                {},
                {
                  sessionId,
                  titleId: options.titleId,
                  format: http.format,
                  objectType: 'm',
                  startup: true,
                },
              ),
          });
          stats.requests += result.requests;
          stats.bytes += result.bytes;
          return { ladder: result.ladder, base: roster!.baseOf(edge) };
        },
        0,
        () => options.signal?.aborted === true,
      );
      ladder = loaded.ladder;
      ladderBase = loaded.base;
    } catch (err) {
      return endFailed(err);
    }
    ladder = cutLadder(ladder, options.maxDurationMs);
    if (options.segmentSizesBytes !== undefined) {
      ladder = {
        ...ladder,
        segmentSizesBytes: options.segmentSizesBytes.slice(0, segmentCount(ladder)),
      };
    }
    const setupMs = wallNow() - setupStartMs;

    // ---- the engine -----------------------------------------------------------------------------
    const clock: Clock = mode === 'virtual' ? new VirtualClock() : (options.clock ?? new SystemClock());
    const originMs = clock.nowMs();
    engineNowMs = () => clock.nowMs();
    const wallOriginMs = wallNow();
    wallAt = (atMs) => wallOriginMs + (atMs - originMs);
    const contentSteering = http.contentSteering
      ? new ContentSteeringClient(answer.steering.server, http.format, 0)
      : undefined;
    const httpFetcher = new HttpSegmentFetcher({
      mode,
      clock,
      originMs,
      network,
      ladder,
      ladderBase,
      failover,
      config: http,
      dispatcher,
      sessionId,
      titleId: options.titleId,
      stats,
      ...(contentSteering ? { contentSteering } : {}),
      onSteered: onFailover,
    });
    const fetcher =
      mode === 'virtual'
        ? new VirtualFetcher({
            network,
            clock: clock as VirtualClock,
            sizeOf: (request, signal) => httpFetcher.sizeOf(request, signal),
          })
        : httpFetcher;
    const onEvent = (event: SessionEvent) => {
      options.onEvent?.(event);
      if (emitter === undefined) return;
      const at = stamp(event.atMs);
      switch (event.type) {
        case 'startup_complete':
          emitter.emit(
            'startup_complete',
            {
              startupDelayMs: event.startupDelayMs,
              rungIndex: event.rungIndex,
              bitrateBps: event.bitrateBps,
              ...currentEdge(),
            },
            at,
          );
          break;
        case 'rung_switch':
          emitter.emit(
            'rung_switch',
            {
              fromRung: event.fromRung,
              toRung: event.toRung,
              fromBitrateBps: event.fromBitrateBps,
              toBitrateBps: event.toBitrateBps,
              positionMs: event.positionMs,
              bufferMs: event.bufferMs,
              reason: event.reason,
              ...currentEdge(),
            },
            at,
          );
          break;
        case 'rebuffer_start':
          emitter.emit('rebuffer_start', { positionMs: event.positionMs, ...currentEdge() }, at);
          break;
        case 'rebuffer_end':
          emitter.emit(
            'rebuffer_end',
            { positionMs: event.positionMs, durationMs: event.durationMs, ...currentEdge() },
            at,
          );
          break;
        case 'error':
          emitter.emit(
            'error',
            { code: event.code, message: event.message.slice(0, 1024), fatal: event.fatal, ...currentEdge() },
            at,
          );
          break;
        case 'session_start':
        case 'segment_loaded':
        case 'download_abandoned':
        case 'playback_ended':
        case 'session_end':
          // Not QoE events: the start and the end are sent with the session's own facts.
          break;
      }
    };
    const result = await runSession({
      ladder,
      strategy,
      fetcher,
      clock,
      ...(options.player ? { config: options.player } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      onEvent,
    });
    await httpFetcher.settle();
    emitter?.emit(
      'session_end',
      {
        outcome: result.outcome,
        summary: toSessionSummary(result.qoe, {
          strategy: strategy.name,
          titleId: options.titleId,
          trace: options.trace.name,
          failovers: stats.failovers,
        }),
      },
      stamp(result.endMs),
    );
    return {
      ...result,
      ...base,
      version: answer.version,
      firstEdge,
      failovers: stats.failovers,
      setupMs,
      ladder,
    };
  } catch (err) {
    if (isCdnError(err) && err.code === CommonErrorCode.ConfigInvalid) throw err;
    if (isCdnError(err) && err.code.startsWith('PLAYER_ERR_') && err.statusCode === 400) throw err;
    return endFailed(err);
  } finally {
    await ownAgent?.close();
  }
}
