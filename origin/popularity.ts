/**
 * Per-title request popularity as an exponentially decayed counter: each request adds 1, and the
 * score halves every `halfLifeS` seconds, so a score is roughly "requests in the last
 * halfLifeS / ln 2 seconds" and old bursts fade without any periodic sweep. Pure: the caller passes
 * the time; nothing here reads the clock.
 */
export interface PopularityEntry {
  key: string;
  /** Decayed request count at the time asked. */
  score: number;
}

interface Cell {
  value: number;
  atMs: number;
}

export class DecayedCounter {
  private readonly cells = new Map<string, Cell>();
  private readonly halfLifeMs: number;

  /**
   * @param halfLifeS score half-life, in s
   * @param maxKeys keys kept; beyond it the coldest quarter is dropped (bounds memory against a
   *   flood of distinct keys)
   */
  constructor(
    halfLifeS: number,
    private readonly maxKeys = 100_000,
  ) {
    if (!(halfLifeS > 0)) throw new RangeError('halfLifeS must be positive');
    this.halfLifeMs = halfLifeS * 1000;
  }

  get size(): number {
    return this.cells.size;
  }

  /** The decay factor over `elapsedMs`: 2^(-elapsed / halfLife). */
  decayFactor(elapsedMs: number): number {
    return elapsedMs <= 0 ? 1 : Math.pow(2, -elapsedMs / this.halfLifeMs);
  }

  add(key: string, nowMs: number, weight = 1): void {
    const cell = this.cells.get(key);
    if (cell) {
      cell.value = cell.value * this.decayFactor(nowMs - cell.atMs) + weight;
      cell.atMs = Math.max(cell.atMs, nowMs);
      return;
    }
    this.cells.set(key, { value: weight, atMs: nowMs });
    if (this.cells.size > this.maxKeys) this.evictColdest(nowMs);
  }

  score(key: string, nowMs: number): number {
    const cell = this.cells.get(key);
    return cell ? cell.value * this.decayFactor(nowMs - cell.atMs) : 0;
  }

  delete(key: string): void {
    this.cells.delete(key);
  }

  /** The `limit` highest scores at `nowMs`, highest first (ties by key), above `minScore`. */
  top(nowMs: number, limit: number, minScore = 0): PopularityEntry[] {
    const out: PopularityEntry[] = [];
    for (const [key, cell] of this.cells) {
      const score = cell.value * this.decayFactor(nowMs - cell.atMs);
      if (score > minScore) out.push({ key, score });
    }
    out.sort((a, b) => b.score - a.score || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return out.slice(0, limit);
  }

  private evictColdest(nowMs: number): void {
    const ranked = this.top(nowMs, Number.POSITIVE_INFINITY, -1);
    const keep = Math.floor(this.maxKeys * 0.75);
    for (const { key } of ranked.slice(keep)) this.cells.delete(key);
  }
}
