/**
 * Edge benchmark (not in CI): `npm run bench:edge -- [--quick] [--out results.json]`.
 *
 * One run on this machine, a real origin (generated titles published through its store) and, in
 * front of it, each contestant warmed so that every measured request is a cache hit:
 *   - our edge (`cdn edge`, its own process): memory-tier hits, and disk-tier hits from a second
 *     edge whose memory tier (1 KiB) is too small to hold any object;
 *   - nginx `proxy_cache` from Debian (2 workers, proxy_cache_lock, keepalive upstream), with
 *     `sendfile off` and `on`, the better of the two taken;
 *   - a bare `node:http` server answering the same bytes from a Map (the platform's ceiling), one
 *     process, and 2 cluster workers as a second reference line;
 *   - our edge with `--workers 2` (node:cluster, memory tier), against the bare server's 2 workers.
 * Objects: a ~2 KB HLS media playlist, a 1 MiB and a 4 MiB segment. Load: `wrk -t1 -c64 -d10s`,
 * contestants alternating (A B C … A B C …) for 3 rounds, medians reported, with wrk's CPU and each
 * server's CPU (wrk shares the 2 cores), also as server CPU µs per request: on a shared, loaded
 * machine requests per second follow whoever else runs, CPU per request much less so. Then:
 *   - herd: N concurrent client misses for one uncached key on a fresh edge (and on nginx), origin
 *     requests counted at the origin, per 1000 client misses;
 *   - memory: the RSS of a fresh edge after filling its configured memory tier with 1 MiB objects,
 *     against the configured size;
 *   - profile: an edge under `--cpu-prof` for the memory and disk hit paths, top self-time functions.
 *
 * Options (see test/bench/lib/options.ts): --duration S, --rounds N, --connections N, --quick,
 * --out FILE; and --herd N (500), --rss-mib N (256; 64 with --quick), --parts load,herd,rss,profile,
 * --contestants KIND,... (load part only: edge-memory, edge-disk, edge-cluster, nginx, bare,
 * bare-cluster; default all), --objects manifest,seg1m,seg4m (default all), --profiles
 * TIER:OBJECT,... (profile part: memory:manifest,memory:seg1m,disk:seg1m by default),
 * --baseline-entry PATH (another build's dist/bin/cdn.js: its edge runs as contestants
 * `baseline-edge-memory` and `baseline-edge-disk` in the same alternating rounds, for before/after).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import { Pool, request } from 'undici';
import { startBareServer, startEdgeProcess, type ChildHttpServer } from './lib/children.js';
import { summariseProfileDir } from './lib/cpuProfile.js';
import { NGINX_PATH, startNginx, type Nginx } from './lib/nginx.js';
import { loadBenchOptions, positive } from './lib/options.js';
import { startBenchOrigin, type BenchOrigin } from './lib/origin.js';
import { rssBytes, runBench, tempDir } from './lib/processes.js';
import { MIB, fmt, median, ratio, table } from './lib/stats.js';
import { runWrk, writeWrkScript, type WrkResult } from './lib/wrk.js';

/** A memory tier this small (the config's minimum, bytes) refuses every object: all hits come from disk. */
const DISK_ONLY_MEMORY_BYTES = 1024;
/** Media segments of the 2 KB playlist: 76 lines of ~25 bytes make ~2 KB. */
const PLAYLIST_SEGMENTS = 76;
/** Waits for a background disk write to commit before a warm request is a hit, in ms. */
const WARM_TIMEOUT_MS = 10_000;
/** Unmeasured load before the rounds, in s: V8 optimises the hot path within a second or two. */
const JIT_WARMUP_S = 2;
/** Objects requested in parallel while filling the memory tier for the RSS test. */
const FILL_CONCURRENCY = 4;

const { options, extra } = loadBenchOptions(process.argv.slice(2), {
  herd: { type: 'string' },
  'rss-mib': { type: 'string' },
  parts: { type: 'string' },
  contestants: { type: 'string' },
  objects: { type: 'string' },
  profiles: { type: 'string' },
  'baseline-entry': { type: 'string' },
});
const str = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const HERD_SIZE = Math.round(positive('--herd', str(extra.herd), 500));
const RSS_MIB = Math.round(positive('--rss-mib', str(extra['rss-mib']), options.quick ? 64 : 256));
const ALL_PARTS = ['load', 'herd', 'rss', 'profile'];
const PARTS = new Set(str(extra.parts)?.split(',') ?? ALL_PARTS);
for (const part of PARTS) {
  if (!ALL_PARTS.includes(part)) throw new Error(`--parts: unknown part "${part}" (${ALL_PARTS.join(', ')})`);
}
/** Workers of the clustered edge contestant (and of the bare server's second line). */
const CLUSTER_WORKERS = 2;
const ALL_KINDS = [
  'edge-memory',
  'edge-disk',
  'edge-cluster',
  'nginx',
  'bare',
  'bare-cluster',
  'baseline-edge-memory',
  'baseline-edge-disk',
] as const;
const BASELINE_ENTRY = str(extra['baseline-entry']);
/** The contestants of the load part (a subset while iterating on one path). */
const KINDS = new Set<string>(
  str(extra.contestants)?.split(',') ??
    ALL_KINDS.filter((k) => BASELINE_ENTRY !== undefined || !k.startsWith('baseline-')),
);
if ([...KINDS].some((k) => k.startsWith('baseline-')) && BASELINE_ENTRY === undefined) {
  throw new Error('--contestants: baseline-* contestants need --baseline-entry');
}
for (const kind of KINDS) {
  if (!(ALL_KINDS as readonly string[]).includes(kind))
    throw new Error(`--contestants: unknown kind "${kind}" (${ALL_KINDS.join(', ')})`);
}
const ALL_OBJECTS = ['manifest', 'seg1m', 'seg4m'] as const;
const knownObject = (id: string): id is (typeof ALL_OBJECTS)[number] =>
  (ALL_OBJECTS as readonly string[]).includes(id);
