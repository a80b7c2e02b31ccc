/**
 * Fleets over HTTP (`cdn play`): many sessions in one process against a real origin and its edges,
 * arriving as a seeded Poisson process, each with a trace (round-robin or seeded draws) and a
 * client address spread over a prefix; every strategy asked for plays every session slot, so their
 * figures compare like for like. In virtual time the ladder's exact sizes are learned once (HEAD)
 * and every session is also reported as a fraction of the offline optimum of its trace.
 */
import { randomBytes } from 'node:crypto';
import { getMaxListeners, setMaxListeners } from 'node:events';
import pLimit from 'p-limit';
import { Agent, type Dispatcher } from 'undici';
import { CdnError, CommonErrorCode } from '../../common/errors.js';
import { FAMILY_BITS, formatIp, parseIp, parsePrefix, type IpAddress } from '../../common/ip.js';
import { createStrategy } from '../abr/index.js';
import { resolvePlayerConfig, type PlayerConfigInput } from '../config.js';
import { PlayerErrorCode, playerError } from '../errors.js';
import type { QoeReporter } from '../events/index.js';
import { fleetToJson, summarize, toCsv, type FleetSession, type StrategySummary } from '../fleet.js';
import { hasVmaf, segmentCount, type Ladder } from '../ladder.js';
import { NetworkModel } from '../network.js';
import { offlineOptimum } from '../optimum.js';
import { seededRandom } from '../../common/random.js';
import type { Trace } from '../trace.js';
import { resolveHttpPlayerConfig, type HttpPlayerConfigInput } from './config.js';
import { EdgeRoster, relocate } from './edges.js';
import { loadLadder, segmentObjectUrls } from './manifest.js';
import { cutLadder, runHttpSession, type HttpSessionResult, type PlayMode } from './session.js';
import { requestSteering, type SteerResponse } from './steering.js';
import { headSize } from './transport.js';

/** HEAD requests in flight at once while sizing a ladder: a few, so the edge is not swamped. */
const SIZING_CONCURRENCY = 8;
/** Virtual-time sessions running at once (each is mostly waiting for its requests). */
const DEFAULT_VIRTUAL_CONCURRENCY = 4;

/**
 * The address of session `index` within `spec`: a plain address is used as is; a prefix gives
 * its hosts in turn (IPv4 prefixes of /30 and shorter skip the network and broadcast addresses).
 * Undefined `spec`: no override. PLAYER_ERR_INVALID_OPTIONS for anything else.
 */
export function clientIpFor(spec: string | undefined, index: number): string | undefined {
  if (spec === undefined) return undefined;
  if (!spec.includes('/')) {
    const ip = parseIp(spec);
    if (ip === undefined)
      throw playerError(
        PlayerErrorCode.InvalidOptions,
        `client address ${JSON.stringify(spec)} is not an IP`,
      );
    return formatIp(ip);
  }
  const parsed = parsePrefix(spec);
  if (!parsed.ok)
    throw playerError(PlayerErrorCode.InvalidOptions, `client prefix ${spec}: ${parsed.reason}`);
  const { prefix } = parsed;
  const hostBits = FAMILY_BITS[prefix.family] - prefix.length;
  // Hosts to cycle through; capped at 2^32 (more sessions than that never run in one process).
  const span = 2 ** Math.min(hostBits, 32);
  const skipEnds = prefix.family === 4 && hostBits >= 2;
  const usable = skipEnds ? span - 2 : span;
  const offset = (index % usable) + (skipEnds ? 1 : 0);
  const words = [...prefix.words];
  // Add the offset to the lowest word (the offset fits in 32 bits, and in the host part).
  const last = words.length - 1;
  words[last] = (words[last]! + offset) >>> 0;
  const address: IpAddress = { family: prefix.family, words };
  return formatIp(address);
}

/** The client address of session slot `index` when sessions spread over one or several specs. */
export function slotClientIp(
  specs: string | readonly string[] | undefined,
  index: number,
): string | undefined {
  if (specs === undefined || typeof specs === 'string') return clientIpFor(specs, index);
  if (specs.length === 0) return undefined;
  return clientIpFor(specs[index % specs.length], Math.floor(index / specs.length));
}

