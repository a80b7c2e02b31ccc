/**
 * `cdn demo`: the whole system on loopback, end to end. It makes (or takes) a source, searches its
 * per-title ladder, encodes and packages it, publishes it to an origin it starts (steering and the
 * QoE collector included), starts three `cdn edge` processes in two sites that learn their client
 * prefixes from BIRD over BGP (or from a static route feed through the same path), plays a fleet
 * of simulated players from addresses in those prefixes over a mix of network traces, kills one
 * edge part way through, and measures everything from the processes' own /metrics.
 */
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { request } from 'undici';
import { createLogger } from '../../common/logging.js';
import {
  detectTools,
  encodeTitle,
  encoderToolsConfigFromEnv,
  makeSyntheticSource,
  type EncodeOptionsInput,
  type EncodeResult,
  type EncoderTools,
  type SyntheticPattern,
} from '../../encoder/index.js';
import { packageTitle } from '../../manifests/index.js';
import { originConfigFromInput, startOrigin, type RunningOrigin } from '../../origin/index.js';
import {
  createQoeReporter,
  runHttpFleet,
  sessionTimeline,
  type HttpFleetReport,
  type HttpFleetSession,
  type HttpSessionResult,
  type SteerResponse,
  type Trace,
} from '../../player-sim/index.js';
import type { ProgressReporter } from '../progress.js';
import type {
  DemoEdgeSummary,
  DemoReportData,
  DemoRestart,
  DemoSessionTimeline,
  HitRatioPoint,
} from './reportData.js';
import {
  findBird,
  freePort,
  loopbackHosts,
  pollUntil,
  spawnLogged,
  startBird,
  waitReady,
  type BirdRouter,
  type ChildDaemon,
} from './processes.js';
import {
  edgeFigures,
  hitRatioOf,
  originContentFigures,
  parseExposition,
  sumOf,
  type EdgeFigures,
} from './scrape.js';
import { formatRestart } from './summary.js';
import {
  CLIENT_PREFIXES,
  DEMO_EDGES,
  DEMO_SITES,
  DEMO_VICTIM,
  birdConfig,
  edgeConfigInput,
  hostUrl,
  originConfigInput,
  type DemoSecrets,
  type EdgeAddress,
} from './topology.js';
import { demoTraces } from './traces.js';

export const DEMO_TITLE_ID = 'demo';

/** The two sizes of the run: the default (a few minutes on 2 cores) and `--quick` (CI). */
export interface DemoScale {
  mode: 'full' | 'quick';
  /** Generated title. */
  durationS: number;
  width: number;
  height: number;
  /** Encoder settings for the ladder search and the final encodes. */
  encode: Omit<EncodeOptionsInput, 'outDir' | 'metric'>;
  /** Session slots per ABR strategy. */
  sessionsPerStrategy: number;
  /** Poisson arrival rate of sessions, per second. */
  arrivalRatePerS: number;
  /** When the victim edge is killed, ms after the fleet started. */
  killAtMs: number;
}

export const DEMO_SCALES: Record<'full' | 'quick', DemoScale> = {
  full: {
    mode: 'full',
    durationS: 30,
    // 960x540: the search, the final encodes, the fixed ladder's encodes and all their VMAF
    // measurements take about two and a half minutes on 2 cores (at 1280x720, over five).
    width: 960,
    height: 540,
    // superfast x264; 2 s segments give the players and caches 15 segments per rung to work with.
    encode: {
      preset: 'superfast',
      searchPreset: 'superfast',
      segmentDurationS: 2,
      gopDurationS: 2,
      sampleDurationS: 4,
      resolutions: [
        { width: 960, height: 540 },
        { width: 640, height: 360 },
        { width: 416, height: 234 },
      ],
      compareFixed: true,
    },
    // 10 slots per strategy: each of the five traces plays from both sites.
    sessionsPerStrategy: 10,
    arrivalRatePerS: 4,
    killAtMs: 15_000,
  },
  quick: {
    mode: 'quick',
    durationS: 12,
    width: 640,
    height: 360,
    encode: {
      preset: 'ultrafast',
      searchPreset: 'ultrafast',
      segmentDurationS: 2,
      gopDurationS: 2,
      sampleDurationS: 2,
      resolutions: [
        { width: 640, height: 360 },
        { width: 416, height: 234 },
      ],
      floorBitrateKbps: 100,
      compareFixed: true,
    },
    sessionsPerStrategy: 5,
    arrivalRatePerS: 10,
    killAtMs: 5000,
  },
};