const OBJECT_IDS = new Set<string>(str(extra.objects)?.split(',') ?? ALL_OBJECTS);
for (const id of OBJECT_IDS) {
  if (!knownObject(id)) throw new Error(`--objects: unknown object "${id}" (${ALL_OBJECTS.join(', ')})`);
}
/** The hit paths profiled (tier and object). */
const PROFILES = (str(extra.profiles) ?? 'memory:manifest,memory:seg1m,disk:seg1m').split(',').map((spec) => {
  const [tier, object] = spec.split(':');
  if ((tier !== 'memory' && tier !== 'disk') || object === undefined || !knownObject(object)) {
    throw new Error(
      `--profiles: "${spec}" is not TIER:OBJECT (tier memory or disk; ${ALL_OBJECTS.join(', ')})`,
    );
  }
  return { tier, object } as const;
});
/** Distinct 1 MiB objects for the RSS fill: 1.25x the tier, so that it evicts too. */
const RSS_FILL_OBJECTS = Math.ceil(RSS_MIB * 1.25);

interface BenchObject {
  id: 'manifest' | 'seg1m' | 'seg4m';
  label: string;
  titleId: string;
  file: string;
  path: string;
  bytes: Buffer;
  sha256: string;
}

type ContestantKind = (typeof ALL_KINDS)[number];

interface Contestant {
  name: string;
  kind: ContestantKind;
  url: string;
  /** Process group measured for CPU. */
  pid: number;
  /** Header that tells a cache hit, and the value that must contain. */
  hitHeader?: { name: string; contains: string };
  /** Processes sharing the port: each must be warmed (connections are spread over them). */
  workers?: number;
}

/** RFC 9211 Cache-Status of our edge, and nginx's $upstream_cache_status, on a hit. */
const EDGE_HIT = { name: 'cache-status', contains: 'hit' };
const NGINX_HIT = { name: 'x-cache-status', contains: 'HIT' };

const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Requests `path` until the answer is a verified cache hit with the origin's bytes. Each request
 * on a new connection, and with several workers sharing the port as many hits in a row as it takes
 * for the kernel's spreading of connections to have reached each worker twice.
 */
async function warm(
  c: Pick<Contestant, 'name' | 'url' | 'hitHeader' | 'workers'>,
  object: BenchObject,
): Promise<Record<string, string>> {
  const deadline = Date.now() + WARM_TIMEOUT_MS;
  const hitsNeeded = (c.workers ?? 1) > 1 ? 4 * c.workers! : 1;
  let hits = 0;
  for (;;) {
    const res = await request(`${c.url}${object.path}`, { reset: true });
    const body = Buffer.from(await res.body.arrayBuffer());
    if (res.statusCode !== 200) throw new Error(`${c.name} answered ${res.statusCode} for ${object.path}`);
    if (sha256(body) !== object.sha256) throw new Error(`${c.name} served wrong bytes for ${object.path}`);
    const hit = c.hitHeader;
    const raw = hit === undefined ? undefined : res.headers[hit.name];
    const value = Array.isArray(raw) ? raw.join(', ') : (raw ?? '');
    hits = hit === undefined || value.includes(hit.contains) ? hits + 1 : 0;
    if (hits >= hitsNeeded) {
      return Object.fromEntries(Object.entries(res.headers).map(([k, v]) => [k, String(v)]));
    }
    if (Date.now() > deadline) {
      throw new Error(`${c.name} still not a hit for ${object.path}: ${hit?.name}: ${value}`);
    }
    if (hits === 0) await sleep(20);
  }
}

/** The value of a gauge series with `label` in an edge's /metrics text. */
async function edgeGauge(url: string, name: string, label: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const m = new RegExp(`^${name}\\{[^}]*${label}[^}]*\\} (\\S+)$`, 'm').exec(text);
  return m ? Number(m[1]) : Number.NaN;
}