/**
 * Start times (ms after the fleet's start) of `count` sessions arriving as a Poisson process of
 * `ratePerS` sessions per second: exponential gaps drawn from `random` (inverse transform).
 */
export function poissonArrivalsMs(count: number, ratePerS: number, random: () => number): number[] {
  if (!(ratePerS > 0) || !Number.isFinite(ratePerS)) {
    throw playerError(PlayerErrorCode.InvalidOptions, `arrival rate must be > 0 sessions/s, got ${ratePerS}`);
  }
  const times: number[] = [];
  let t = 0;
  for (let i = 0; i < count; i++) {
    if (i > 0) t += (-Math.log(1 - random()) / ratePerS) * 1000;
    times.push(t);
  }
  return times;
}

export interface HttpFleetOptions {
  originUrl: string;
  titleId: string;
  /** Session slots; each strategy plays every slot. */
  sessions: number;
  strategies: readonly string[];
  traces: readonly Trace[];
  /** `round-robin` (default): slot i plays trace i mod n; `random`: seeded draws. */
  assignment?: 'round-robin' | 'random';
  /** Seed of trace draws and arrivals (default 1). */
  seed?: number;
  /** Poisson arrivals at this many sessions per second; default: all at once. */
  arrivalRatePerS?: number;
  mode: PlayMode;
  /**
   * A client address, or a prefix to spread sessions over (steering's `client_ip`); several:
   * session slot i takes the (i mod n)-th, and its hosts in turn.
   */
  clientIp?: string | readonly string[];
  http?: HttpPlayerConfigInput;
  player?: PlayerConfigInput;
  maxDurationMs?: number;
  reporter?: QoeReporter;
  /** Virtual time: sessions at once (default 4). Real time runs every session as it arrives. */
  concurrency?: number;
  /** Virtual time: compute each trace's offline optimum (default true). */
  optimum?: boolean;
  dispatcher?: Dispatcher;
  signal?: AbortSignal;
  /** After each session (progress). */
  onSession?: (session: HttpFleetSession, progress: { done: number; started: number; total: number }) => void;
  /** Each session's whole result (its ladder, downloads, rebuffers), e.g. for a P.1203 export. */
  onResult?: (result: HttpSessionResult) => void;
}

export interface HttpFleetSession extends FleetSession {
  sessionId: string;
  clientIp?: string;
  firstEdge?: string;
  edges: string[];
  failovers: number;
  error?: { code: string; message: string };
  requests: number;
  bytes: number;
  setupMs: number;
  /** Wall time the session took, ms. */
  wallMs: number;
}

export interface HttpStrategySummary extends StrategySummary {
  failed: number;
  failoversPerSession: number;
}

export interface HttpFleetReport {
  mode: PlayMode;
  titleId: string;
  objective: 'lin' | 'vmaf';
  /** Sessions planned, and whether the run was stopped before all of them ran. */
  planned: number;
  interrupted: boolean;
  wallMs: number;
  sessions: HttpFleetSession[];
  strategies: HttpStrategySummary[];
  overall: HttpStrategySummary;
}

/** The summary of one strategy's sessions (or of all: `name` 'all'), failures and failovers included. */
export function summarizeHttp(name: string, sessions: readonly HttpFleetSession[]): HttpStrategySummary {
  const failovers = sessions.reduce((sum, s) => sum + s.failovers, 0);
  return {
    ...summarize(name, sessions),
    failed: sessions.filter((s) => s.outcome === 'failed').length,
    failoversPerSession: sessions.length > 0 ? failovers / sessions.length : Number.NaN,
  };
}

/** Exact sizes (video plus audio bytes) of every segment at every rung, by HEAD on `edge`. */
export async function ladderSizes(
  ladder: Ladder,
  options: { dispatcher: Dispatcher; timeoutMs: number; map?: (url: string) => string; signal?: AbortSignal },
): Promise<number[][]> {
  const limit = pLimit(SIZING_CONCURRENCY);
  const map = options.map ?? ((url: string) => url);
  const sizeOf = (url: string) =>
    limit(() =>
      headSize(map(url), {
        dispatcher: options.dispatcher,
        timeoutMs: options.timeoutMs,
        ...(options.signal ? { signal: options.signal } : {}),
      }),
    );
  const rows = Array.from({ length: segmentCount(ladder) }, (_, k) =>
    Promise.all(
      ladder.rungs.map(async (_rung, r) => {
        const sizes = await Promise.all(segmentObjectUrls(ladder, k, r).map(sizeOf));
        return sizes.reduce((a, b) => a + b, 0);
      }),
    ),
  );
  return Promise.all(rows);
}