export interface DemoOptions {
  workDir: string;
  scale: DemoScale;
  /** The user's source; absent: a generated lavfi title. */
  source?: string;
  pattern: SyntheticPattern;
  /** Quality metric; absent: VMAF when a model is available, else PSNR (and say so). */
  metric?: 'vmaf' | 'psnr' | 'ssim';
  strategies: readonly string[];
  /** Network traces; absent: the demo's own, scaled to the ladder. */
  traces?: readonly Trace[];
  /** `off`: static routes even when BIRD is installed. */
  bgp: 'auto' | 'off';
  seed: number;
  /** argv that runs the `cdn` command (the edges are `cdn edge` processes). */
  cdnCommand: readonly string[];
  /** PATH to look for BIRD in. */
  pathEnv: string | undefined;
}

export interface DemoHooks {
  signal: AbortSignal;
  /** One line of what the demo is doing (to standard error). */
  say: (line: string) => void;
  progress: ProgressReporter;
}

export interface RunningEdgeProcess {
  id: string;
  url: string;
  address: EdgeAddress;
  configPath: string;
  daemon: ChildDaemon;
  killedAtMs?: number;
}

/** What is left running after the measurements, and how to stop it. */
export interface DemoSystem {
  origin: RunningOrigin;
  edges: RunningEdgeProcess[];
  bird: BirdRouter | undefined;
  stop(): Promise<void>;
}

export interface DemoRun {
  data: DemoReportData;
  system: DemoSystem;
}

const elapsed = (fromMs: number) => Date.now() - fromMs;

/** The metric to search with: the asked one, else VMAF when the tools can compute it, else PSNR. */
export function chooseMetric(
  asked: DemoOptions['metric'],
  tools: Pick<EncoderTools, 'vmaf'>,
): { metric: 'vmaf' | 'psnr' | 'ssim'; note: string } {
  const vmafReady = !(tools.vmaf instanceof Error);
  if (asked !== undefined) return { metric: asked, note: `metric ${asked} (asked for)` };
  if (vmafReady) return { metric: 'vmaf', note: 'metric VMAF' };
  return {
    metric: 'psnr',
    note: `metric PSNR: VMAF is not available here (${(tools.vmaf as Error).message})`,
  };
}

async function scrape(url: string): Promise<ReturnType<typeof parseExposition>> {
  const res = await request(`${url}/metrics`, { headersTimeout: 5000, bodyTimeout: 5000 });
  const text = await res.body.text();
  if (res.statusCode !== 200) throw new Error(`${url}/metrics answered ${res.statusCode}`);
  return parseExposition(text);
}

/** Samples every live edge's hit ratio every `periodMs` (see start) while the fleet plays. */
class HitRatioSampler {
  readonly series = new Map<string, HitRatioPoint[]>();
  readonly last = new Map<string, EdgeFigures>();
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  constructor(
    private readonly edges: readonly RunningEdgeProcess[],
    private readonly fleetStartMs: number,
    private readonly onTick: (sampler: HitRatioSampler) => void,
  ) {
    for (const e of edges) this.series.set(e.id, []);
  }
  start(periodMs: number): void {
    this.timer = setInterval(() => {
      this.running ??= this.tick().finally(() => (this.running = undefined));
    }, periodMs);
  }
  async tick(): Promise<void> {
    const tMs = elapsed(this.fleetStartMs);
    await Promise.all(
      this.edges
        .filter((e) => e.daemon.running)
        .map(async (edge) => {
          let figures: EdgeFigures;
          try {
            figures = edgeFigures(await scrape(edge.url));
          } catch {
            return; // killed between the check and the scrape
          }
          const before = this.last.get(edge.id);
          const requests = figures.requests - (before?.requests ?? 0);
          const cached = figures.cachedRequests - (before?.cachedRequests ?? 0);
          this.series.get(edge.id)!.push({
            tMs,
            intervalRatio: requests > 0 ? cached / requests : Number.NaN,
            cumulativeRatio: hitRatioOf(figures),
            requests,
          });
          this.last.set(edge.id, figures);
        }),
    );
    this.onTick(this);
  }
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
    await this.tick();
  }
}