function proxyCacheNginx(root: string, origin: BenchOrigin, sendfile: boolean): Promise<Nginx> {
  const name = `nginx-proxy-cache-sendfile-${sendfile ? 'on' : 'off'}`;
  const originPort = new URL(origin.url).port;
  return startNginx({
    dir: join(root, name),
    name,
    sendfile,
    http: (port, dir) => `
  proxy_cache_path ${dir}/cache levels=1:2 keys_zone=bench:16m max_size=4g inactive=1h use_temp_path=off;
  upstream origin {
    server 127.0.0.1:${originPort};
    keepalive 32;
  }
  server {
    listen 127.0.0.1:${port};
    location / {
      proxy_pass http://origin;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_cache bench;
      proxy_cache_lock on;
      proxy_cache_valid 200 1h;
      add_header X-Cache-Status $upstream_cache_status;
    }
  }`,
  });
}

// ---- load ------------------------------------------------------------------------------------

/** wrk on `object` at `baseUrl`; without `pid` an unmeasured JIT warm-up run of JIT_WARMUP_S. */
function load(scriptPath: string, baseUrl: string, object: BenchObject, pid?: number): Promise<WrkResult> {
  return runWrk({
    url: `${baseUrl}${object.path}`,
    scriptPath,
    connections: options.connections,
    durationS: pid === undefined ? JIT_WARMUP_S : options.durationS,
    bodyBytes: object.bytes.length,
    ...(pid !== undefined ? { serverGroups: [pid] } : {}),
  });
}

interface ContestantSummary {
  name: string;
  kind: ContestantKind;
  requestsPerS: number;
  bodyGbitPerS: number;
  transferBytesPerS: number;
  p50Ms: number;
  p99Ms: number;
  wrkCpuPct: number;
  serverCpuPct: number;
  /** Server CPU (user + system, all its processes) per request, in µs. */
  serverCpuUsPerRequest: number;
  errors: number;
  runs: WrkResult[];
}

type Tier = 'memory' | 'disk' | 'memory x2' | 'memory, baseline' | 'disk, baseline';

interface ScenarioRow {
  scenario: string;
  object: BenchObject['id'];
  tier: Tier;
  edge: ContestantSummary;
  nginx: ContestantSummary | undefined;
  bare: ContestantSummary | undefined;
  bareCluster: ContestantSummary | undefined;
  edgeOverNginx: number;
  edgeOverBare: number;
  goals: { name: string; goal: number; value: number; met: boolean }[];
}

function summarise(c: Contestant, runs: WrkResult[]): ContestantSummary {
  return {
    name: c.name,
    kind: c.kind,
    requestsPerS: median(runs.map((r) => r.requestsPerS)),
    bodyGbitPerS: median(runs.map((r) => r.bodyGbitPerS)),
    transferBytesPerS: median(runs.map((r) => r.transferBytesPerS)),
    p50Ms: median(runs.map((r) => r.latencyMs.p50)),
    p99Ms: median(runs.map((r) => r.latencyMs.p99)),
    wrkCpuPct: median(runs.map((r) => r.wrkCpuPct)),
    serverCpuPct: median(runs.map((r) => r.serverCpuPct)),
    serverCpuUsPerRequest: median(runs.map((r) => (r.serverCpuPct * 1e4) / r.requestsPerS)),
    errors: runs.reduce((sum, r) => sum + r.errors, 0),
    runs,
  };
}

/** The goals of the issue for a scenario: [name, threshold, which ratio]. */
function goalsFor(object: BenchObject['id'], tier: Tier): [string, number, 'nginx' | 'bare'][] {
  // The issue's goals are for one process; with workers the ratios are reported against bare x2.
  if (tier === 'memory x2' || tier.endsWith('baseline')) return [];
  if (tier === 'disk') return [['edge/nginx', 0.8, 'nginx']];
  if (object === 'seg1m')
    return [
      ['edge/nginx', 1.2, 'nginx'],
      ['edge/bare', 0.85, 'bare'],
    ];
  if (object === 'manifest') return [['edge/bare', 0.8, 'bare']];
  return [];
}