/**
 * Each completed session's optimum and its fraction of it. The optimum of a trace is the offline
 * DP's, or what a session achieved on it when that is more: the DP merges paths within a buffer
 * bin (100 ms), so on small ladders, where a few ms of startup decide, it can miss the best path
 * by that much; the true optimum is at least anything a player achieved on the same trace.
 */
function addOptimum(
  sessions: HttpFleetSession[],
  optimumOf: ReadonlyMap<string, number>,
  objective: 'lin' | 'vmaf',
): void {
  const achieved = (s: HttpFleetSession) => (objective === 'vmaf' ? s.qoe.qoeVmaf : s.qoe.qoeLin);
  const completed = sessions.filter((s) => s.outcome === 'completed');
  for (const [trace, dp] of optimumOf) {
    const onTrace = completed.filter((s) => s.trace === trace);
    const best = Math.max(dp, ...onTrace.map((s) => achieved(s) ?? Number.NEGATIVE_INFINITY));
    for (const s of onTrace) {
      s.optimumQoe = best;
      const value = achieved(s);
      if (best > 0 && value !== undefined) s.fractionOfOptimum = value / best;
    }
  }
}

interface Slot {
  index: number;
  strategy: string;
  trace: Trace;
  clientIp: string | undefined;
  arrivalMs: number;
}

function sleep(ms: number, signal: AbortSignal | undefined): Promise<boolean> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve(false);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve(true);
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      resolve(false);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * Runs the fleet. Rejects before any session starts when the options are bad or steering refuses
 * the title (PLAYER_ERR_TITLE_NOT_FOUND, PLAYER_ERR_STEERING); after that, failures are sessions'
 * outcomes. A stop (`signal`) ends the sessions in progress, starts no more, and resolves with a
 * partial report (`interrupted`).
 */