function randomSecrets(): DemoSecrets {
  const token = () => randomBytes(16).toString('hex');
  return {
    apiToken: token(),
    urlTokenKey: randomBytes(32).toString('base64'),
    fillKey: randomBytes(32).toString('base64'),
    edgeTokens: Object.fromEntries(DEMO_EDGES.map((e) => [e.id, token()])),
  };
}

async function steer(
  originUrl: string,
  clientIp: string,
  session: string,
): Promise<SteerResponse | undefined> {
  const res = await request(
    `${originUrl}/v1/steer?title=${DEMO_TITLE_ID}&session=${session}&client_ip=${encodeURIComponent(clientIp)}`,
    { headersTimeout: 5000, bodyTimeout: 5000 },
  );
  const text = await res.body.text();
  return res.statusCode === 200 ? (JSON.parse(text) as SteerResponse) : undefined;
}

/** A client address inside a prefix (its first host). */
const firstHost = (prefix: string): string => {
  const [net] = prefix.split('/') as [string];
  return net.includes(':') ? net.replace(/::$/, '::1') : net.replace(/\.0$/, '.1');
};

/** Encodes, packages; the ladder file and the package directory. */
async function makeTitle(
  options: DemoOptions,
  hooks: DemoHooks,
  tools: EncoderTools,
  metric: 'vmaf' | 'psnr' | 'ssim',
  timings: Record<string, number>,
): Promise<{ encoded: EncodeResult; packageDir: string; sourceNote: string }> {
  const { scale, workDir } = options;
  const { signal } = hooks;
  let source = options.source;
  let sourceNote: string;
  if (source === undefined) {
    source = join(workDir, `source-${options.pattern}.mp4`);
    sourceNote = `generated: ${scale.durationS} s ${scale.width}x${scale.height} lavfi '${options.pattern}' with audio`;
    hooks.say(`making the source (${sourceNote})`);
    const t0 = Date.now();
    await makeSyntheticSource(
      tools.ffmpegPath,
      {
        pattern: options.pattern,
        resolution: { width: scale.width, height: scale.height },
        durationS: scale.durationS,
        fps: 30,
        audio: true,
      },
      source,
      { signal },
    );
    timings.source = elapsed(t0);
  } else {
    sourceNote = source;
  }
  hooks.say(
    `searching the per-title ladder with ${metric.toUpperCase()} and encoding it (and the fixed ladder)`,
  );
  let t0 = Date.now();
  const encoded = await encodeTitle(
    source,
    { ...scale.encode, outDir: join(workDir, 'renditions'), overwrite: true, metric },
    { signal, tools, onProgress: (p) => hooks.progress.update(p) },
  );
  timings.encode = elapsed(t0);
  t0 = Date.now();
  const packaged = await packageTitle(
    encoded.outDir,
    { outDir: join(workDir, 'package'), overwrite: true, titleId: DEMO_TITLE_ID },
    { signal, onProgress: (p) => hooks.progress.update(p) },
  );
  timings.package = elapsed(t0);
  hooks.progress.stop();
  return { encoded, packageDir: packaged.outDir, sourceNote };
}

