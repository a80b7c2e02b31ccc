/**
 * The session engine's fetcher over HTTP (undici): one segment is the video object at the chosen
 * rung and the audio object alongside it (each preceded by its init segment the first time), on
 * the session's current edge, with CMCD on every request.
 *
 * - Real time (`fetch`): bodies are read at the trace's rate through a ReadGate (a time-varying
 *   token bucket with backpressure); progress reaches the engine every `progressIntervalMs`, and an
 *   abandonment aborts the requests.
 * - Virtual time (`sizeOf`, the VirtualFetcher's hook): the objects are downloaded at full speed and
 *   their media bytes returned; the trace gives the clock. Init segments are requested but, as in
 *   the core's sizes-only mode, not charged to the link.
 *
 * Failover (FailoverController): an error, timeout or stall moves the request to the next ranked
 * edge, at the same segment; when every edge has failed, steering is asked again (up to
 * `steerRounds` answers). Content steering, when on, is reloaded at its TTL before a segment and may
 * move the session to the edge it now prefers.
 */
import type { Dispatcher } from 'undici';
import { CdnError, CommonErrorCode, toCdnError } from '../../common/errors.js';
import type { Clock } from '../clock.js';
import type { Ladder, SegmentLocation } from '../ladder.js';
import type { NetworkModel } from '../network.js';
import type { FetchOptions, FetchResult, SegmentFetcher, SegmentRequest } from '../session.js';
import { withCmcd } from './cmcd.js';
import type { HttpPlayerConfig } from './config.js';
import { relocate, type EdgeRoster } from './edges.js';
import { PlayerHttpErrorCode, playerHttpError } from './errors.js';
import type { ContentSteeringClient, SteerResponse, SteeredEdge } from './steering.js';
import { LinkThrottle } from './throttle.js';
import { ReadGate, streamObject } from './transport.js';

/** Why the session left an edge (the QoE event's reasons). */
export type FailoverReason = 'error' | 'timeout' | 'stall' | 'steering';

export interface FailoverNotice {
  fromEdge: string;
  /** Absent when every edge failed and steering is asked again. */
  toEdge?: string;
  reason: FailoverReason;
  /** Media time of the segment the session resumes at, ms. */
  positionMs: number;
}

export interface RequestErrorNotice {
  edge: string;
  code: string;
  message: string;
}

/** Counters of one session's HTTP activity. */
export interface HttpSessionStats {
  requests: number;
  /** Body bytes received (segments, init segments, manifests). */
  bytes: number;
  failovers: number;
  /** `/v1/steer` answers used (the first included). */
  steerAnswers: number;
  steeringReloads: number;
  /** Requests per edge id. */
  requestsByEdge: Record<string, number>;
}

export interface FailoverOptions {
  roster: EdgeRoster;
  config: Readonly<HttpPlayerConfig>;
  /** Asks steering again (same session). */
  steer: () => Promise<SteerResponse>;
  stats: HttpSessionStats;
  /** Stops the waits between steering rounds. */
  signal?: AbortSignal;
  onFailover?: (notice: FailoverNotice) => void;
  onRequestError?: (notice: RequestErrorNotice) => void;
}

