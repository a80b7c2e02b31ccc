/**
 * The disk tier: one file per object, surviving restarts.
 *
 * Layout under `dir`:
 *   objects/ab/cd/abcd…(sha256 of the key, 64 hex)   committed objects, fanned out 256 × 256
 *   tmp/<random>.tmp                                   writes in progress (removed at open)
 *
 * Object file: `body ‖ metadata JSON ‖ u32 BE length of the JSON ‖ "CDNOBJ1\n"`.
 * The metadata (key, status, stored headers, times, size, SHA-256) is a trailer of the object file
 * itself, not a sidecar or a journal:
 * - one rename commits body and metadata together, so there is never a pair to reconcile after a
 *   crash (a journal needs replay and compaction and can disagree with the files; a sidecar can be
 *   renamed without its body);
 * - the body starts at offset 0 and the trailer comes last, so a fill streams straight to disk and
 *   appends the trailer once the SHA-256 is known, and the shell can later sendfile `[0, size)`;
 * - at open, one read of each file's tail rebuilds the whole index before the first request, so a
 *   restarted node serves hits at once. (Cost: one small read per object; at a million objects,
 *   a few seconds on SSD. A snapshot of the index written at clean shutdown would remove it.)
 * Reads are checked in two ways. Every read checks the file against what the index says it is:
 * its exact length, the trailer's length field and magic, and the body's SHA-256 as the trailer
 * records it — a truncated, extended, torn or replaced file fails that at no extra cost (get()
 * reads the whole file and one byte more; openBody() reads the trailer and one byte more, then
 * the body in pieces). The SHA-256 of the body itself, which catches a flipped bit anywhere, is
 * computed on the first read of each file after it was written or after the store was opened, and
 * again once the last check is older than `reverifyIntervalMs` (hashing every hit would cost more
 * than sending it: a 1 MiB body hashes in ~1 ms here and is sent in a few hundred µs). A file that
 * fails either check is deleted and reported as a miss, never served. Writes are not fsynced: a
 * crash can leave a torn file, which the same checks (and the one at open) catch.
 *
 * Descriptors of recently read files stay open (OpenFiles), so a hit is a read, not an open, a
 * read and a close; one belongs to one committed file version and is closed when that version is
 * evicted, deleted, replaced or found corrupt.
 *
 * Recency lives in memory (a Map in LRU order); at open it starts from storedAtMs.
 * Commits, evictions and deletes run one at a time (a promise chain); body writes and reads do not.
 */