/** Runs the demo; the system is left running (call `system.stop()`). */
export async function runDemo(options: DemoOptions, hooks: DemoHooks): Promise<DemoRun> {
  const startedMs = Date.now();
  const timings: Record<string, number> = {};
  const { workDir, scale } = options;
  const { signal, say } = hooks;
  await mkdir(join(workDir, 'logs'), { recursive: true });
  await mkdir(join(workDir, 'config'), { recursive: true });

  const tools = await detectTools(encoderToolsConfigFromEnv(), signal);
  const { metric, note: metricNote } = chooseMetric(options.metric, tools);
  say(`${tools.ffmpegVersion.split(' Copyright')[0]}; ${metricNote}; working in ${workDir}`);
  const { encoded, packageDir, sourceNote } = await makeTitle(options, hooks, tools, metric, timings);

  // The system: origin first (edges register with it), then BIRD, then the edges.
  let t0 = Date.now();
  const secrets = randomSecrets();
  const logStream = createWriteStream(join(workDir, 'logs', 'origin.log'), { flags: 'a' });
  const origin = await startOrigin(
    originConfigFromInput(originConfigInput(join(workDir, 'origin'), '127.0.0.1', secrets)),
    { logger: createLogger({ level: 'info', name: 'cdn-origin', destination: logStream }) },
  );
  const edges: RunningEdgeProcess[] = [];
  let bird: BirdRouter | undefined;
  const system: DemoSystem = {
    origin,
    edges,
    get bird() {
      return bird;
    },
    async stop() {
      await Promise.all(edges.map((e) => e.daemon.stop('SIGTERM')));
      await bird?.daemon.stop('SIGTERM');
      await origin.close();
      logStream.end();
    },
  };
  try {
    const published = await origin.app.origin.store.publish(packageDir);
    say(`origin on ${origin.url}: published '${DEMO_TITLE_ID}' version ${published.version}`);

    const { hosts, distinct } = await loopbackHosts(DEMO_EDGES.length + 1, 10);
    const birdHost = hosts[0]!;
    const addresses = new Map<string, EdgeAddress>();
    for (const [i, plan] of DEMO_EDGES.entries()) {
      const host = hosts[i + 1]!;
      addresses.set(plan.id, { host, port: await freePort(host), bgpPort: await freePort(host) });
    }
    if (!distinct)
      say('this system has only 127.0.0.1 for loopback: every edge listens there on its own port');

    let routes: DemoReportData['routes'];
    const birdPaths = options.bgp === 'auto' ? findBird(options.pathEnv) : undefined;
    if (birdPaths !== undefined) {
      try {
        const dir = join(workDir, 'bird');
        await mkdir(dir, { recursive: true });
        bird = await startBird(birdPaths, dir, birdConfig(birdHost, addresses));
        routes = {
          source: 'bgp',
          note: `client prefixes come from BIRD (${birdPaths.bird}, AS 64500 on ${birdHost}) over BGP sessions with each edge's speaker`,
        };
      } catch (err) {
        routes = {
          source: 'static',
          note: `BIRD is installed but did not start (${(err as Error).message}); client prefixes come from a static route feed (the same control-plane path)`,
        };
      }
    } else {
      routes = {
        source: 'static',
        note:
          options.bgp === 'off'
            ? 'client prefixes come from a static route feed (--no-bgp), through the same control-plane path as BGP'
            : 'BIRD is not installed: client prefixes come from a static route feed, through the same control-plane path as BGP (apt-get install bird2 for real BGP sessions)',
      };
    }
    say(routes.note);

    for (const plan of DEMO_EDGES) {
      const address = addresses.get(plan.id)!;
      const config = edgeConfigInput(plan, addresses, {
        originUrl: origin.url,
        cacheDir: join(workDir, 'cache', plan.id),
        secrets,
        birdHost: bird ? birdHost : undefined,
      });
      const configPath = join(workDir, 'config', `${plan.id}.json`);
      await writeFile(configPath, `${JSON.stringify(config, null, 2)}\n`, { mode: 0o600 });
      const daemon = await spawnLogged(
        plan.id,
        [...options.cdnCommand, 'edge', '--config', configPath],
        join(workDir, 'logs', `${plan.id}.log`),
        { ipc: true },
      );
      edges.push({ id: plan.id, url: hostUrl(address.host, address.port), address, configPath, daemon });
    }
    await Promise.all(edges.map((e) => waitReady(e.daemon, `${e.url}/readyz`, 30_000, signal)));
    say(
      `edges up: ${edges.map((e) => `${e.id} ${e.url} (${DEMO_EDGES.find((p) => p.id === e.id)!.site})`).join(', ')}`,
    );
    if (bird) {
      const established = await pollUntil(
        'BGP sessions with the three edges',
        async () => {
          const up = await bird!.establishedSessions();
          return up.length === DEMO_EDGES.length && up;
        },
        { timeoutMs: 30_000, intervalMs: 200, signal },
      );
      say(`BGP: ${established.length} sessions established (${established.join(', ')})`);
    }
    // Steering knows each site's prefixes: a client of each site gets one of its site's edges first.
    for (const site of DEMO_SITES.flatMap((s) => s.prefixes.map((prefix) => ({ ...s, prefix })))) {
      const client = firstHost(site.prefix);
      const answer = await pollUntil(
        `steering to rank ${site.id}'s edges first for ${client}`,
        async () => {
          const s = await steer(origin.url, client, 'demo-warmup');
          return s?.outcome === 'matched_prefix' && s.edges[0]?.cluster === site.id && s;
        },
        { timeoutMs: 30_000, intervalMs: 200, signal },
      );
      say(
        `steering: ${client} matches ${answer.matchedPrefix} → ${answer.edges.map((e) => e.id).join(', ')}`,
      );
    }
    timings.start = elapsed(t0);

    // The fleet.
    const topKbps = Math.max(...encoded.ladder.rungs.map((r) => r.averageBitrateKbps));
    const traces = options.traces ?? demoTraces(topKbps, options.seed);
    const total = scale.sessionsPerStrategy * options.strategies.length;
    say(
      `playing: ${total} sessions (${scale.sessionsPerStrategy} per strategy: ${options.strategies.join(', ')}) over ${traces.length} traces (${traces.map((t) => t.name).join(', ')}), from ${CLIENT_PREFIXES.join(', ')}; ${DEMO_VICTIM} is killed at ${(scale.killAtMs / 1000).toFixed(0)} s`,
    );
    const reporter = await createQoeReporter({
      collectorUrl: origin.url,
      spillPath: join(workDir, 'qoe-spill.ndjson'),
    });
    const fleetStartMs = Date.now();
    t0 = fleetStartMs;
    const timelines: DemoSessionTimeline[] = [];
    let done = 0;
    const sampler = new HitRatioSampler(edges, fleetStartMs, (s) => {
      const ratios = edges
        .map((e) => {
          const points = s.series.get(e.id)!;
          const last = points.at(-1);
          if (!e.daemon.running) return `${e.id} killed`;
          return `${e.id} ${last && Number.isFinite(last.cumulativeRatio) ? `${(last.cumulativeRatio * 100).toFixed(0)}%` : '-'}`;
        })
        .join(', ');
      say(
        `  ${(elapsed(fleetStartMs) / 1000).toFixed(0).padStart(3)} s: ${done}/${total} sessions done; hit ratio ${ratios}`,
      );
    });
    sampler.start(scale.mode === 'quick' ? 1000 : 2000);
    const victim = edges.find((e) => e.id === DEMO_VICTIM)!;
    const killTimer = setTimeout(() => {
      victim.killedAtMs = elapsed(fleetStartMs);
      victim.daemon.child.kill('SIGKILL');
      say(
        `  ${(victim.killedAtMs / 1000).toFixed(1)} s: killed ${victim.id} (SIGKILL): its sessions fail over`,
      );
    }, scale.killAtMs);
    let fleet: HttpFleetReport;
    try {
      fleet = await runHttpFleet({
        originUrl: origin.url,
        titleId: DEMO_TITLE_ID,
        sessions: scale.sessionsPerStrategy,
        strategies: options.strategies,
        traces,
        assignment: 'round-robin',
        seed: options.seed,
        arrivalRatePerS: scale.arrivalRatePerS,
        mode: 'realtime',
        clientIp: CLIENT_PREFIXES,
        http: { format: 'dash', cmcd: 'header' },
        reporter,
        signal,
        onResult: (result: HttpSessionResult) => timelines.push(toTimeline(result, fleetStartMs)),
        onSession: (_s: HttpFleetSession, p) => (done = p.done),
      });
    } finally {
      clearTimeout(killTimer);
      await sampler.stop();
      await reporter.close();
    }
    timings.fleet = elapsed(t0);

    const originFigures = originContentFigures(await scrape(origin.url));
    const edgeSummaries: DemoEdgeSummary[] = edges.map((e) => {
      const plan = DEMO_EDGES.find((p) => p.id === e.id)!;
      const site = DEMO_SITES.find((s) => s.id === plan.site)!;
      const f = sampler.last.get(e.id);
      return {
        id: e.id,
        site: plan.site,
        url: e.url,
        parents: [...plan.parents],
        peers: [...plan.peers],
        prefixes: [...site.prefixes],
        ...(e.killedAtMs !== undefined ? { killedAtMs: e.killedAtMs } : {}),
        requestsByStatus: f?.requestsByStatus ?? {},
        hitRatio: f ? hitRatioOf(f) : Number.NaN,
        bytesServed: f?.bytesServed ?? 0,
        fillsBySource: f?.fillsBySource ?? {},
        coalesced: f?.coalesced ?? 0,
        prefetch: f?.prefetch ?? { issued: 0, used: 0, wasted: 0 },
      };
    });
    const restart = signal.aborted ? undefined : await restartEdge(victim, origin.url, options, hooks);
    if (restart) timings.restart = restart.backInSteeringMs;
    const playerBytes = fleet.sessions.reduce((sum, s) => sum + s.bytes, 0);
    timings.total = elapsed(startedMs);
    const data: DemoReportData = {
      generatedAt: new Date().toISOString(),
      mode: scale.mode,
      title: { id: DEMO_TITLE_ID, durationS: encoded.ladder.source.durationS, source: sourceNote },
      ladder: encoded.ladder,
      routes,
      origin: { url: origin.url, contentRequests: originFigures.requests, contentBytes: originFigures.bytes },
      edges: edgeSummaries,
      originOffload: playerBytes > 0 ? 1 - originFigures.bytes / playerBytes : Number.NaN,
      hitRatioSeries: edges.map((e) => ({ edgeId: e.id, points: sampler.series.get(e.id)! })),
      fleet,
      sessions: timelines.sort((a, b) => a.startOffsetMs - b.startOffsetMs),
      ...(restart !== undefined ? { restart } : {}),
      timingsMs: timings,
    };
    return { data, system };
  } catch (err) {
    await system.stop();
    throw err;
  }
}