function reasonOf(error: CdnError): FailoverReason {
  if (error.code === PlayerHttpErrorCode.HttpTimeout) return 'timeout';
  if (error.code === PlayerHttpErrorCode.HttpStall) return 'stall';
  return 'error';
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(new CdnError(CommonErrorCode.Aborted, 'aborted'));
    const onAbort = () => {
      clearTimeout(timer);
      reject(new CdnError(CommonErrorCode.Aborted, 'aborted'));
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Runs work on the current edge, failing over (and asking steering again) until it succeeds. */
export class FailoverController {
  private steerRounds = 1;

  constructor(private readonly options: FailoverOptions) {}

  get roster(): EdgeRoster {
    return this.options.roster;
  }

  /**
   * `work(edge)` until it resolves. `stopped()` true after a failure ends the loop with that failure
   * (the caller's abort). PLAYER_ERR_ALL_EDGES_FAILED once steering's answers are used up.
   */
  async run<T>(
    work: (edge: SteeredEdge) => Promise<T>,
    positionMs: number,
    stopped: () => boolean,
  ): Promise<T> {
    for (;;) {
      const edge = this.roster.current;
      try {
        return await work(edge);
      } catch (err) {
        if (stopped()) throw err;
        await this.failover(toCdnError(err), edge, positionMs);
      }
    }
  }

  private async failover(error: CdnError, from: SteeredEdge, positionMs: number): Promise<void> {
    const { roster, stats, config } = this.options;
    this.options.onRequestError?.({ edge: from.id, code: error.code, message: error.message });
    const reason = reasonOf(error);
    stats.failovers += 1;
    if (roster.current.id !== from.id) {
      // Content steering moved the session meanwhile: try the new edge without blaming this one.
      this.options.onFailover?.({ fromEdge: from.id, toEdge: roster.current.id, reason, positionMs });
      return;
    }
    const next = roster.fail();
    if (next !== undefined) {
      this.options.onFailover?.({ fromEdge: from.id, toEdge: next.id, reason, positionMs });
      return;
    }
    this.options.onFailover?.({ fromEdge: from.id, reason, positionMs });
    if (this.steerRounds >= config.steerRounds) {
      throw playerHttpError(
        PlayerHttpErrorCode.AllEdgesFailed,
        `every edge failed after ${this.steerRounds} steering answer(s); last: ${error.code}: ${error.message}`,
        { cause: error },
      );
    }
    this.steerRounds += 1;
    await sleep(config.steerRetryDelayMs, this.options.signal);
    try {
      const answer = await this.options.steer();
      stats.steerAnswers += 1;
      roster.replace(answer.edges);
    } catch (err) {
      const steerError = toCdnError(err);
      if (steerError.code === CommonErrorCode.Aborted) throw steerError;
      // Steering has nothing better (or is down): the next round retries the same edges.
      this.options.onRequestError?.({ edge: from.id, code: steerError.code, message: steerError.message });
    }
  }
}

/** One object of a segment download. */
interface PlannedObject {
  location: SegmentLocation;
  track: 'video' | 'audio';
  init: boolean;
  bitrateBps: number | undefined;
  durationMs: number | undefined;
  /** Where the player goes next on this track (CMCD nor). */
  next: SegmentLocation | undefined;
}

export interface HttpFetcherOptions {
  mode: 'realtime' | 'virtual';
  clock: Clock;
  /** The clock's time at session time 0 (the network model's origin). */
  originMs: number;
  network: NetworkModel;
  ladder: Ladder;
  /** The directory the ladder's URLs are under (the edge its manifests came from). */
  ladderBase: string;
  failover: FailoverController;
  config: Readonly<HttpPlayerConfig>;
  dispatcher: Dispatcher;
  sessionId: string;
  titleId: string;
  stats: HttpSessionStats;
  contentSteering?: ContentSteeringClient;
  /** Content steering moved the session to another edge. */
  onSteered?: (notice: FailoverNotice) => void;
}

export class HttpSegmentFetcher implements SegmentFetcher {
  private readonly loadedInits = new Set<string>();
  private readonly mediaStartsMs: number[];
  private steeringTask: Promise<void> | undefined;

  constructor(private readonly options: HttpFetcherOptions) {
    let t = 0;
    this.mediaStartsMs = options.ladder.segmentDurationsMs.map((d) => {
      const start = t;
      t += d;
      return start;
    });
  }

  /** Real time: downloads the segment at the trace's rate. */
  async fetch(request: SegmentRequest, { signal, onProgress }: FetchOptions): Promise<FetchResult> {
    const { clock, originMs, network, config } = this.options;
    // Real time: a content steering reload runs beside the download (beforeSegment never rejects).
    void this.beforeSegment(request);
    const requestMs = clock.nowMs();
    const chains = this.plan(request);
    let gate: ReadGate | undefined;
    /** Content-Length of each object of the attempt, by `chain:index`, once its headers arrived. */
    let totals = new Map<string, number | undefined>();
    let firstByteFloorMs = requestMs;
    const objectCount = chains.reduce((n, c) => n + c.length, 0);
    const totalBytes = (): number | undefined => {
      const known = [...totals.values()].filter((t): t is number => t !== undefined);
      return known.length === objectCount ? known.reduce((a, b) => a + b, 0) : undefined;
    };
    const firstByteMs = (endMs: number): number =>
      Math.min(endMs, Math.max(firstByteFloorMs, gate?.firstDataMs ?? endMs));
    const aborted = (): FetchResult => {
      const endMs = clock.nowMs();
      return {
        receivedBytes: gate?.deliveredBytes() ?? 0,
        totalBytes: totalBytes() ?? request.expectedBytes,
        requestMs,
        firstByteMs: firstByteMs(endMs),
        endMs,
        aborted: true,
      };
    };
    try {
      return await this.options.failover.run(
        async (edge) => {
          const attemptMs = clock.nowMs() - originMs;
          const throttle = new LinkThrottle(network, attemptMs + network.latencyMsAt(attemptMs));
          firstByteFloorMs = throttle.firstByteMs + originMs;
          gate = new ReadGate(clock, originMs, throttle);
          totals = new Map();
          const attemptGate = gate;
          const ticker = setInterval(() => {
            if (signal.aborted) return;
            const now = clock.nowMs();
            onProgress({
              loadedBytes: attemptGate.deliveredBytes(),
              totalBytes: totalBytes(),
              firstByteMs: attemptGate.firstDataMs === undefined ? undefined : firstByteMs(now),
            });
          }, config.progressIntervalMs);
          try {
            await this.download(edge, chains, request, attemptGate, signal, (key, size) =>
              totals.set(key, size),
            );
            await attemptGate.drain(signal);
          } finally {
            clearInterval(ticker);
            attemptGate.close();
          }
          const endMs = clock.nowMs();
          const received = attemptGate.deliveredBytes();
          return {
            receivedBytes: received,
            totalBytes: received,
            requestMs,
            firstByteMs: firstByteMs(endMs),
            endMs,
            aborted: false,
          };
        },
        this.positionOf(request),
        () => signal.aborted,
      );
    } catch (err) {
      if (signal.aborted) return aborted();
      throw err;
    }
  }

  /** Virtual time: downloads the segment at full speed and returns its media bytes (video plus audio). */
  async sizeOf(request: SegmentRequest, signal: AbortSignal): Promise<number> {
    await this.beforeSegment(request);
    const chains = this.plan(request);
    const { clock, originMs } = this.options;
    return this.options.failover.run(
      (edge) => this.download(edge, chains, request, new ReadGate(clock, originMs, undefined), signal),
      this.positionOf(request),
      () => signal.aborted,
    );
  }

  /** Waits for a content steering reload still in flight (at the session's end). */
  async settle(): Promise<void> {
    await this.steeringTask;
  }

  private positionOf(request: SegmentRequest): number {
    return this.mediaStartsMs[request.segmentIndex] ?? 0;
  }

  /**
   * Reloads content steering when its TTL is up. Virtual time waits for it (the same answers on
   * every run); real time lets it run beside the download, as players do.
   */
  private beforeSegment(request: SegmentRequest): Promise<void> | undefined {
    const { contentSteering, clock, originMs, failover } = this.options;
    if (contentSteering === undefined || this.steeringTask !== undefined) return this.steeringTask;
    const nowMs = clock.nowMs() - originMs;
    if (!contentSteering.due(nowMs)) return undefined;
    const from = failover.roster.current.id;
    const throughputBps = request.throughputKbps === undefined ? undefined : request.throughputKbps * 1000;
    const task = contentSteering
      .reload(nowMs, from, throughputBps, this.smallGet())
      .then((priority) => {
        this.options.stats.steeringReloads = contentSteering.reloads;
        if (priority === undefined) return;
        const to = failover.roster.prefer(priority);
        if (to === undefined) return;
        this.options.stats.failovers += 1;
        this.options.onSteered?.({
          fromEdge: from,
          toEdge: to.id,
          reason: 'steering',
          positionMs: this.positionOf(request),
        });
      })
      .finally(() => {
        this.steeringTask = undefined;
      });
    this.steeringTask = task;
    return this.options.mode === 'virtual' ? task : undefined;
  }

  private smallGet() {
    const { config, dispatcher } = this.options;
    return { dispatcher, timeoutMs: config.requestTimeoutMs, maxBytes: config.maxManifestBytes };
  }

  /** The video chain and the audio chain of a segment: init segments not yet loaded, then media. */
  private plan(request: SegmentRequest): PlannedObject[][] {
    const { ladder } = this.options;
    const k = request.segmentIndex;
    const next = request.nextSegmentIndex;
    const chain = (
      track: 'video' | 'audio',
      segments: readonly SegmentLocation[] | undefined,
      initSegment: SegmentLocation | undefined,
      bitrateBps: number | undefined,
    ): PlannedObject[] => {
      const media = segments?.[k];
      if (media === undefined) {
        throw playerHttpError(
          PlayerHttpErrorCode.HttpNetwork,
          `the ladder has no URL for ${track} segment ${k} of rung ${request.rungIndex}`,
        );
      }
      const objects: PlannedObject[] = [];
      if (initSegment !== undefined && !this.loadedInits.has(initSegment.url)) {
        objects.push({
          location: initSegment,
          track,
          init: true,
          bitrateBps,
          durationMs: undefined,
          next: media,
        });
      }
      objects.push({
        location: media,
        track,
        init: false,
        bitrateBps,
        durationMs: request.durationMs,
        next: next === undefined ? undefined : segments?.[next],
      });
      return objects;
    };
    const rung = request.rung;
    const chains = [chain('video', rung.segments, rung.initSegment, rung.videoBitrateBps ?? rung.bitrateBps)];
    const audio = ladder.audio;
    if (audio?.segments !== undefined) {
      chains.push(chain('audio', audio.segments, audio.initSegment, audio.bitrateBps));
    }
    return chains;
  }

  /**
   * Downloads the chains on `edge` (in parallel, each in order) through `gate`; resolves with the
   * media bytes (init segments left out). A failure aborts the other chain.
   */
  private async download(
    edge: SteeredEdge,
    chains: readonly PlannedObject[][],
    request: SegmentRequest,
    gate: ReadGate,
    signal: AbortSignal,
    onSize?: (key: string, size: number | undefined) => void,
  ): Promise<number> {
    const { config, dispatcher, stats, failover } = this.options;
    const base = failover.roster.baseOf(edge);
    const controller = new AbortController();
    const stop = () => controller.abort();
    signal.addEventListener('abort', stop, { once: true });
    try {
      const bytes = await Promise.all(
        chains.map(async (chain, c) => {
          let media = 0;
          for (const [i, object] of chain.entries()) {
            const target = this.target(object, base, request);
            stats.requests += 1;
            stats.requestsByEdge[edge.id] = (stats.requestsByEdge[edge.id] ?? 0) + 1;
            const size = await streamObject(target.url, {
              dispatcher,
              headers: target.headers,
              signal: controller.signal,
              timeoutMs: config.requestTimeoutMs,
              stallTimeoutMs: config.stallTimeoutMs,
              gate,
              onHeaders: (total) => onSize?.(`${c}:${i}`, total),
            });
            stats.bytes += size;
            if (!object.init) media += size;
          }
          return media;
        }),
      ).catch((err: unknown) => {
        controller.abort();
        throw err;
      });
      for (const chain of chains) for (const o of chain) if (o.init) this.loadedInits.add(o.location.url);
      return bytes.reduce((a, b) => a + b, 0);
    } finally {
      signal.removeEventListener('abort', stop);
    }
  }

  /** URL and headers of an object on the edge whose directory is `base`, with CMCD. */
  private target(
    object: PlannedObject,
    base: string,
    request: SegmentRequest,
  ): { url: string; headers: Record<string, string> } {
    const { ladderBase, config, sessionId, titleId } = this.options;
    const url = relocate(object.location.url, ladderBase, base);
    const range = object.location.byteRange;
    const headers: Record<string, string> =
      range === undefined ? {} : { range: `bytes=${range.offset}-${range.offset + range.length - 1}` };
    return withCmcd(config.cmcd, url, headers, {
      sessionId,
      titleId,
      format: config.format,
      objectType: object.init ? 'i' : object.track === 'video' ? 'v' : 'a',
      ...(object.bitrateBps !== undefined ? { bitrateBps: object.bitrateBps } : {}),
      ...(object.durationMs !== undefined ? { durationMs: object.durationMs } : {}),
      bufferMs: request.bufferMs,
      ...(request.throughputKbps !== undefined ? { throughputKbps: request.throughputKbps } : {}),
      ...(object.next !== undefined ? { nextUrl: relocate(object.next.url, ladderBase, base) } : {}),
      startup: request.phase === 'startup' || request.phase === 'stalled',
      bufferStarved: request.bufferStarved,
    });
  }
}