async function loadTest(
  root: string,
  objects: BenchObject[],
  contestants: Contestant[],
): Promise<{ rows: ScenarioRow[]; summaries: Record<string, ContestantSummary[]> }> {
  const scriptPath = await writeWrkScript(root);
  const rows: ScenarioRow[] = [];
  const summaries: Record<string, ContestantSummary[]> = {};
  for (const object of objects) {
    const runs = new Map<string, WrkResult[]>(contestants.map((c) => [c.name, []]));
    // Unmeasured: JIT warm-up of the Node servers (and nginx's page cache), same for everyone.
    for (const c of contestants) await load(scriptPath, c.url, object);
    for (let round = 1; round <= options.rounds; round++) {
      for (const c of contestants) {
        const r = await load(scriptPath, c.url, object, c.pid);
        runs.get(c.name)!.push(r);
        console.log(
          `  ${object.label.padEnd(14)} round ${round}/${options.rounds} ${c.name.padEnd(30)} ${fmt(r.requestsPerS).padStart(7)} req/s ` +
            `${fmt(r.bodyGbitPerS, 2).padStart(6)} Gbit/s  p99 ${fmt(r.latencyMs.p99, 2)} ms  ` +
            `cpu server ${fmt(r.serverCpuPct)}% wrk ${fmt(r.wrkCpuPct)}%${r.errors > 0 ? `  ERRORS ${r.errors}` : ''}`,
        );
      }
    }
    const s = contestants.map((c) => summarise(c, runs.get(c.name)!));
    summaries[object.id] = s;
    const nginx = s
      .filter((x) => x.kind === 'nginx')
      .reduce<ContestantSummary | undefined>(
        (a, b) => (a === undefined || b.requestsPerS > a.requestsPerS ? b : a),
        undefined,
      );
    const bare = s.find((x) => x.kind === 'bare');
    const bareCluster = s.find((x) => x.kind === 'bare-cluster');
    const edgeKinds: [Tier, ContestantKind][] = [
      ['memory', 'edge-memory'],
      ['memory, baseline', 'baseline-edge-memory'],
      ['disk', 'edge-disk'],
      ['disk, baseline', 'baseline-edge-disk'],
      ['memory x2', 'edge-cluster'],
    ];
    for (const [tier, kind] of edgeKinds) {
      const edge = s.find((x) => x.kind === kind);
      if (edge === undefined) continue;
      const edgeOverNginx = ratio(edge.requestsPerS, nginx?.requestsPerS);
      const edgeOverBare = ratio(
        edge.requestsPerS,
        (tier === 'memory x2' ? bareCluster : bare)?.requestsPerS,
      );
      rows.push({
        scenario: `${object.label}, ${tier}`,
        object: object.id,
        tier,
        edge,
        nginx,
        bare,
        bareCluster,
        edgeOverNginx,
        edgeOverBare,
        goals: goalsFor(object.id, tier).map(([name, goal, against]) => {
          const value = against === 'nginx' ? edgeOverNginx : edgeOverBare;
          return { name, goal, value, met: value >= goal };
        }),
      });
    }
  }
  return { rows, summaries };
}

function printLoadTables(
  rows: ScenarioRow[],
  summaries: Record<string, ContestantSummary[]>,
  objects: BenchObject[],
): void {
  console.log(
    `\nCache hits: wrk -t1 -c${options.connections} -d${options.durationS}s, median of ${options.rounds} alternating rounds; ` +
      `nginx = the better of sendfile off/on; bare = node:http from a Map (1 process; x2 = ${CLUSTER_WORKERS} cluster workers); ` +
      `"memory x2" = the edge with --workers ${CLUSTER_WORKERS}, its edge/bare against bare x2; CPU µs/req = server CPU per request`,
  );
  const header = [
    'scenario',
    'edge req/s',
    'nginx req/s',
    'bare req/s',
    'bare x2 req/s',
    'edge/nginx',
    'edge/bare',
    'goals',
    'edge p99 ms',
    'nginx p99 ms',
    'bare p99 ms',
    'edge Gbit/s',
    'CPU µs/req edge',
    'nginx',
    'bare',
  ];
  console.log(
    table([
      header,
      ...rows.map((r) => [
        r.scenario,
        fmt(r.edge.requestsPerS),
        r.nginx === undefined
          ? '-'
          : `${fmt(r.nginx.requestsPerS)} (${r.nginx.name.endsWith('on') ? 'sf on' : 'sf off'})`,
        fmt(r.bare?.requestsPerS),
        fmt(r.bareCluster?.requestsPerS),
        fmt(r.edgeOverNginx, 2),
        fmt(r.edgeOverBare, 2),
        r.goals.map((g) => `${g.name}>=${g.goal} ${g.met ? 'met' : 'MISSED'}`).join(', ') || '-',
        fmt(r.edge.p99Ms, 2),
        fmt(r.nginx?.p99Ms, 2),
        fmt(r.bare?.p99Ms, 2),
        fmt(r.edge.bodyGbitPerS, 2),
        fmt(r.edge.serverCpuUsPerRequest, 1),
        fmt(r.nginx?.serverCpuUsPerRequest, 1),
        fmt((r.tier === 'memory x2' ? r.bareCluster : r.bare)?.serverCpuUsPerRequest, 1),
      ]),
    ]),
  );
  console.log('\nCPU during the runs (% of one core; 2 cores = 200%), medians; wrk shares the cores');
  const rowsCpu: string[][] = [
    [
      'object',
      'contestant',
      'req/s',
      'Gbit/s',
      'p50 ms',
      'p99 ms',
      'server CPU',
      'CPU µs/req',
      'wrk CPU',
      'errors',
    ],
  ];
  for (const object of objects) {
    for (const s of summaries[object.id] ?? []) {
      rowsCpu.push([
        object.label,
        s.name,
        fmt(s.requestsPerS),
        fmt(s.bodyGbitPerS, 2),
        fmt(s.p50Ms, 2),
        fmt(s.p99Ms, 2),
        `${fmt(s.serverCpuPct)}%`,
        fmt(s.serverCpuUsPerRequest, 1),
        `${fmt(s.wrkCpuPct)}%`,
        String(s.errors),
      ]);
    }
  }
  console.log(table(rowsCpu));
}

// ---- herd ------------------------------------------------------------------------------------

interface HerdResult {
  target: string;
  clients: number;
  herds: number;
  originRequests: number;
  originRequestsPer1000: number;
  statuses: Record<string, number>;
  cacheStatuses: Record<string, number>;
  wrongBodies: number;
  durationMs: number;
}

