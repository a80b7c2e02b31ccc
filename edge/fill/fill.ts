/**
 * One fill in flight: the upstream response head, then its body chunks as they arrive, kept in a
 * list so that requests joining late replay what came before and then follow live (read while
 * writing). Every request for the key while it is in flight shares it (request coalescing).
 *
 * The list is bounded (`replayLimitBytes`): once the body outgrows it the chunks are let go and the
 * fill stops being `replayable`; requests already following keep receiving live chunks, and a
 * request that comes later must not follow it (the HTTP shell forwards it instead).
 *
 * A body to be stored, of declared size within the bound, is assembled as it arrives into one
 * buffer of exactly that size, and the replay list holds views into it: the upstream's chunks
 * become garbage at once, and the finished body (`body()`, what the memory tier keeps) needs no
 * second copy.
 */
import { CdnError } from '../../common/errors.js';
import type { StoredHeaders } from '../policy/freshness.js';
import type { FillSourceKind } from './sources.js';

export interface FillHead {
  /** Status served to clients: the upstream one, or the stored one after a 304. */
  status: number;
  /** The stored-header subset (see pickStoredHeaders), forwarded to clients. */
  headers: StoredHeaders;
  /** Declared body size (Content-Length); undefined when upstream sent none. */
  sizeBytes: number | undefined;
  requestTimeMs: number;
  responseTimeMs: number;
  /** Whether the response will be stored once verified. */
  storable: boolean;
  /** Whether requests that joined may get this response too (not `private`, no Set-Cookie). */
  shareable: boolean;
  /** `fetched`: a new body from upstream; `revalidated`: upstream said 304, the body is the stored one. */
  via: 'fetched' | 'revalidated';
  upstreamStatus: number;
}

export interface FillListener {
  chunk(data: Buffer): void;
  end(): void;
  error(err: CdnError): void;
}

export class Fill {
  readonly head: Promise<FillHead>;
  headValue: FillHead | undefined;
  /** The body so far, while `replayable`; emptied when the body outgrows replayLimitBytes. */
  readonly chunks: Buffer[] = [];
  receivedBytes = 0;
  /** Bytes held in `chunks`. */
  keptBytes = 0;
  /** Whether a request may still follow from the first byte (the chunks are all kept). */
  replayable = true;
  /** The kind of source being asked, or that answered (undefined before the first request). */
  source: FillSourceKind | undefined;
  state: 'head' | 'body' | 'done' | 'failed' = 'head';
  error: CdnError | undefined;
  /** Set by a purge while in flight: the response is still served to its requests, never stored. */
  doNotStore = false;
  /** Requests that joined after the first. */
  joiners = 0;
  /** The body being assembled (declared size, within the replay bound); `chunks` are views into it. */
  private assembled: Buffer | undefined;
  /** Whether assembly may still start or go on (off after held bytes or a size surprise). */
  private assembling = true;
  /** Settles with the fill: resolves once the last byte arrived, rejects with its failure. */
  readonly done: Promise<void>;
  private resolveDone!: () => void;
  private rejectDone!: (err: CdnError) => void;
  private readonly listeners = new Set<FillListener>();
  private resolveHead!: (head: FillHead) => void;
  private rejectHead!: (err: CdnError) => void;

  constructor(
    readonly key: string,
    /** Most body bytes kept for replay; beyond it the fill streams without keeping anything. */
    readonly replayLimitBytes = Infinity,
  ) {
    this.head = new Promise<FillHead>((resolve, reject) => {
      this.resolveHead = resolve;
      this.rejectHead = reject;
    });
    this.done = new Promise<void>((resolve, reject) => {
      this.resolveDone = resolve;
      this.rejectDone = reject;
    });
    // A failure reaches every awaiting request; none left over is not an error.
    this.head.catch(() => undefined);
    this.done.catch(() => undefined);
  }

  setHead(head: FillHead): void {
    this.headValue = head;
    this.state = 'body';
    this.resolveHead(head);
  }

  /**
   * Adds a body chunk and hands it to the followers. `held`: the bytes are held elsewhere anyway
   * (a stored body after a 304), so keeping them costs nothing and they do not count to the limit.
   */
  push(data: Buffer, held = false): void {
    this.receivedBytes += data.length;
    if (this.replayable) {
      if (!held && this.keptBytes + data.length > this.replayLimitBytes) {
        this.replayable = false;
        this.chunks.length = 0;
        this.keptBytes = 0;
        this.assembled = undefined;
      } else {
        this.chunks.push(held ? this.notAssembled(data) : this.assemble(data));
        this.keptBytes += data.length;
      }
    }
    for (const listener of this.listeners) listener.chunk(data);
  }

  /** Copies `data` into the assembled body (started on the first chunk); the view it landed in. */
  private assemble(data: Buffer): Buffer {
    if (!this.assembling) return data;
    const size = this.headValue?.sizeBytes;
    const offset = this.keptBytes;
    if (this.assembled === undefined) {
      // Only a body that will be stored needs to be whole in one buffer.
      const kept = this.headValue?.storable === true && !this.doNotStore;
      if (!kept || offset !== 0 || size === undefined || size === 0 || size > this.replayLimitBytes) {
        return this.notAssembled(data);
      }
      this.assembled = Buffer.allocUnsafeSlow(size);
    }
    if (offset + data.length > this.assembled.length) return this.notAssembled(data);
    data.copy(this.assembled, offset);
    return this.assembled.subarray(offset, offset + data.length);
  }

  /** Stops assembling (the views kept so far stay valid); `data` is kept as it is. */
  private notAssembled(data: Buffer): Buffer {
    this.assembling = false;
    this.assembled = undefined;
    return data;
  }

  /**
   * The whole body of a finished, replayable fill: the assembled buffer itself when the body was
   * assembled (no copy), else the kept chunks joined.
   */
  body(): Buffer {
    const assembled = this.assembled;
    if (assembled !== undefined && this.keptBytes === assembled.length) return assembled;
    return Buffer.concat(this.chunks, this.keptBytes);
  }

  finish(): void {
    this.state = 'done';
    this.resolveDone();
    for (const listener of this.listeners) listener.end();
    this.listeners.clear();
  }

  fail(err: CdnError): void {
    if (this.state === 'done' || this.state === 'failed') return;
    this.error = err;
    if (this.state === 'head') this.rejectHead(err);
    this.rejectDone(err);
    this.state = 'failed';
    for (const listener of this.listeners) listener.error(err);
    this.listeners.clear();
    // The body is never served or stored now: let it go.
    this.chunks.length = 0;
    this.keptBytes = 0;
    this.assembled = undefined;
  }

  /**
   * Replays the chunks received so far, then follows live ones. Call once the head resolved.
   * Returns the function that stops following (a client that went away).
   */
  follow(listener: FillListener): () => void {
    if (this.state === 'failed') {
      listener.error(this.error!);
      return () => undefined;
    }
    if (!this.replayable) {
      // The shell checks `replayable` before following; reaching here is a bug, not a client's doing.
      listener.error(new CdnError('CDN_ERR_INTERNAL', `the fill of ${this.key} can no longer be replayed`));
      return () => undefined;
    }
    // Chunks pushed during the replay cannot happen (push runs on its own tick), so a copy is not needed.
    for (const chunk of this.chunks) listener.chunk(chunk);
    if (this.state === 'done') {
      listener.end();
      return () => undefined;
    }
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
