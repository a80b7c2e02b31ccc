/**
 * Steering benchmark (not part of CI): `npm run bench:steering`.
 *
 * 1. Route table: BENCH_V4 IPv4 (default 1 000 000) and BENCH_V6 IPv6 (default 200 000) prefixes
 *    with a realistic length mix, announced by three edges. Build rate, memory, lookups per second
 *    per family, and updates (withdraw + announce) per second, for our PATRICIA trie and, in the same
 *    run, for the usual alternative: one hash map per prefix length, probed longest length first.
 *    A linear scan (what a list of CIDRs does) is measured on 10 000 prefixes to show the scale.
 *    Alternating A B A B, medians of 3.
 * 2. Heartbeat ingest end to end: 100 000 announcements as the JSON body an edge sends, parsed and
 *    applied by the registry (the route-table half of "UPDATE ingest rate").
 * 3. Selection: ranked edges for random clients (route lookup, ranking, HRW) per second.
 *
 * Run with --expose-gc (the npm script does) for the memory figures; without it they are skipped.
 */
import { performance } from 'node:perf_hooks';
import {
  EdgeRegistry,
  RouteTable,
  maskWords,
  selectEdges,
  type CandidateEdge,
  type IpAddress,
  type IpPrefix,
  type RouteAttributes,
} from '../../origin/steering/index.js';
import { fmt, median, ratio, table } from './lib/stats.js';

const V4 = Number(process.env.BENCH_V4 ?? 1_000_000);
const V6 = Number(process.env.BENCH_V6 ?? 200_000);
const LOOKUPS = 2_000_000;
const ROUNDS = 3;

/** xorshift32: a seeded generator, so every run builds the same table. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

/** IPv4 length mix close to a full BGP table: about 60 % /24, the rest /8–/23. */
function v4Length(r: () => number): number {
  const u = r();
  if (u < 0.6) return 24;
  if (u < 0.75) return 22 + Math.floor(r() * 2);
  if (u < 0.95) return 16 + Math.floor(r() * 6);
  return 8 + Math.floor(r() * 8);
}

/** IPv6 mix: mostly /48 and /32–/44. */
function v6Length(r: () => number): number {
  const u = r();
  if (u < 0.5) return 48;
  if (u < 0.9) return 32 + Math.floor(r() * 13);
  return 19 + Math.floor(r() * 13);
}

function makePrefixes(count: number, family: 4 | 6, r: () => number): IpPrefix[] {
  const seen = new Set<string>();
  const out: IpPrefix[] = [];
  while (out.length < count) {
    const length = family === 4 ? v4Length(r) : v6Length(r);
    const raw =
      family === 4
        ? [Math.floor(r() * 2 ** 32)]
        : [0x20000000 | Math.floor(r() * 2 ** 28), Math.floor(r() * 2 ** 32), 0, 0];
    const words = maskWords(raw, length);
    const key = `${words.join('.')}/${length}`;
    if (seen.has(key)) continue;
    seen.add(key);
    out.push({ family, words, length });
  }
  return out;
}

/** Addresses inside random stored prefixes (90 %) or anywhere (10 %). */
function makeAddresses(
  prefixes: readonly IpPrefix[],
  count: number,
  family: 4 | 6,
  r: () => number,
): IpAddress[] {
  const out: IpAddress[] = [];
  for (let i = 0; i < count; i++) {
    const width = family === 4 ? 1 : 4;
    const noise = Array.from({ length: width }, () => Math.floor(r() * 2 ** 32) >>> 0);
    if (r() < 0.1) {
      out.push({ family, words: noise });
      continue;
    }
    const p = prefixes[Math.floor(r() * prefixes.length)]!;
    const mask = maskWords(Array(width).fill(0xffffffff), p.length);
    out.push({ family, words: p.words.map((w, j) => (w | (noise[j]! & ~mask[j]!)) >>> 0) });
  }
  return out;
}

const ATTRS: RouteAttributes[] = [
  { nextHop: '192.0.2.1', asPath: [65001], localPref: 200 },
  { nextHop: '192.0.2.2', asPath: [65002, 65002] },
  { nextHop: '192.0.2.3', asPath: [65003], med: 10 },
];
const EDGE_IDS = ['edge-a', 'edge-b', 'edge-c'];

/** The alternative: a hash map per prefix length, probed from the longest length present. */
class PerLengthMaps {
  private readonly v4 = new Map<number, Map<number, string[]>>();
  private readonly v6 = new Map<number, Map<string, string[]>>();
  private v4Lengths: number[] = [];
  private v6Lengths: number[] = [];

  add(p: IpPrefix, edge: string): void {
    if (p.family === 4) {
      let m = this.v4.get(p.length);
      if (!m) {
        this.v4.set(p.length, (m = new Map<number, string[]>()));
        this.v4Lengths = [...this.v4.keys()].sort((a, b) => b - a);
      }
      const list = m.get(p.words[0]!);
      if (list) list.push(edge);
      else m.set(p.words[0]!, [edge]);
    } else {
      let m = this.v6.get(p.length);
      if (!m) {
        this.v6.set(p.length, (m = new Map<string, string[]>()));
        this.v6Lengths = [...this.v6.keys()].sort((a, b) => b - a);
      }
      const key = p.words.join(':');
      const list = m.get(key);
      if (list) list.push(edge);
      else m.set(key, [edge]);
    }
  }