/** `clients` concurrent GETs of `path`, each body hashed as it streams and checked. */
async function herd(baseUrl: string, path: string, clients: number, expectedSha: string, hitHeader: string) {
  const pool = new Pool(baseUrl, { connections: clients, pipelining: 1 });
  const statuses: Record<string, number> = {};
  const cacheStatuses: Record<string, number> = {};
  let wrongBodies = 0;
  const t0 = performance.now();
  try {
    await Promise.all(
      Array.from({ length: clients }, async () => {
        const res = await pool.request({ method: 'GET', path });
        const hash = createHash('sha256');
        for await (const chunk of res.body) hash.update(chunk as Buffer);
        statuses[res.statusCode] = (statuses[res.statusCode] ?? 0) + 1;
        const raw = res.headers[hitHeader];
        const header = Array.isArray(raw) ? raw.join(',') : (raw ?? '');
        // Only the kind of answer (hit, fwd=miss, collapsed...), not node names.
        const kind = header.includes('collapsed')
          ? 'collapsed'
          : header.includes('fwd=miss')
            ? 'miss'
            : header.includes('hit')
              ? 'hit'
              : header || '(none)';
        cacheStatuses[kind] = (cacheStatuses[kind] ?? 0) + 1;
        if (res.statusCode !== 200 || hash.digest('hex') !== expectedSha) wrongBodies++;
      }),
    );
  } finally {
    await pool.close();
  }
  return { statuses, cacheStatuses, wrongBodies, durationMs: performance.now() - t0 };
}

async function herdTest(
  root: string,
  origin: BenchOrigin,
  seg1m: (n: number) => Promise<BenchObject>,
  nginx: Nginx | undefined,
): Promise<HerdResult[]> {
  const results: HerdResult[] = [];
  // Two herds of HERD_SIZE: 2 x 500 = 1000 client misses by default. Keys past the RSS fill range.
  const herds = 2;
  const targets: {
    name: string;
    url: () => Promise<{ url: string; stop: () => Promise<void> }>;
    hitHeader: string;
    firstKey: number;
  }[] = [
    {
      name: 'edge (fresh process, memory tier)',
      url: async () => {
        const edge = await startEdgeProcess({
          name: 'edge-herd',
          dir: root,
          originUrl: origin.url,
          memoryMaxBytes: 256 * MIB,
        });
        return { url: edge.url, stop: () => edge.stop() };
      },
      hitHeader: 'cache-status',
      firstKey: RSS_FILL_OBJECTS + 1,
    },
  ];
  if (nginx !== undefined) {
    targets.push({
      name: `${nginx.name} (proxy_cache_lock on)`,
      url: () => Promise.resolve({ url: nginx.url, stop: () => Promise.resolve() }),
      hitHeader: 'x-cache-status',
      firstKey: RSS_FILL_OBJECTS + 1 + herds,
    });
  }
  for (const target of targets) {
    const server = await target.url();
    try {
      let originRequests = 0;
      const statuses: Record<string, number> = {};
      const cacheStatuses: Record<string, number> = {};
      let wrongBodies = 0;
      let durationMs = 0;
      for (let h = 0; h < herds; h++) {
        const object = await seg1m(target.firstKey + h);
        const before = await origin.contentRequests();
        const r = await herd(server.url, object.path, HERD_SIZE, object.sha256, target.hitHeader);
        originRequests += (await origin.contentRequests()) - before;
        for (const [k, v] of Object.entries(r.statuses)) statuses[k] = (statuses[k] ?? 0) + v;
        for (const [k, v] of Object.entries(r.cacheStatuses)) cacheStatuses[k] = (cacheStatuses[k] ?? 0) + v;
        wrongBodies += r.wrongBodies;
        durationMs += r.durationMs;
      }
      results.push({
        target: target.name,
        clients: HERD_SIZE,
        herds,
        originRequests,
        originRequestsPer1000: (originRequests / (HERD_SIZE * herds)) * 1000,
        statuses,
        cacheStatuses,
        wrongBodies,
        durationMs,
      });
    } finally {
      await server.stop();
    }
  }
  console.log(`\nHerd: ${herds} x ${HERD_SIZE} concurrent client misses, each for one uncached 1 MiB key`);
  console.log(
    table([
      ['target', 'origin requests', 'per 1000 misses', 'answers', 'cache status', 'wrong bodies', 'time ms'],
      ...results.map((r) => [
        r.target,
        String(r.originRequests),
        fmt(r.originRequestsPer1000, 1),
        JSON.stringify(r.statuses),
        JSON.stringify(r.cacheStatuses),
        String(r.wrongBodies),
        fmt(r.durationMs),
      ]),
    ]),
  );
  return results;
}

// ---- resident memory -------------------------------------------------------------------------

/**
 * glibc's threshold above which malloc maps memory of its own for an allocation (and unmaps it on
 * free), in bytes: 128 KiB, its default, but fixed — by default glibc raises it to the size of the
 * last large block freed, after which 1 MiB bodies come from the heap, and memory freed there is
 * rarely returned to the system. The RSS part runs the edge with and without it.
 */
