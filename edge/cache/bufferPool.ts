/**
 * Fixed-size buffers handed out and taken back, for bodies streamed from the disk tier. A fresh
 * large allocation costs more than the copy it receives (here a new 1 MiB Buffer filled from
 * another costs ~1.4 ms, the same copy into a reused one ~0.05 ms: page faults and zeroing of new
 * memory, then the garbage collector), so a disk hit reads into buffers that were used before, as
 * nginx does with its output_buffers.
 *
 * A buffer may be given back only once nothing refers to it any more (a socket write's callback
 * has run); the pool keeps at most `maxFree` of them and lets the rest go.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    /** Size of every buffer, in bytes. */
    readonly chunkBytes: number,
    /** Buffers kept for reuse at most (the memory the pool may hold when idle: chunkBytes × maxFree). */
    readonly maxFree: number,
  ) {
    if (!(chunkBytes >= 1) || !(maxFree >= 0)) throw new RangeError('chunkBytes ≥ 1 and maxFree ≥ 0');
  }

  /** A buffer of chunkBytes (contents undefined). */
  take(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.chunkBytes);
  }

  /** Takes a buffer back for reuse; one not from this pool (another size) is ignored. */
  give(buffer: Buffer): void {
    if (buffer.length === this.chunkBytes && this.free.length < this.maxFree) this.free.push(buffer);
  }

  /** Buffers held for reuse now. */
  get freeCount(): number {
    return this.free.length;
  }
}

/**
 * Size of the buffers bodies are streamed through, in bytes: 512 KiB, so that a 1 MiB segment is
 * two reads and two socket writes, and with two pieces in flight (the HTTP shell's bound) a whole
 * 1 MiB segment is under way at once. nginx's default output_buffers are 2 × 32 KiB, but each
 * piece costs node a trip through libuv that costs nginx a system call: measured here (1 MiB disk
 * hits, wrk -c64) 256 KiB pieces gave ~900 req/s, 512 KiB ~1800, 1 MiB no more than 512 KiB.
 */
export const STREAM_CHUNK_BYTES = 512 * 1024;

/**
 * Buffers the shared pool keeps when idle: 32 × 512 KiB = 16 MiB, enough for 16 responses
 * streaming at once with two pieces in flight each before new ones are allocated.
 */
export const STREAM_POOL_FREE_MAX = 32;

/** The pool disk-tier bodies stream through (one per process: the buffers are interchangeable). */
export const streamPool = new BufferPool(STREAM_CHUNK_BYTES, STREAM_POOL_FREE_MAX);