import { randomBytes, createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as fsp from 'node:fs/promises';
import type { FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { z } from 'zod';
import type { CdnError } from '../../common/errors.js';
import { EdgeErrorCode, edgeError } from '../errors.js';
import { STORED_HEADER_NAMES } from '../policy/freshness.js';
import { AdmitAll, type AdmissionPolicy } from './admission.js';
import { BodyVerifier, completeMeta, declaredSize, sha256Hex } from './body.js';
import { streamPool } from './bufferPool.js';
import { OPEN_FILES_DEFAULT_MAX, OpenFiles, type FileLease } from './openFiles.js';
import type {
  CacheBodyReader,
  CacheEntry,
  CacheEntryMeta,
  CachePutMeta,
  CacheStore,
  CacheStoreHealth,
  CacheStoreStats,
  CacheWriteMeta,
  CacheWriter,
  PutResult,
} from './types.js';

/** The file-system calls the store makes; tests inject failures (ENOSPC, EROFS) through it. */
export type DiskFs = Pick<typeof fsp, 'open' | 'rename' | 'rm' | 'readdir' | 'mkdir'>;

export interface DiskStoreOptions {
  dir: string;
  /** Bound on charged bytes (bodies plus per-entry overhead). */
  maxBytes: number;
  admission?: AdmissionPolicy;
  /**
   * Bytes charged per object on top of its body: the trailer (~0.5 KiB) plus the partly filled
   * last block and the inode a file costs on ext4/XFS (4 KiB blocks).
   */
  entryOverheadBytes?: number;
  /** Files whose tails are read in parallel at open. */
  openConcurrency?: number;
  /**
   * How long a body's SHA-256 check holds, in ms: a file read again after that is hashed again
   * (see the module comment). Default DISK_REVERIFY_INTERVAL_MS; 0 hashes every read.
   */
  reverifyIntervalMs?: number;
  /** Object files kept open between reads at most (see OpenFiles); default OPEN_FILES_DEFAULT_MAX. */
  openFilesMax?: number;
  now?: () => number;
  fs?: DiskFs;
}

/** Default per-object overhead, in bytes (see DiskStoreOptions.entryOverheadBytes). */
export const DISK_ENTRY_OVERHEAD_BYTES = 4096;
/** Tails read in parallel at open: enough to keep an SSD's queue busy without a descriptor storm. */
const OPEN_CONCURRENCY = 32;
/**
 * Default time a file's SHA-256 check holds, in ms (10 min). Bit rot is rare and slow (drives
 * specify unrecoverable read errors at 1 in 10^14–10^16 bits read, silent corruption rarer still,
 * and media decay takes months), so a hot object hashed every ten minutes has a bad copy caught
 * within ten minutes of going bad, while the hash costs a hot 1 MiB object ~1 ms per ten minutes
 * instead of ~1 ms per request. Truncation and replacement are caught on every read regardless.
 */
export const DISK_REVERIFY_INTERVAL_MS = 10 * 60_000;

const MAGIC = Buffer.from('CDNOBJ1\n', 'latin1');
/** The fixed part of the trailer: u32 length + magic. */
const TRAILER_FIXED_BYTES = 4 + MAGIC.length;
/** Largest metadata JSON accepted, in bytes (real ones are ~400). */
const MAX_META_BYTES = 64 * 1024;
const OBJECT_NAME = /^[0-9a-f]{64}$/;
const FANOUT_NAME = /^[0-9a-f]{2}$/;

const metaSchema = z.object({
  key: z.string().min(1),
  status: z.number().int().min(100).max(599),
  headers: z.partialRecord(z.enum(STORED_HEADER_NAMES), z.string()),
  requestTimeMs: z.number().finite(),
  responseTimeMs: z.number().finite(),
  storedAtMs: z.number().finite(),
  sizeBytes: z.number().int().nonnegative(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});

function encodeTrailer(meta: CacheEntryMeta): Buffer {
  const json = Buffer.from(JSON.stringify(meta), 'utf8');
  const length = Buffer.alloc(4);
  length.writeUInt32BE(json.length);
  return Buffer.concat([json, length, MAGIC]);
}

/** The metadata in a file's tail, when the tail is well-formed and the file has exactly the right size. */
function parseTrailer(tail: Buffer, fileSizeBytes: number): CacheEntryMeta | undefined {
  if (tail.length < TRAILER_FIXED_BYTES || !tail.subarray(tail.length - MAGIC.length).equals(MAGIC)) {
    return undefined;
  }
  const jsonBytes = tail.readUInt32BE(tail.length - TRAILER_FIXED_BYTES);
  if (jsonBytes > MAX_META_BYTES || jsonBytes + TRAILER_FIXED_BYTES > tail.length) return undefined;
  const end = tail.length - TRAILER_FIXED_BYTES;
  let raw: unknown;
  try {
    raw = JSON.parse(tail.subarray(end - jsonBytes, end).toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = metaSchema.safeParse(raw);
  if (!parsed.success) return undefined;
  const meta = parsed.data;
  return meta.sizeBytes + jsonBytes + TRAILER_FIXED_BYTES === fileSizeBytes ? meta : undefined;
}

/**
 * Whether a whole object file read back is the one the index describes: exactly `fileBytes` long,
 * with a trailer of the right length and magic that records the body's SHA-256 (the cheap check of
 * every read; the body's own hash is checked separately).
 */
function matchesIndex(data: Buffer, bytesRead: number, entry: IndexEntry): boolean {
  return (
    bytesRead === entry.fileBytes &&
    trailerMatches(data.subarray(entry.meta.sizeBytes, entry.fileBytes), entry)
  );
}

/** Whether the bytes after the body (`tail`) are the trailer the index expects (see matchesIndex). */
function trailerMatches(tail: Buffer, entry: IndexEntry): boolean {
  const { fileBytes, meta } = entry;
  const length = fileBytes - meta.sizeBytes;
  if (tail.length !== length || length < TRAILER_FIXED_BYTES) return false;
  if (tail.compare(MAGIC, 0, MAGIC.length, length - MAGIC.length, length) !== 0) return false;
  if (tail.readUInt32BE(length - TRAILER_FIXED_BYTES) + TRAILER_FIXED_BYTES !== length) return false;
  const at = tail.indexOf(meta.sha256, 0, 'latin1');
  return at >= 0 && at < length - TRAILER_FIXED_BYTES;
}

/** The SHA-256 of a body read through the stream pool (a short body hashes what there is, and fails). */
async function hashInPieces(reader: CacheBodyReader): Promise<string> {
  const hash = createHash('sha256');
  const piece = streamPool.take();
  try {
    for (let position = 0; position < reader.meta.sizeBytes;) {
      const n = await reader.read(piece, position, piece.length);
      if (n === 0) break;
      hash.update(piece.subarray(0, n));
      position += n;
    }
  } finally {
    streamPool.give(piece);
  }
  return hash.digest('hex');
}

/** fs.read as a promise: bytes read into `into` from `position`. */
function readAt(fd: number, into: Buffer, offset: number, length: number, position: number): Promise<number> {
  return new Promise((resolve, reject) => {
    fs.read(fd, into, offset, length, position, (err, n) => (err ? reject(err) : resolve(n)));
  });
}

/**
 * A body streamed from an object file (see CacheBodyReader), through a lease on its descriptor.
 * The lease is released only once no read is in flight on it (see OpenFiles).
 */
class FileBodyReader implements CacheBodyReader {
  private closed = false;
  private pending = 0;

  constructor(
    private readonly lease: FileLease,
    readonly meta: CacheEntryMeta,
  ) {}

  async read(into: Buffer, position: number, length: number): Promise<number> {
    if (this.closed) throw new Error(`read after close (${this.meta.key})`);
    const want = Math.max(0, Math.min(length, into.length, this.meta.sizeBytes - position));
    let got = 0;
    this.pending++;
    try {
      while (got < want && !this.closed) {
        const n = await readAt(this.lease.fd, into, got, want - got, position + got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      this.pending--;
      if (this.closed && this.pending === 0) this.lease.release();
    }
    // Closed by the reader's owner meanwhile: not a short file.
    if (got < want && this.closed) throw new Error(`closed while reading (${this.meta.key})`);
    return got;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    if (this.pending === 0) this.lease.release();
  }
}

function errnoOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Up to `want` bytes of a file from `position` into a new buffer, with node:fs's callback calls:
 * they cost half the CPU of FileHandle's (no handle object, no promise per call; measured here
 * ~20 µs against ~40 µs for an open, a read and a close).
 */
async function readFully(
  fd: number,
  want: number,
  position: number,
): Promise<{ data: Buffer; bytesRead: number }> {
  const data = Buffer.allocUnsafe(want);
  let bytesRead = 0;
  while (bytesRead < want) {
    const n = await readAt(fd, data, bytesRead, want - bytesRead, position + bytesRead);
    if (n === 0) break;
    bytesRead += n;
  }
  return { data, bytesRead };
}

/**
 * Object files at most this large are read with a blocking read on the event loop (readWhole). A
 * read of a few KiB from the page cache takes a few µs in the kernel, while a read through libuv's
 * thread pool costs ~20 µs of hand-offs between threads (measured: 2 KB disk hits,
 * test/bench/edge.bench.ts); nginx reads files the same way unless `aio` is on. The bound keeps a
 * read from a cold disk short (64 KiB: a fraction of a millisecond on an SSD).
 */
export const SYNC_READ_MAX_BYTES = 64 * 1024;

/** readFully with blocking reads (see SYNC_READ_MAX_BYTES). */
function readFullySync(fd: number, want: number, position: number): { data: Buffer; bytesRead: number } {
  const data = Buffer.allocUnsafe(want);
  let bytesRead = 0;
  while (bytesRead < want) {
    const n = fs.readSync(fd, data, bytesRead, want - bytesRead, position + bytesRead);
    if (n === 0) break;
    bytesRead += n;
  }
  return { data, bytesRead };
}

async function writeAll(handle: FileHandle, data: Uint8Array): Promise<void> {
  let offset = 0;
  while (offset < data.length) {
    const { bytesWritten } = await handle.write(data, offset, data.length - offset);
    offset += bytesWritten;
  }
}

interface IndexEntry {
  meta: CacheEntryMeta;
  path: string;
  chargedBytes: number;
  /** Length of the object file (body and trailer). */
  fileBytes: number;
  /** When the body's SHA-256 was last checked (store clock, ms); undefined: not since written or opened. */
  verifiedAtMs: number | undefined;
}

/** What open found, for the startup log. */
export interface DiskOpenReport {
  objects: number;
  bytes: number;
  corrupt: number;
  tempFilesRemoved: number;
  evicted: number;
}

export class DiskStore implements CacheStore {
  readonly name = 'disk';
  private readonly dir: string;
  private readonly objectsDir: string;
  private readonly tmpDir: string;
  private readonly maxBytes: number;
  private readonly overheadBytes: number;
  private readonly admission: AdmissionPolicy;
  private readonly openConcurrency: number;
  private readonly reverifyIntervalMs: number;
  private readonly now: () => number;
  private readonly fs: DiskFs;
  /** Keys in LRU order: the first is the least recently used. */
  private readonly index = new Map<string, IndexEntry>();
  /** Descriptors of recently read object files, one per committed file version. */
  private readonly files: OpenFiles<IndexEntry>;
  private bytes = 0;
  private opened = false;
  private commits: Promise<unknown> = Promise.resolve();
  private counters = { evictions: 0, admissionRejections: 0, corruptions: 0, writeErrors: 0 };
  private lastWriteError: string | undefined;
  private report: DiskOpenReport | undefined;
  /** What writers may do to the store (kept off its public surface). */
  private readonly host: WriterHost = {
    fs: () => this.fs,
    tempPath: () => join(this.tmpDir, `${randomBytes(12).toString('hex')}.tmp`),
    now: () => this.now(),
    failure: (err, key) => this.writeFailed(err, key),
    commit: (meta, tempPath, chargedBytes, fileBytes) => this.commit(meta, tempPath, chargedBytes, fileBytes),
    delete: (key) => this.delete(key),
  };

  constructor(options: DiskStoreOptions) {
    if (!(options.maxBytes >= 1)) throw new RangeError('maxBytes must be ≥ 1');
    this.dir = options.dir;
    this.objectsDir = join(options.dir, 'objects');
    this.tmpDir = join(options.dir, 'tmp');
    this.maxBytes = Math.floor(options.maxBytes);
    this.overheadBytes = options.entryOverheadBytes ?? DISK_ENTRY_OVERHEAD_BYTES;
    this.admission = options.admission ?? new AdmitAll();
    this.openConcurrency = Math.max(1, options.openConcurrency ?? OPEN_CONCURRENCY);
    this.reverifyIntervalMs = Math.max(0, options.reverifyIntervalMs ?? DISK_REVERIFY_INTERVAL_MS);
    this.files = new OpenFiles(Math.max(0, options.openFilesMax ?? OPEN_FILES_DEFAULT_MAX));
    this.now = options.now ?? Date.now;
    this.fs = options.fs ?? fsp;
  }

  /** Where a key's object lives: objects/ab/cd/<sha256 of the key>. */
  pathOf(key: string): string {
    const name = createHash('sha256').update(key).digest('hex');
    return join(this.objectsDir, name.slice(0, 2), name.slice(2, 4), name);
  }

  /** Runs `work` after every earlier commit, eviction or delete. */
  private serial<T>(work: () => Promise<T>): Promise<T> {
    const run = this.commits.then(work, work);
    this.commits = run.catch(() => undefined);
    return run;
  }

  private writeFailed(err: unknown, key: string): CdnError {
    this.counters.writeErrors++;
    const errno = errnoOf(err) ?? 'error';
    this.lastWriteError = `${errno}: ${err instanceof Error ? err.message : String(err)}`;
    return edgeError(EdgeErrorCode.DiskWrite, `disk cache could not write ${key} (${errno})`, {
      cause: err,
      details: { key, errno },
    });
  }

  private async removeQuietly(path: string): Promise<void> {
    try {
      await this.fs.rm(path, { force: true, recursive: true });
    } catch {
      // Best effort: a read-only or vanished directory leaves nothing we can do here.
    }
  }

  /**
   * Creates the directories, removes temp files a crash left, and loads the index from every
   * object's trailer. Malformed, truncated or misplaced objects are deleted (counted as corrupt).
   * Throws EDGE_ERR_DISK_WRITE when the cache directory cannot be created at all.
   */
  async open(): Promise<void> {
    try {
      await this.fs.mkdir(this.objectsDir, { recursive: true });
      await this.fs.mkdir(this.tmpDir, { recursive: true });
    } catch (err) {
      throw this.writeFailed(err, this.dir);
    }
    const report: DiskOpenReport = { objects: 0, bytes: 0, corrupt: 0, tempFilesRemoved: 0, evicted: 0 };
    for (const name of await this.readdirOrEmpty(this.tmpDir)) {
      await this.removeQuietly(join(this.tmpDir, name));
      report.tempFilesRemoved++;
    }

    const files: string[] = [];
    for (const a of await this.readdirOrEmpty(this.objectsDir)) {
      if (!FANOUT_NAME.test(a)) continue;
      for (const b of await this.readdirOrEmpty(join(this.objectsDir, a))) {
        if (!FANOUT_NAME.test(b)) continue;
        for (const name of await this.readdirOrEmpty(join(this.objectsDir, a, b))) {
          // Anything but an object name is a stray (not ours to keep); objects are checked below.
          if (OBJECT_NAME.test(name)) files.push(join(this.objectsDir, a, b, name));
          else await this.removeQuietly(join(this.objectsDir, a, b, name));
        }
      }
    }

    const found: IndexEntry[] = [];
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < files.length) {
        const path = files[next++]!;
        const trailer = await this.readTrailer(path);
        if (trailer === undefined || this.pathOf(trailer.meta.key) !== path) {
          report.corrupt++;
          this.counters.corruptions++;
          await this.removeQuietly(path);
          continue;
        }
        const { meta, fileBytes } = trailer;
        found.push({
          meta,
          path,
          chargedBytes: this.charge(meta.sizeBytes),
          fileBytes,
          verifiedAtMs: undefined,
        });
      }
    };
    await Promise.all(Array.from({ length: Math.min(this.openConcurrency, files.length) }, worker));

    found.sort((x, y) => x.meta.storedAtMs - y.meta.storedAtMs);
    for (const entry of found) {
      this.index.set(entry.meta.key, entry);
      this.bytes += entry.chargedBytes;
    }
    // A smaller maxBytes than last time: shed the least recently stored.
    report.evicted = await this.serial(() => this.evictUntil(0, undefined));
    this.opened = true;
    report.objects = this.index.size;
    report.bytes = this.bytes;
    this.report = report;
  }

  /** What the last open found (undefined before open). */
  get openReport(): Readonly<DiskOpenReport> | undefined {
    return this.report;
  }

  private async readdirOrEmpty(path: string): Promise<string[]> {
    try {
      return await this.fs.readdir(path);
    } catch {
      return [];
    }
  }

  /** The trailer of an object file, reading only its tail; undefined when unreadable or malformed. */
  private async readTrailer(path: string): Promise<{ meta: CacheEntryMeta; fileBytes: number } | undefined> {
    let handle: FileHandle | undefined;
    try {
      handle = await this.fs.open(path, 'r');
      const { size } = await handle.stat();
      const length = Math.min(size, MAX_META_BYTES + TRAILER_FIXED_BYTES);
      const tail = Buffer.alloc(length);
      const { bytesRead } = await handle.read(tail, 0, length, size - length);
      const meta = bytesRead === length ? parseTrailer(tail, size) : undefined;
      return meta === undefined ? undefined : { meta, fileBytes: size };
    } catch {
      return undefined;
    } finally {
      await handle?.close().catch(() => undefined);
    }
  }

  async close(): Promise<void> {
    await this.commits;
    this.files.retireAll();
  }

  private assertOpen(): void {
    if (!this.opened) throw new Error('DiskStore.open() must finish before the store is used');
  }

  private charge(sizeBytes: number): number {
    return Math.max(1, sizeBytes + this.overheadBytes);
  }

  /** Keys to evict (LRU first, `except` spared) so that `incomingBytes` more fit. */
  private victimsFor(incomingBytes: number, except: string | undefined): string[] {
    let needed = this.bytes + incomingBytes - this.maxBytes;
    const victims: string[] = [];
    if (needed <= 0) return victims;
    for (const [key, entry] of this.index) {
      if (key === except) continue;
      victims.push(key);
      needed -= entry.chargedBytes;
      if (needed <= 0) break;
    }
    return victims;
  }

  /** Evicts until `incomingBytes` more fit; runs inside serial(). Returns how many it evicted. */
  private async evictUntil(incomingBytes: number, except: string | undefined): Promise<number> {
    const victims = this.victimsFor(incomingBytes, except);
    for (const key of victims) {
      const entry = this.index.get(key);
      if (entry === undefined) continue;
      this.forget(key, entry);
      this.counters.evictions++;
      await this.removeQuietly(entry.path);
    }
    return victims.length;
  }

  private forget(key: string, entry: IndexEntry): void {
    this.index.delete(key);
    this.bytes -= entry.chargedBytes;
    this.files.retire(entry);
  }

  /**
   * Drops an object found corrupt, missing or unreadable, and counts it — unless it was evicted,
   * deleted or replaced meanwhile (then the read raced a commit and nothing is wrong).
   */
  private dropCorrupt(key: string, seen: IndexEntry): Promise<boolean> {
    return this.serial(async () => {
      if (this.index.get(key) !== seen) return false;
      this.counters.corruptions++;
      this.forget(key, seen);
      await this.removeQuietly(seen.path);
      return true;
    });
  }

  /** See CacheStore.reportCorrupt: a body this store returned failed a check made elsewhere. */
  async reportCorrupt(key: string, sha256: string): Promise<boolean> {
    const entry = this.index.get(key);
    if (entry?.meta.sha256 !== sha256) return false;
    return this.dropCorrupt(key, entry);
  }

  /** Whether a read now must hash the body (never checked since written or opened, or too long ago). */
  private hashDue(entry: IndexEntry, nowMs: number): boolean {
    const last = entry.verifiedAtMs;
    return last === undefined || !(nowMs - last < this.reverifyIntervalMs);
  }

  /**
   * A lease on the descriptor of an entry's file. An entry replaced or dropped while its file was
   * being opened gets its descriptor retired at once (the lease still reads what it opened).
   */
  private async lease(entry: IndexEntry): Promise<FileLease> {
    const lease = await this.files.acquire(entry, entry.path);
    if (this.index.get(entry.meta.key) !== entry) this.files.retire(entry);
    return lease;
  }

  /**
   * Reads and checks an object without touching recency or admission: the cheap checks always,
   * the body's SHA-256 when `verify` says so or the last check is unknown or older than the
   * re-verify interval (see the module comment).
   */
  private async readVerified(key: string, verify = false): Promise<CacheEntry | undefined> {
    const entry = this.index.get(key);
    if (entry === undefined) return undefined;
    let data: Buffer;
    let bytesRead: number;
    try {
      ({ data, bytesRead } = await this.readWhole(entry));
    } catch {
      // A vanished or unreadable file is a miss.
      await this.dropCorrupt(key, entry);
      return undefined;
    }
    const { meta } = entry;
    const body = data.subarray(0, meta.sizeBytes);
    let good = matchesIndex(data, bytesRead, entry);
    if (good) {
      const nowMs = this.now();
      if (verify || this.hashDue(entry, nowMs)) {
        good = sha256Hex(body) === meta.sha256;
        if (good) entry.verifiedAtMs = nowMs;
      }
    }
    if (!good) {
      await this.dropCorrupt(key, entry);
      return undefined;
    }
    return { meta, body };
  }

  /**
   * The whole object file in one buffer, asking for one byte more than the index says it has, so
   * that a file grown since is noticed as surely as a shortened one (bytesRead tells).
   */
  private async readWhole(entry: IndexEntry): Promise<{ data: Buffer; bytesRead: number }> {
    const lease = await this.lease(entry);
    try {
      return entry.fileBytes < SYNC_READ_MAX_BYTES
        ? readFullySync(lease.fd, entry.fileBytes + 1, 0)
        : await readFully(lease.fd, entry.fileBytes + 1, 0);
    } finally {
      lease.release();
    }
  }

  async get(key: string): Promise<CacheEntry | undefined> {
    if (this.touch(key) === undefined) return undefined;
    return this.readVerified(key);
  }

  /** Records an access and marks the key most recently used; its entry, if any. */
  private touch(key: string): IndexEntry | undefined {
    this.admission.recordAccess(key);
    const entry = this.index.get(key);
    if (entry === undefined) return undefined;
    this.index.delete(key);
    this.index.set(key, entry);
    return entry;
  }

  /**
   * The object opened for streaming (see CacheStore.openBody): the file's length and trailer
   * checked on every open (one read of the trailer and a byte more), the body's SHA-256 computed in
   * pieces through the stream pool when due. A file that fails is dropped and counted, as by get().
   */
  async openBody(key: string): Promise<CacheBodyReader | undefined> {
    const entry = this.touch(key);
    if (entry === undefined) return undefined;
    const { meta } = entry;
    let reader: FileBodyReader | undefined;
    let good = false;
    try {
      const lease = await this.lease(entry);
      reader = new FileBodyReader(lease, meta);
      // The trailer and one byte more: a file cut or grown shows in the count.
      const trailerBytes = entry.fileBytes - meta.sizeBytes;
      const { data, bytesRead } = await readFully(lease.fd, trailerBytes + 1, meta.sizeBytes);
      good = bytesRead === trailerBytes && trailerMatches(data.subarray(0, trailerBytes), entry);
      const nowMs = this.now();
      if (good && this.hashDue(entry, nowMs)) {
        good = (await hashInPieces(reader)) === meta.sha256;
        if (good) entry.verifiedAtMs = nowMs;
      }
    } catch {
      good = false;
    }
    if (good) return reader;
    reader?.close();
    await this.dropCorrupt(key, entry);
    return undefined;
  }

  peek(key: string): CacheEntryMeta | undefined {
    return this.index.get(key)?.meta;
  }

  has(key: string): boolean {
    return this.index.has(key);
  }

  async put(meta: CachePutMeta, body: Uint8Array): Promise<PutResult> {
    const writer = this.beginWrite({ ...meta, sizeBytes: declaredSize(meta) ?? body.length });
    await writer.write(body);
    return writer.end();
  }

  beginWrite(meta: CacheWriteMeta): CacheWriter {
    this.assertOpen();
    const chargedBytes = this.charge(meta.sizeBytes);
    let refusal: 'too-large' | 'admission' | undefined;
    if (chargedBytes > this.maxBytes) refusal = 'too-large';
    else if (!this.index.has(meta.key)) {
      const victims = this.victimsFor(chargedBytes, meta.key);
      if (victims.length > 0 && !this.admission.admit(meta.key, victims)) {
        refusal = 'admission';
        this.counters.admissionRejections++;
      }
    }
    return new DiskWriter(this.host, meta, chargedBytes, refusal);
  }

  /** Moves a finished temp file into place and indexes it (evicting to make room). */
  private commit(
    meta: CacheEntryMeta,
    tempPath: string,
    chargedBytes: number,
    fileBytes: number,
  ): Promise<void> {
    return this.serial(async () => {
      const existing = this.index.get(meta.key);
      await this.evictUntil(chargedBytes - (existing?.chargedBytes ?? 0), meta.key);
      const path = this.pathOf(meta.key);
      await this.fs.mkdir(dirname(path), { recursive: true });
      await this.fs.rename(tempPath, path);
      const current = this.index.get(meta.key);
      if (current !== undefined) this.forget(meta.key, current);
      this.index.set(meta.key, { meta, path, chargedBytes, fileBytes, verifiedAtMs: undefined });
      this.bytes += chargedBytes;
      this.lastWriteError = undefined;
    });
  }

  async updateMeta(meta: CacheEntryMeta): Promise<boolean> {
    const entry = this.index.get(meta.key);
    if (entry?.meta.sha256 !== meta.sha256 || entry.meta.sizeBytes !== meta.sizeBytes) return false;
    // Hashed whatever the last check: the body is copied into a new file that starts unverified.
    const object = await this.readVerified(meta.key, true);
    if (object === undefined) return false;
    const writer = new DiskWriter(this.host, meta, entry.chargedBytes, undefined, meta);
    await writer.write(object.body);
    return (await writer.end()).stored;
  }

  delete(key: string): Promise<boolean> {
    return this.serial(async () => {
      const entry = this.index.get(key);
      if (entry === undefined) return false;
      this.forget(key, entry);
      await this.removeQuietly(entry.path);
      return true;
    });
  }

  deletePrefix(prefix: string): Promise<number> {
    return this.serial(async () => {
      const doomed = [...this.index].filter(([key]) => key.startsWith(prefix));
      for (const [key, entry] of doomed) {
        this.forget(key, entry);
        await this.removeQuietly(entry.path);
      }
      return doomed.length;
    });
  }

  keys(): IterableIterator<string> {
    return this.index.keys();
  }

  stats(): CacheStoreStats {
    return { objects: this.index.size, bytes: this.bytes, maxBytes: this.maxBytes, ...this.counters };
  }

  /** Unhealthy from a failed write until the next successful commit (readiness shows it). */
  health(): CacheStoreHealth {
    return this.lastWriteError === undefined
      ? { healthy: true }
      : { healthy: false, reason: `disk writes failing: ${this.lastWriteError}` };
  }
}

/** The store's side of a write. */
interface WriterHost {
  fs(): DiskFs;
  tempPath(): string;
  now(): number;
  failure(err: unknown, key: string): CdnError;
  commit(meta: CacheEntryMeta, tempPath: string, chargedBytes: number, fileBytes: number): Promise<void>;
  delete(key: string): Promise<boolean>;
}

/**
 * A streamed write to a temp file: body chunks as they come, the trailer at the end, then the
 * commit. Operations run in call order even when not awaited (abort during a pending write waits
 * for it), and every failure removes the temp file.
 */
class DiskWriter implements CacheWriter {
  private readonly verifier: BodyVerifier;
  private readonly temp: string | undefined;
  private handle: Promise<FileHandle> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private done = false;

  constructor(
    private readonly store: WriterHost,
    private readonly meta: CacheWriteMeta | CacheEntryMeta,
    private readonly chargedBytes: number,
    private readonly refusal: 'too-large' | 'admission' | undefined,
    /** Complete metadata to keep as is (a metadata update), instead of building it at the end. */
    private readonly fixedMeta?: CacheEntryMeta,
  ) {
    this.verifier = new BodyVerifier(meta.key, meta.sizeBytes, meta.sha256);
    if (refusal === undefined) {
      this.temp = store.tempPath();
      const temp = this.temp;
      // Through an async function, so that even a synchronous throw becomes a rejection.
      this.handle = (async () => store.fs().open(temp, 'wx'))();
      // Surfaced by the first write or end; this only keeps it from being an unhandled rejection.
      this.handle.catch(() => undefined);
    }
  }

  private enqueue<T>(work: () => Promise<T>): Promise<T> {
    const run = this.queue.then(work, work);
    this.queue = run.catch(() => undefined);
    return run;
  }

  /** Closes and removes the temp file; safe to call twice. */
  private async discard(): Promise<void> {
    this.done = true;
    const handle = this.handle;
    this.handle = undefined;
    if (handle === undefined || this.temp === undefined) return;
    try {
      await (await handle).close();
    } catch {
      // open failed or already closed
    }
    await this.store
      .fs()
      .rm(this.temp, { force: true })
      .catch(() => undefined);
  }

  write(chunk: Uint8Array): Promise<void> {
    return this.enqueue(async () => {
      if (this.done) throw new Error(`write after end or abort (${this.meta.key})`);
      try {
        this.verifier.update(chunk);
      } catch (err) {
        await this.discard();
        throw err;
      }
      if (this.handle === undefined) return; // refused: count and hash, keep nothing
      try {
        await writeAll(await this.handle, chunk);
      } catch (err) {
        await this.discard();
        throw this.store.failure(err, this.meta.key);
      }
    });
  }

  end(): Promise<PutResult> {
    return this.enqueue(async () => {
      if (this.done) throw new Error(`end after end or abort (${this.meta.key})`);
      let meta: CacheEntryMeta;
      try {
        meta = this.fixedMeta ?? completeMeta(this.meta, this.verifier.finish(), this.store.now());
        if (this.fixedMeta !== undefined) this.verifier.finish();
      } catch (err) {
        await this.discard();
        throw err;
      }
      this.done = true;
      if (this.refusal !== undefined) {
        // A response we cannot keep still outdates the stored copy.
        if (this.refusal === 'too-large') await this.store.delete(meta.key);
        return { stored: false, reason: this.refusal };
      }
      try {
        const handle = await this.handle!;
        this.handle = undefined;
        const trailer = encodeTrailer(meta);
        try {
          await writeAll(handle, trailer);
        } finally {
          await handle.close();
        }
        await this.store.commit(meta, this.temp!, this.chargedBytes, meta.sizeBytes + trailer.length);
      } catch (err) {
        await this.store
          .fs()
          .rm(this.temp!, { force: true })
          .catch(() => undefined);
        throw this.store.failure(err, meta.key);
      }
      return { stored: true, meta };
    });
  }

  abort(): Promise<void> {
    return this.enqueue(() => this.discard());
  }
}