const MALLOC_ENV = { MALLOC_MMAP_THRESHOLD_: String(128 * 1024) };

interface RssResult {
  variant: string;
  configuredBytes: number;
  baselineRssBytes: number;
  rssAfterFillBytes: number;
  rssAfterHitsBytes: number;
  memoryTierBytes: number;
  memoryTierObjects: number;
  ratio: number;
  ratioAboveBaseline: number;
  goal: number;
  met: boolean;
}

async function rssTest(
  root: string,
  origin: BenchOrigin,
  seg1mPath: (n: number) => string,
): Promise<RssResult[]> {
  const results: RssResult[] = [];
  for (const [variant, env] of [
    ['default environment', undefined],
    [`MALLOC_MMAP_THRESHOLD_=${MALLOC_ENV.MALLOC_MMAP_THRESHOLD_}`, MALLOC_ENV],
  ] as const) {
    results.push(await rssRun(root, origin, seg1mPath, variant, env));
  }
  return results;
}

async function rssRun(
  root: string,
  origin: BenchOrigin,
  seg1mPath: (n: number) => string,
  variant: string,
  env: Readonly<Record<string, string>> | undefined,
): Promise<RssResult> {
  const configuredBytes = RSS_MIB * MIB;
  const edge = await startEdgeProcess({
    name: 'edge-rss',
    dir: root,
    originUrl: origin.url,
    memoryMaxBytes: configuredBytes,
    ...(env !== undefined ? { env } : {}),
  });
  try {
    await fetch(`${edge.url}/healthz`).then((r) => r.arrayBuffer());
    await sleep(500);
    const baselineRssBytes = (await rssBytes(edge.pid)) ?? Number.NaN;
    const pool = new Pool(edge.url, { connections: FILL_CONCURRENCY });
    const fetchAll = async (numbers: number[]): Promise<void> => {
      let next = 0;
      await Promise.all(
        Array.from({ length: FILL_CONCURRENCY }, async () => {
          while (next < numbers.length) {
            const res = await pool.request({ method: 'GET', path: seg1mPath(numbers[next++]!) });
            await res.body.dump({ limit: Infinity });
            if (res.statusCode !== 200) throw new Error(`edge answered ${res.statusCode} while filling`);
          }
        }),
      );
    };
    try {
      const all = Array.from({ length: RSS_FILL_OBJECTS }, (_, i) => i + 1);
      await fetchAll(all);
      await sleep(1000);
      const rssAfterFillBytes = (await rssBytes(edge.pid)) ?? Number.NaN;
      // The resident set again after hits on everything the tier now holds (the newest objects).
      await fetchAll(all.slice(-Math.floor(RSS_MIB * 0.9)));
      await sleep(1000);
      const rssAfterHitsBytes = (await rssBytes(edge.pid)) ?? Number.NaN;
      const memoryTierBytes = await edgeGauge(edge.url, 'cdn_edge_cache_bytes', 'tier="memory"');
      const memoryTierObjects = await edgeGauge(edge.url, 'cdn_edge_cache_objects', 'tier="memory"');
      const peak = Math.max(rssAfterFillBytes, rssAfterHitsBytes);
      const result: RssResult = {
        variant,
        configuredBytes,
        baselineRssBytes,
        rssAfterFillBytes,
        rssAfterHitsBytes,
        memoryTierBytes,
        memoryTierObjects,
        ratio: peak / configuredBytes,
        ratioAboveBaseline: (peak - baselineRssBytes) / configuredBytes,
        goal: 1.15,
        met: peak / configuredBytes <= 1.15,
      };
      console.log(
        `\nResident memory (${variant}): memory tier ${RSS_MIB} MiB filled with ${RSS_FILL_OBJECTS} distinct 1 MiB objects ` +
          `(tier holds ${memoryTierObjects} objects, ${fmt(memoryTierBytes / MIB, 1)} MiB)\n` +
          `  RSS at start ${fmt(baselineRssBytes / MIB, 1)} MiB, after fill ${fmt(rssAfterFillBytes / MIB, 1)} MiB, ` +
          `after hits ${fmt(rssAfterHitsBytes / MIB, 1)} MiB\n` +
          `  RSS / configured = ${fmt(result.ratio, 2)}x (goal <= 1.15x: ${result.met ? 'met' : 'MISSED'}); ` +
          `(RSS - RSS at start) / configured = ${fmt(result.ratioAboveBaseline, 2)}x`,
      );
      return result;
    } finally {
      await pool.close();
    }
  } finally {
    await edge.stop();
  }
}

// ---- profile ---------------------------------------------------------------------------------

interface ProfileResult {
  scenario: string;
  requestsPerS: number;
  top: { name: string; selfMs: number; pct: number }[];
}