export async function runHttpFleet(options: HttpFleetOptions): Promise<HttpFleetReport> {
  const startedMs = Date.now();
  const http = resolveHttpPlayerConfig(options.http);
  const playerConfig = resolvePlayerConfig(options.player);
  if (!Number.isInteger(options.sessions) || options.sessions < 1) {
    throw playerError(
      PlayerErrorCode.InvalidOptions,
      `sessions must be an integer >= 1, got ${options.sessions}`,
    );
  }
  if (options.traces.length === 0) throw playerError(PlayerErrorCode.InvalidOptions, 'a fleet needs a trace');
  if (options.strategies.length === 0)
    throw playerError(PlayerErrorCode.InvalidOptions, 'a fleet needs a strategy');
  for (const name of options.strategies) createStrategy(name);
  for (const trace of options.traces) new NetworkModel(trace);
  const random = seededRandom(options.seed ?? 1);
  const slots: Slot[] = [];
  for (let index = 0; index < options.sessions; index++) {
    const trace =
      options.assignment === 'random'
        ? options.traces[Math.floor(random() * options.traces.length)]!
        : options.traces[index % options.traces.length]!;
    const clientIp = slotClientIp(options.clientIp, index);
    for (const strategy of options.strategies) slots.push({ index, strategy, trace, clientIp, arrivalMs: 0 });
  }
  if (options.arrivalRatePerS !== undefined) {
    poissonArrivalsMs(slots.length, options.arrivalRatePerS, random).forEach(
      (t, i) => (slots[i]!.arrivalMs = t),
    );
  }

  // Every waiting and running session listens to the stop signal (a few listeners each): that
  // fan-out is expected, not a leak.
  if (options.signal) {
    setMaxListeners(Math.max(getMaxListeners(options.signal), slots.length * 4 + 10), options.signal);
  }
  const ownAgent = options.dispatcher === undefined ? new Agent() : undefined;
  const dispatcher = options.dispatcher ?? ownAgent!;
  const runId = randomBytes(4).toString('hex');
  try {
    // Preflight: the title is known and steering answers (a coded error otherwise, nothing started).
    const preflight: SteerResponse = await requestSteering(
      {
        originUrl: options.originUrl,
        titleId: options.titleId,
        sessionId: `${runId}-preflight`,
        ...(slots[0]!.clientIp !== undefined ? { clientIp: slots[0]!.clientIp } : {}),
      },
      {
        dispatcher,
        timeoutMs: http.requestTimeoutMs,
        maxBytes: http.maxManifestBytes,
        ...(options.signal ? { signal: options.signal } : {}),
      },
    );
    let sizes: number[][] | undefined;
    let objective: 'lin' | 'vmaf' = 'lin';
    const optimumOf = new Map<string, number>();
    if (options.mode === 'virtual') {
      const roster = new EdgeRoster(preflight.edges, preflight.version);
      const edge = roster.current;
      const manifestUrl = relocate(
        http.format === 'dash' ? edge.dashUrl : edge.hlsUrl,
        edge.baseUrl,
        roster.baseOf(edge),
      );
      const { ladder } = await loadLadder(http.format, manifestUrl, {
        dispatcher,
        timeoutMs: http.requestTimeoutMs,
        maxBytes: http.maxManifestBytes,
      });
      sizes = await ladderSizes(ladder, { dispatcher, timeoutMs: http.requestTimeoutMs });
      const sized = cutLadder({ ...ladder, segmentSizesBytes: sizes }, options.maxDurationMs);
      objective = hasVmaf(sized) ? 'vmaf' : 'lin';
      if (options.optimum !== false) {
        for (const slot of slots) {
          if (optimumOf.has(slot.trace.name)) continue;
          optimumOf.set(
            slot.trace.name,
            offlineOptimum(sized, new NetworkModel(slot.trace), { config: playerConfig, objective }).qoe,
          );
        }
      }
    }

    const sessions: HttpFleetSession[] = [];
    let started = 0;
    const limit = pLimit(
      options.mode === 'virtual'
        ? (options.concurrency ?? DEFAULT_VIRTUAL_CONCURRENCY)
        : Number.POSITIVE_INFINITY,
    );
    const fleetStartMs = performance.now();
    const runSlot = async (slot: Slot): Promise<void> => {
      const waitMs = slot.arrivalMs - (performance.now() - fleetStartMs);
      if (waitMs > 0 && !(await sleep(waitMs, options.signal))) return;
      if (options.signal?.aborted) return;
      started += 1;
      const t0 = performance.now();
      const result: HttpSessionResult = await runHttpSession({
        originUrl: options.originUrl,
        titleId: options.titleId,
        strategy: slot.strategy,
        mode: options.mode,
        trace: slot.trace,
        sessionId: `${runId}-${String(slot.index).padStart(5, '0')}-${slot.strategy}`,
        ...(slot.clientIp !== undefined ? { clientIp: slot.clientIp } : {}),
        http,
        ...(options.player ? { player: options.player } : {}),
        dispatcher,
        ...(options.reporter ? { reporter: options.reporter } : {}),
        ...(options.maxDurationMs !== undefined ? { maxDurationMs: options.maxDurationMs } : {}),
        ...(sizes ? { segmentSizesBytes: sizes } : {}),
        ...(options.signal ? { signal: options.signal } : {}),
      });
      const session: HttpFleetSession = {
        strategy: result.strategy,
        index: slot.index,
        trace: slot.trace.name,
        offsetMs: 0,
        outcome: result.outcome,
        qoe: result.qoe,
        abandonments: result.downloads.filter((d) => d.abandoned).length,
        sessionId: result.sessionId,
        ...(slot.clientIp !== undefined ? { clientIp: slot.clientIp } : {}),
        ...(result.firstEdge !== undefined ? { firstEdge: result.firstEdge } : {}),
        edges: result.edges,
        failovers: result.failovers,
        ...(result.error ? { error: result.error } : {}),
        requests: result.stats.requests,
        bytes: result.stats.bytes,
        setupMs: result.setupMs,
        wallMs: performance.now() - t0,
      };
      sessions.push(session);
      options.onResult?.(result);
      options.onSession?.(session, { done: sessions.length, started, total: slots.length });
    };
    await Promise.all(slots.map((slot) => limit(() => runSlot(slot))));
    if (optimumOf.size > 0) addOptimum(sessions, optimumOf, objective);
    sessions.sort(
      (a, b) =>
        a.index - b.index || options.strategies.indexOf(a.strategy) - options.strategies.indexOf(b.strategy),
    );
    const names = options.strategies.map((name) => createStrategy(name).name);
    return {
      mode: options.mode,
      titleId: options.titleId,
      objective,
      planned: slots.length,
      interrupted: options.signal?.aborted === true,
      wallMs: Date.now() - startedMs,
      sessions,
      strategies: names.map((name) =>
        summarizeHttp(
          name,
          sessions.filter((s) => s.strategy === name),
        ),
      ),
      overall: summarizeHttp('all', sessions),
    };
  } catch (err) {
    if (options.signal?.aborted && !(err instanceof CdnError)) {
      throw new CdnError(CommonErrorCode.Aborted, 'fleet stopped', { cause: err });
    }
    throw err;
  } finally {
    await ownAgent?.close();
  }
}