  remove(p: IpPrefix, edge: string): void {
    if (p.family === 4) {
      const m = this.v4.get(p.length);
      const list = m?.get(p.words[0]!);
      if (!m || !list) return;
      const next = list.filter((e) => e !== edge);
      if (next.length === 0) m.delete(p.words[0]!);
      else m.set(p.words[0]!, next);
    } else {
      const m = this.v6.get(p.length);
      const key = p.words.join(':');
      const list = m?.get(key);
      if (!m || !list) return;
      const next = list.filter((e) => e !== edge);
      if (next.length === 0) m.delete(key);
      else m.set(key, next);
    }
  }

  lookup(ip: IpAddress): string[] | undefined {
    if (ip.family === 4) {
      const a = ip.words[0]!;
      for (const len of this.v4Lengths) {
        const key = len === 0 ? 0 : (a & (0xffffffff << (32 - len))) >>> 0;
        const hit = this.v4.get(len)!.get(key);
        if (hit) return hit;
      }
      return undefined;
    }
    for (const len of this.v6Lengths) {
      const hit = this.v6.get(len)!.get(maskWords(ip.words, len).join(':'));
      if (hit) return hit;
    }
    return undefined;
  }
}

function add(t: RouteTable | PerLengthMaps, p: IpPrefix, edge: string, attrs: RouteAttributes): void {
  if (t instanceof RouteTable) t.announce(p, edge, attrs);
  else t.add(p, edge);
}

function remove(t: RouteTable | PerLengthMaps, p: IpPrefix, edge: string): void {
  if (t instanceof RouteTable) t.withdraw(p, edge);
  else t.remove(p, edge);
}

function rate(count: number, work: () => void): number {
  const t0 = performance.now();
  work();
  return (count * 1000) / (performance.now() - t0);
}

/** Heap growth while what `make` returns is alive, after full collections (needs --expose-gc). */
function retainedMiB(make: () => unknown): number {
  const before = heapMiB();
  const held = make();
  const after = heapMiB();
  return held === undefined ? Number.NaN : after - before;
}

function heapMiB(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) return Number.NaN;
  gc();
  const m = process.memoryUsage();
  return (m.heapUsed + m.arrayBuffers) / (1024 * 1024);
}

function benchTable(): void {
  const r = rng(42);
  const v4 = makePrefixes(V4, 4, r);
  const v6 = makePrefixes(V6, 6, r);
  const all = [...v4, ...v6];
  const addr4 = makeAddresses(v4, LOOKUPS, 4, r);
  const addr6 = makeAddresses(v6, LOOKUPS / 4, 6, r);
  const churn = Array.from({ length: 100_000 }, () => all[Math.floor(r() * all.length)]!);
  console.log(`route table: ${V4} IPv4 + ${V6} IPv6 prefixes (3 edges, about 1.3 routes per prefix)`);

  const results: Record<string, Record<string, number[]>> = { trie: {}, maps: {} };
  const push = (impl: string, metric: string, value: number): void => {
    (results[impl]![metric] ??= []).push(value);
  };
  type Table = RouteTable | PerLengthMaps;
  const build = (impl: string): Table => {
    const t = impl === 'trie' ? new RouteTable() : new PerLengthMaps();
    all.forEach((p, i) => {
      add(t, p, EDGE_IDS[i % 3]!, ATTRS[i % 3]!);
      // A third of the prefixes are announced by a second edge too.
      if (i % 3 === 0) add(t, p, EDGE_IDS[1]!, ATTRS[1]!);
    });
    return t;
  };
  // Memory first, each table alone in the heap (built and dropped inside its own call).
  for (const impl of ['trie', 'maps'])
    push(
      impl,
      'memory MiB',
      retainedMiB(() => build(impl)),
    );
  let sink = 0;
  for (let round = 0; round < ROUNDS; round++) {
    for (const impl of round % 2 === 0 ? ['trie', 'maps'] : ['maps', 'trie']) {
      heapMiB();
      let t: Table | undefined;
      push(
        impl,
        'build prefixes/s',
        rate(all.length, () => (t = build(impl))),
      );
      const table = t!;
      const lookup = (ip: IpAddress) =>
        table instanceof RouteTable ? table.longestRoutes(ip) : table.lookup(ip);
      push(
        impl,
        'IPv4 lookups/s',
        rate(addr4.length, () => {
          for (const ip of addr4) if (lookup(ip) !== undefined) sink++;
        }),
      );
      push(
        impl,
        'IPv6 lookups/s',
        rate(addr6.length, () => {
          for (const ip of addr6) if (lookup(ip) !== undefined) sink++;
        }),
      );
      push(
        impl,
        'updates/s (withdraw+announce)',
        rate(churn.length * 2, () => {
          churn.forEach((p, i) => {
            remove(table, p, EDGE_IDS[0]!);
            add(table, p, EDGE_IDS[0]!, ATTRS[i % 3]!);
          });
        }),
      );
    }
  }
  const metrics = Object.keys(results.trie!);
  const rows = [['metric', 'PATRICIA trie', 'per-length maps', 'trie / maps']];
  for (const m of metrics) {
    const a = median(results.trie![m]!);
    const b = median(results.maps![m]!);
    rows.push([
      m,
      fmt(a, m.startsWith('memory') ? 1 : 0),
      fmt(b, m.startsWith('memory') ? 1 : 0),
      fmt(ratio(a, b), 2),
    ]);
  }
  console.log(table(rows));

  // The linear scan on a small table: every prefix tested for every address.
  const small = v4.slice(0, 10_000);
  const scanAddrs = addr4.slice(0, 2000);
  const masks = small.map((p) => (p.length === 0 ? 0 : (0xffffffff << (32 - p.length)) >>> 0));
  const linear = rate(scanAddrs.length, () => {
    for (const ip of scanAddrs) {
      let best = -1;
      for (let i = 0; i < small.length; i++) {
        const p = small[i]!;
        if (p.length > best && (ip.words[0]! & masks[i]!) >>> 0 === p.words[0]) best = p.length;
      }
      sink += best;
    }
  });
  const smallTrie = new RouteTable();
  small.forEach((p, i) => smallTrie.announce(p, EDGE_IDS[i % 3]!, ATTRS[0]!));
  const trieSmall = rate(scanAddrs.length * 100, () => {
    for (let k = 0; k < 100; k++)
      for (const ip of scanAddrs) if (smallTrie.longestRoutes(ip) !== undefined) sink++;
  });
  console.log(
    `linear scan of 10 000 IPv4 prefixes: ${fmt(linear)} lookups/s; trie on the same: ${fmt(trieSmall)} (${fmt(trieSmall / linear)}x)`,
  );
  if (sink === 0.5) console.log('');
}