/**
 * Starts the killed edge again on its config and disk tier: how fast it is ready, what its disk
 * tier kept, when steering offers it again, and whether it answers from cache at once.
 */
async function restartEdge(
  edge: RunningEdgeProcess,
  originUrl: string,
  options: DemoOptions,
  hooks: DemoHooks,
): Promise<DemoRestart> {
  const { signal, say } = hooks;
  say(`restarting ${edge.id} on its disk tier`);
  const startedMs = Date.now();
  edge.daemon = await spawnLogged(
    edge.id,
    [...options.cdnCommand, 'edge', '--config', edge.configPath],
    edge.daemon.logPath,
    { ipc: true },
  );
  await waitReady(edge.daemon, `${edge.url}/readyz`, 30_000, signal);
  const readyMs = elapsed(startedMs);
  const diskObjects = sumOf(await scrape(edge.url), 'cdn_edge_cache_objects', { tier: 'disk' });
  const site = DEMO_SITES.find((s) => s.id === DEMO_EDGES.find((p) => p.id === edge.id)!.site)!;
  const client = firstHost(site.prefixes[0]!);
  const offered = await pollUntil(
    `steering to offer ${edge.id} again`,
    async () => (await steer(originUrl, client, 'demo-restart'))?.edges.find((e) => e.id === edge.id),
    { timeoutMs: 30_000, intervalMs: 100, signal },
  );
  const backInSteeringMs = elapsed(startedMs);
  const res = await request(offered.dashUrl, { headersTimeout: 5000, bodyTimeout: 5000 });
  await res.body.dump();
  const cacheStatus = res.headers['cache-status'];
  const restart: DemoRestart = {
    edgeId: edge.id,
    readyMs,
    diskObjects,
    backInSteeringMs,
    ...(typeof cacheStatus === 'string' ? { firstRequestCacheStatus: cacheStatus } : {}),
  };
  say(`${formatRestart(restart)}`);
  return restart;
}

/** A session's timeline for the report: bitrate and buffer over time, stalls, edges used. */
function toTimeline(result: HttpSessionResult, fleetStartMs: number): DemoSessionTimeline {
  const sessionMs = result.endMs - result.startMs;
  return {
    sessionId: result.sessionId,
    strategy: result.strategy,
    trace: result.trace,
    ...(result.clientIp !== undefined ? { clientIp: result.clientIp } : {}),
    edges: [...result.edges],
    failovers: result.failovers,
    outcome: result.outcome,
    startOffsetMs: Math.max(0, elapsed(fleetStartMs) - sessionMs),
    points: sessionTimeline(result),
    rebuffers: result.rebuffers.map((r) => ({
      startMs: r.startMs - result.startMs,
      durationMs: r.durationMs,
    })),
    failoverAtMs: result.failoverLog.flatMap((f) => (f.atMs === undefined ? [] : [f.atMs - result.startMs])),
  };
}