const CSV_COLUMNS = [
  'sessionId',
  'strategy',
  'index',
  'trace',
  'clientIp',
  'outcome',
  'errorCode',
  'firstEdge',
  'edges',
  'failovers',
  'startupDelayMs',
  'playedMs',
  'rebufferCount',
  'rebufferDurationMs',
  'rebufferRatio',
  'avgBitrateBps',
  'avgVmaf',
  'p5Vmaf',
  'switchCount',
  'switchMagnitudeBps',
  'qoeLin',
  'qoeVmaf',
  'abandonments',
  'requests',
  'bytes',
  'setupMs',
  'wallMs',
  'optimumQoe',
  'fractionOfOptimum',
] as const;

/** One row per session (RFC 4180 CSV with a header line). */
export function httpFleetToCsv(report: HttpFleetReport): string {
  return toCsv(
    CSV_COLUMNS,
    report.sessions.map((s) => {
      const { error, edges, qoe, ...facts } = s;
      return { ...facts, ...qoe, errorCode: error?.code, edges: edges.join('>') };
    }),
  );
}

/** The report as JSON (NaN written as null). */
export function httpFleetToJson(report: HttpFleetReport): string {
  return fleetToJson(report);
}

const fixed = (value: number | undefined, digits: number): string =>
  value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);

/** Aligned text columns (left-aligned, two spaces apart). */
export function alignColumns(rows: readonly (readonly string[])[]): string {
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => (r[i] ?? '').length)));
  return rows
    .map((r) =>
      r
        .map((cell, i) => cell.padEnd(widths[i]!))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
}

/**
 * The summary table: per strategy and overall, p50/p95 startup, rebuffer ratio, bitrate, VMAF,
 * QoE, failovers, and the fraction of the optimum in virtual time.
 */
export function formatHttpFleetTable(report: HttpFleetReport): string {
  const withOptimum = report.overall.fractionOfOptimum !== undefined;
  const header = [
    'strategy',
    'sessions',
    'failed',
    'startup p50/p95 s',
    'rebuffer % mean/p95',
    'bitrate kbps p50',
    'VMAF mean',
    'QoE_lin mean',
    ...(report.objective === 'vmaf' ? ['QoE_vmaf mean'] : []),
    'failovers/session',
    ...(withOptimum ? ['of optimum'] : []),
  ];
  const line = (s: HttpStrategySummary): string[] => [
    s.strategy,
    String(s.sessions),
    String(s.failed),
    `${fixed(s.startupDelayMs.p50 / 1000, 2)}/${fixed(s.startupDelayMs.p95 / 1000, 2)}`,
    `${fixed(s.rebufferRatio.mean * 100, 2)}/${fixed(s.rebufferRatio.p95 * 100, 2)}`,
    fixed(s.avgBitrateBps.p50 / 1000, 0),
    fixed(s.avgVmaf?.mean, 1),
    fixed(s.qoeLin.mean, 2),
    ...(report.objective === 'vmaf' ? [fixed(s.qoeVmaf?.mean, 1)] : []),
    fixed(s.failoversPerSession, 2),
    ...(withOptimum ? [fixed(s.fractionOfOptimum?.mean, 3)] : []),
  ];
  return alignColumns([header, ...report.strategies.map(line), line(report.overall)]);
}