async function profileTest(
  root: string,
  origin: BenchOrigin,
  objects: BenchObject[],
): Promise<ProfileResult[]> {
  const scriptPath = await writeWrkScript(root);
  const results: ProfileResult[] = [];
  const cases = PROFILES.map(({ tier, object }) => ({ tier, object: objects.find((o) => o.id === object)! }));
  // Paths in the summary relative to the package root (dist/ or the sources).
  const packageRoot = join(import.meta.dirname, '..', '..', '..');
  for (const [i, c] of cases.entries()) {
    const profDir = join(root, `profile-${i}`);
    await mkdir(profDir, { recursive: true });
    const edge = await startEdgeProcess({
      name: `edge-prof-${i}`,
      dir: root,
      originUrl: origin.url,
      memoryMaxBytes: c.tier === 'memory' ? 256 * MIB : DISK_ONLY_MEMORY_BYTES,
      ...(c.tier === 'disk' ? { diskDir: join(root, `profile-disk-${i}`) } : {}),
      cpuProfDir: profDir,
    });
    let requestsPerS = Number.NaN;
    // Driver times (ms) of the load run and of the edge's exit, to keep only the run's samples.
    let loadStartMs = Number.NaN;
    let loadEndMs = Number.NaN;
    try {
      await warm({ name: edge.name, url: edge.url, hitHeader: EDGE_HIT }, c.object);
      await load(scriptPath, edge.url, c.object);
      loadStartMs = performance.now();
      const r = await load(scriptPath, edge.url, c.object, edge.pid);
      loadEndMs = performance.now();
      requestsPerS = r.requestsPerS;
    } finally {
      // SIGTERM: the edge closes and exits normally, which writes the profile.
      await edge.stop('SIGTERM', 20_000);
    }
    const exitMs = performance.now();
    const rows =
      (await summariseProfileDir(profDir, packageRoot, {
        fromEndUs: (exitMs - loadStartMs) * 1000,
        toEndUs: (exitMs - loadEndMs) * 1000,
      })) ?? [];
    const scenario = `${c.object.label}, ${c.tier}`;
    results.push({ scenario, requestsPerS, top: rows.slice(0, 15) });
    console.log(
      `\nCPU profile of the edge, ${scenario} hits (${fmt(requestsPerS)} req/s under --cpu-prof): top self time`,
    );
    if (rows.length === 0) console.log('  (no profile written)');
    for (const row of rows.slice(0, 15)) {
      console.log(`  ${fmt(row.pct, 1).padStart(5)}%  ${fmt(row.selfMs).padStart(6)} ms  ${row.name}`);
    }
  }
  return results;
}

