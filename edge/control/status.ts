/**
 * What an edge's heartbeat says about it besides routes (pure): health from its cache tiers, egress
 * load from its response byte counter, and the titles it has cached.
 */
import type { EdgeHealth } from '../../common/steeringProtocol.js';
import type { CacheStoreHealth } from '../cache/types.js';
import { titleOfPath } from '../policy/cacheKey.js';

/**
 * Health for steering: `down` when the memory tier is unhealthy (nothing can be served well),
 * `degraded` when another tier is (the node serves, with more misses), `ok` otherwise.
 */
export function edgeHealth(tiers: ReadonlyArray<{ name: string; health: CacheStoreHealth }>): EdgeHealth {
  let health: EdgeHealth = 'ok';
  for (const tier of tiers) {
    if (tier.health.healthy) continue;
    if (tier.name === 'memory') return 'down';
    health = 'degraded';
  }
  return health;
}

/**
 * Titles with objects in the cache, from cache keys (`/content/{title}/...`), in the order met
 * (lists of most recently used keys first give the hottest titles first), at most `maxTitles`.
 */
export function cachedTitles(keyLists: ReadonlyArray<Iterable<string>>, maxTitles: number): string[] {
  const titles = new Set<string>();
  if (maxTitles <= 0) return [];
  for (const keys of keyLists) {
    for (const key of keys) {
      const title = titleOfPath(key);
      if (title === undefined || titles.has(title)) continue;
      titles.add(title);
      if (titles.size >= maxTitles) return [...titles];
    }
  }
  return [...titles];
}

/**
 * Egress rate from a growing byte count sampled now and then: the rate over the last interval, in
 * Gbit/s. A count that went down (a worker restarted and its counter with it) starts over.
 */
export class EgressMeter {
  private last: { bytes: number; atMs: number } | undefined;
  private gbps = 0;

  /** Takes a sample; one not later than the last (a read that completed late) is ignored. */
  sample(bytes: number, atMs: number): void {
    const last = this.last;
    if (last !== undefined && atMs <= last.atMs) return;
    this.last = { bytes, atMs };
    if (last === undefined) return;
    this.gbps = bytes < last.bytes ? 0 : ((bytes - last.bytes) * 8) / ((atMs - last.atMs) * 1e6);
  }

  /** The rate of the last interval, in Gbit/s (0 before two samples). */
  get loadGbps(): number {
    return this.gbps;
  }
}

/** Sum of the samples of one metric in Prometheus exposition text (0 when absent). */
export function metricTotal(text: string, name: string): number {
  let total = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(name)) continue;
    const rest = line.charAt(name.length);
    if (rest !== ' ' && rest !== '{') continue;
    const value = Number(line.slice(line.lastIndexOf(' ') + 1));
    if (Number.isFinite(value)) total += value;
  }
  return total;
}