function benchIngest(): void {
  const r = rng(7);
  const prefixes = makePrefixes(100_000, 4, r).map(
    (p) =>
      `${p.words[0]! >>> 24}.${(p.words[0]! >>> 16) & 255}.${(p.words[0]! >>> 8) & 255}.${p.words[0]! & 255}/${p.length}`,
  );
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    const reg = new EdgeRegistry({
      heartbeatIntervalMs: 5000,
      missedHeartbeats: 3,
      forgetAfterMs: 600_000,
      maxEdges: 10,
      maxPrefixesPerEdge: 2_000_000,
    });
    reg.register(
      { id: 'edge-a', cluster: 'c', publicUrl: 'http://a:1', capacityGbps: 10 },
      { epoch: 'e', nowMs: 0 },
    );
    // Chunks as the control client sends them: 50 000 routes per heartbeat, grouped by attributes.
    const bodies = [0, 1].map((chunk) =>
      JSON.stringify({
        epoch: 'e',
        seq: chunk + 1,
        health: 'ok',
        loadGbps: 1,
        draining: false,
        routes: {
          ...(chunk === 0 ? { full: true } : {}),
          announce: [
            {
              prefixes: prefixes.slice(chunk * 50_000, (chunk + 1) * 50_000),
              nextHop: '192.0.2.1',
              asPath: [65001, 65002],
            },
          ],
        },
      }),
    );
    rates.push(
      rate(prefixes.length, () => {
        for (const body of bodies) reg.heartbeat('edge-a', JSON.parse(body) as never, 1);
      }),
    );
    if (reg.routes.size.ipv4 !== prefixes.length) throw new Error('ingest lost prefixes');
  }
  console.log(
    `heartbeat ingest (JSON parse + validation + route table): ${fmt(median(rates))} prefixes/s (median of ${ROUNDS})`,
  );
}

function benchSelection(): void {
  const r = rng(3);
  const t = new RouteTable();
  const v4 = makePrefixes(200_000, 4, r);
  v4.forEach((p, i) => {
    t.announce(p, EDGE_IDS[i % 3]!, ATTRS[i % 3]!);
    if (i % 2 === 0) t.announce(p, EDGE_IDS[(i + 1) % 3]!, ATTRS[(i + 1) % 3]!);
  });
  const eligible = new Map<string, CandidateEdge>(
    EDGE_IDS.map((id, i) => [
      id,
      { id, cluster: 'c', health: 'ok', utilisation: 0.2 * i, capacityGbps: 10 + i, hasTitle: i === 0 },
    ]),
  );
  const addrs = makeAddresses(v4, 200_000, 4, r);
  const rates: number[] = [];
  for (let round = 0; round < ROUNDS; round++) {
    rates.push(
      rate(addrs.length, () => {
        addrs.forEach((ip, i) =>
          selectEdges({ matches: t.matches(ip), eligible, hrwKey: `s${i}`, count: 3, defaultCluster: 'c' }),
        );
      }),
    );
  }
  console.log(
    `selection (lookup of every covering prefix, best-path ranking, HRW, reasons): ${fmt(median(rates))} decisions/s`,
  );
}

benchTable();
benchIngest();
benchSelection();