// ---- main ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const root = await tempDir('edge-bench-');
  console.log(
    `edge benchmark: ${cpus().length} cores, load average ${loadavg()
      .map((l) => l.toFixed(2))
      .join(' ')}, ${options.quick ? 'QUICK mode, ' : ''}parts ${[...PARTS].join(',')}`,
  );
  const origin = await startBenchOrigin(root, [
    { titleId: 'bench-manifest', segmentBytes: 1024, segmentCount: PLAYLIST_SEGMENTS },
    { titleId: 'bench-1m', segmentBytes: MIB, segmentCount: RSS_FILL_OBJECTS + 4 },
    { titleId: 'bench-4m', segmentBytes: 4 * MIB, segmentCount: 1 },
  ]);
  const object = async (
    id: BenchObject['id'],
    label: string,
    titleId: string,
    file: string,
  ): Promise<BenchObject> => {
    const bytes = await readFile(join(origin.versionDir(titleId), file));
    return {
      id,
      label,
      titleId,
      file,
      path: origin.contentPath(titleId, file),
      bytes,
      sha256: sha256(bytes),
    };
  };
  const segmentFile = (n: number): string => `video/v0/${String(n).padStart(5, '0')}.m4s`;
  const objects = [
    await object('manifest', '2 KB manifest', 'bench-manifest', 'video/v0/playlist.m3u8'),
    await object('seg1m', '1 MiB segment', 'bench-1m', segmentFile(1)),
    await object('seg4m', '4 MiB segment', 'bench-4m', segmentFile(1)),
  ];
  const seg1mPath = (n: number): string => origin.contentPath('bench-1m', segmentFile(n));
  const seg1m = (n: number): Promise<BenchObject> =>
    object('seg1m', `1 MiB segment ${n}`, 'bench-1m', segmentFile(n));
  console.log(
    `origin ${origin.url}: ${objects.map((o) => `${o.label} = ${o.bytes.length} bytes`).join(', ')}`,
  );

  const results: Record<string, unknown> = {
    startedAt: new Date().toISOString(),
    machine: {
      cores: cpus().length,
      cpuModel: cpus()[0]?.model,
      loadavg: loadavg(),
      node: process.version,
      nginx: NGINX_PATH,
    },
    options: { ...options, herdSize: HERD_SIZE, rssMiB: RSS_MIB, parts: [...PARTS] },
    objects: objects.map((o) => ({ id: o.id, label: o.label, path: o.path, sizeBytes: o.bytes.length })),
    caveat: 'measured on a shared 2-core machine; ratios against baselines measured in the same run',
  };

  let nginxForHerd: Nginx | undefined;
  if (PARTS.has('load')) {
    const paths = objects.map((o) => o.path);
    const contestants: Contestant[] = [];
    const stops: (() => Promise<void>)[] = [];
    const add = (
      s: ChildHttpServer | Nginx,
      kind: ContestantKind,
      hitHeader?: Contestant['hitHeader'],
      workers?: number,
    ): void => {
      contestants.push({
        name: s.name,
        kind,
        url: s.url,
        pid: s.pid,
        ...(hitHeader !== undefined ? { hitHeader } : {}),
        ...(workers !== undefined ? { workers } : {}),
      });
      stops.push(() => s.stop());
    };
    if (KINDS.has('edge-memory')) {
      const edge = await startEdgeProcess({
        name: 'edge-memory',
        dir: root,
        originUrl: origin.url,
        memoryMaxBytes: 256 * MIB,
      });
      add(edge, 'edge-memory', EDGE_HIT);
    }
    let edgeDisk: ChildHttpServer | undefined;
    if (KINDS.has('edge-disk')) {
      edgeDisk = await startEdgeProcess({
        name: 'edge-disk',
        dir: root,
        originUrl: origin.url,
        memoryMaxBytes: DISK_ONLY_MEMORY_BYTES,
        diskDir: join(root, 'edge-disk-cache'),
      });
      add(edgeDisk, 'edge-disk', EDGE_HIT);
    }
    for (const [kind, tier] of [
      ['baseline-edge-memory', 'memory'],
      ['baseline-edge-disk', 'disk'],
    ] as const) {
      if (!KINDS.has(kind) || BASELINE_ENTRY === undefined) continue;
      const edge = await startEdgeProcess({
        name: kind,
        dir: root,
        originUrl: origin.url,
        memoryMaxBytes: tier === 'memory' ? 256 * MIB : DISK_ONLY_MEMORY_BYTES,
        ...(tier === 'disk' ? { diskDir: join(root, `${kind}-cache`) } : {}),
        entry: BASELINE_ENTRY,
      });
      add(edge, kind, EDGE_HIT);
    }
    if (KINDS.has('edge-cluster')) {
      const edge = await startEdgeProcess({
        name: `edge-memory-x${CLUSTER_WORKERS}`,
        dir: root,
        originUrl: origin.url,
        // Each worker takes its share: the same per-process tier as the single edge.
        memoryMaxBytes: 256 * MIB * CLUSTER_WORKERS,
        workers: CLUSTER_WORKERS,
      });
      add(edge, 'edge-cluster', EDGE_HIT, CLUSTER_WORKERS);
    }
    if (KINDS.has('nginx')) {
      const nginxOff = await proxyCacheNginx(root, origin, false);
      const nginxOn = await proxyCacheNginx(root, origin, true);
      nginxForHerd = nginxOff;
      add(nginxOff, 'nginx', NGINX_HIT);
      // nginx sendfile off serves the herd part afterwards: stopped after it, not here.
      stops.pop();
      add(nginxOn, 'nginx', NGINX_HIT);
    }
    if (KINDS.has('bare')) {
      add(
        await startBareServer({ name: 'bare-node-http', originUrl: origin.url, paths, workers: 1 }),
        'bare',
      );
    }
    if (KINDS.has('bare-cluster')) {
      const bare2 = await startBareServer({
        name: `bare-node-http-x${CLUSTER_WORKERS}`,
        originUrl: origin.url,
        paths,
        workers: CLUSTER_WORKERS,
      });
      add(bare2, 'bare-cluster', undefined, CLUSTER_WORKERS);
    }
    const measured = objects.filter((o) => OBJECT_IDS.has(o.id));
    for (const c of contestants) {
      for (const o of measured) {
        const headers = await warm(c, o);
        if (c.kind === 'edge-memory' && o.id === 'seg1m') {
          console.log(`edge hit headers for the 1 MiB segment: ${JSON.stringify(headers)}`);
        }
      }
    }
    if (edgeDisk !== undefined) {
      const diskEdgeMemoryObjects = await edgeGauge(edgeDisk.url, 'cdn_edge_cache_objects', 'tier="memory"');
      if (diskEdgeMemoryObjects !== 0)
        throw new Error(`the disk-only edge holds ${diskEdgeMemoryObjects} objects in memory`);
    }
    console.log('all contestants warmed: every measured request is a verified cache hit\n');
    const { rows, summaries } = await loadTest(root, measured, contestants);
    printLoadTables(rows, summaries, measured);
    results.load = { rows, summaries };
    await Promise.all(stops.map((stop) => stop()));
  }
  if (PARTS.has('herd')) {
    nginxForHerd ??= await proxyCacheNginx(root, origin, false);
    results.herd = await herdTest(root, origin, seg1m, nginxForHerd);
  }
  await nginxForHerd?.stop();
  if (PARTS.has('rss')) results.rss = await rssTest(root, origin, seg1mPath);
  if (PARTS.has('profile')) results.profiles = await profileTest(root, origin, objects);
  if (options.out !== undefined) {
    await writeFile(options.out, `${JSON.stringify(results, null, 2)}\n`);
    console.log(`\nresults written to ${options.out}`);
  }
  await origin.close();
}

await runBench(main);
