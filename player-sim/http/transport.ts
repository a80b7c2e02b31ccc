/**
 * HTTP for the player (undici): small bounded reads (steering answers, manifests), HEAD sizes, and
 * streamed object bodies read through a ReadGate, which holds them back to a trace's rate with
 * backpressure (pause/resume of the body stream, so the server's socket fills and it sees a slow
 * client). Failures become coded errors: timeout, stall, network, error status.
 */
import type { Readable } from 'node:stream';
import { request, type Dispatcher } from 'undici';
import { CdnError, CommonErrorCode, isCdnError } from '../../common/errors.js';
import type { Clock } from '../clock.js';
import { PlayerHttpErrorCode, playerHttpError } from './errors.js';
import type { LinkThrottle } from './throttle.js';

/** Bytes of an error response read for its `{error, message}` (the JSON error bodies are small). */
const ERROR_BODY_BYTES = 4096;
/** A resume timer may fire this early (ms) and still resume: performance.now() and timers round differently. */
const RESUME_TOLERANCE_MS = 1;

export interface HttpRequestOptions {
  dispatcher: Dispatcher;
  headers?: Record<string, string>;
  signal?: AbortSignal;
  /** Time to the response headers, ms. */
  timeoutMs: number;
}

function isAbortError(err: unknown): boolean {
  const e = err as { name?: string; code?: string } | null;
  return (
    e?.name === 'AbortError' || e?.code === 'UND_ERR_ABORTED' || isCdnError(err, CommonErrorCode.Aborted)
  );
}

/** Any failure of a request as a coded error (an abort stays CDN_ERR_ABORTED). */
export function httpFailure(err: unknown, url: string): CdnError {
  if (isCdnError(err)) return err;
  if (isAbortError(err))
    return new CdnError(CommonErrorCode.Aborted, `request to ${url} aborted`, { cause: err });
  const code = (err as { code?: string } | null)?.code;
  const message = err instanceof Error ? err.message : String(err);
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_CONNECT_TIMEOUT') {
    return playerHttpError(PlayerHttpErrorCode.HttpTimeout, `${url}: no answer in time (${message})`, {
      cause: err,
    });
  }
  return playerHttpError(PlayerHttpErrorCode.HttpNetwork, `${url}: ${code ?? 'network error'}: ${message}`, {
    cause: err,
  });
}

/** Reads up to `maxBytes` of a body; more is PLAYER_ERR_RESPONSE_TOO_LARGE (the request is cut). */
async function readLimited(body: Readable, maxBytes: number, url: string): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    const buffer = chunk as Buffer;
    size += buffer.length;
    if (size > maxBytes) {
      body.destroy();
      throw playerHttpError(
        PlayerHttpErrorCode.ResponseTooLarge,
        `${url}: answer larger than ${maxBytes} bytes`,
      );
    }
    chunks.push(buffer);
  }
  return Buffer.concat(chunks);
}

/** The error for a non-2xx answer, with the server's `{error, message}` when it sent one. */
async function statusError(statusCode: number, body: Readable, url: string): Promise<CdnError> {
  let server: { error?: unknown; message?: unknown } | undefined;
  try {
    const text = (await readLimited(body, ERROR_BODY_BYTES, url)).toString('utf8');
    server = JSON.parse(text) as typeof server;
  } catch {
    body.destroy();
  }
  const serverCode = typeof server?.error === 'string' ? server.error : undefined;
  const serverMessage = typeof server?.message === 'string' ? `: ${server.message}` : '';
  return playerHttpError(
    PlayerHttpErrorCode.HttpStatus,
    `${url} answered ${statusCode}${serverCode ? ` ${serverCode}` : ''}${serverMessage}`,
    { details: { status: statusCode, ...(serverCode ? { serverCode } : {}) } },
  );
}

/** GET of a small text (manifest, steering JSON): the body and the final URL. */
export async function getText(
  url: string,
  options: HttpRequestOptions & { maxBytes: number },
): Promise<string> {
  try {
    const res = await request(url, {
      dispatcher: options.dispatcher,
      method: 'GET',
      headers: options.headers ?? {},
      ...(options.signal ? { signal: options.signal } : {}),
      headersTimeout: options.timeoutMs,
      bodyTimeout: options.timeoutMs,
    });
    if (res.statusCode < 200 || res.statusCode > 299) throw await statusError(res.statusCode, res.body, url);
    return (await readLimited(res.body, options.maxBytes, url)).toString('utf8');
  } catch (err) {
    throw httpFailure(err, url);
  }
}

/** Content-Length of `url` by HEAD (the edge answers it from its cache or its fill). */
export async function headSize(url: string, options: HttpRequestOptions): Promise<number> {
  try {
    const res = await request(url, {
      dispatcher: options.dispatcher,
      method: 'HEAD',
      headers: options.headers ?? {},
      ...(options.signal ? { signal: options.signal } : {}),
      headersTimeout: options.timeoutMs,
    });
    await res.body.dump();
    if (res.statusCode < 200 || res.statusCode > 299) {
      throw playerHttpError(PlayerHttpErrorCode.HttpStatus, `HEAD ${url} answered ${res.statusCode}`, {
        details: { status: res.statusCode },
      });
    }
    const size = Number(res.headers['content-length']);
    if (!Number.isInteger(size) || size < 0) {
      throw playerHttpError(PlayerHttpErrorCode.HttpNetwork, `HEAD ${url}: no Content-Length`);
    }
    return size;
  } catch (err) {
    throw httpFailure(err, url);
  }
}

/**
 * Where the bodies of one download (video and audio alike: they share the link) are read: counts
 * bytes, and with a throttle pauses the streams while the bucket is in debt and resumes them when
 * the trace has carried it. Times on `clock`; `originMs` is the clock's time at session time 0.
 */
export class ReadGate {
  private readonly paused = new Set<Readable>();
  private timer: NodeJS.Timeout | undefined;
  private readBytes = 0;
  /** Clock time of the first body byte read. */
  firstDataMs: number | undefined;

  constructor(
    private readonly clock: Clock,
    private readonly originMs: number,
    private readonly throttle: LinkThrottle | undefined,
  ) {}

  private sessionNow(): number {
    return this.clock.nowMs() - this.originMs;
  }

  /** Called for every chunk read from `stream`. */
  onData(stream: Readable, bytes: number): void {
    this.firstDataMs ??= this.clock.nowMs();
    this.readBytes += bytes;
    if (this.throttle === undefined) return;
    const now = this.sessionNow();
    const until = this.throttle.take(bytes, now);
    if (until === undefined) return;
    if (!this.paused.has(stream)) {
      this.paused.add(stream);
      stream.pause();
    }
    this.schedule(until - now);
  }

  /** Bytes the player has (read and, with a throttle, carried by the trace). */
  deliveredBytes(): number {
    return this.throttle === undefined ? this.readBytes : this.throttle.deliveredBytes(this.sessionNow());
  }

  /** Waits until what was read has been carried by the trace (the last bytes' arrival). */
  async drain(signal: AbortSignal): Promise<void> {
    if (this.throttle === undefined) return;
    const now = this.sessionNow();
    const waitMs = this.throttle.readyAtMs(now) - now;
    if (waitMs > 0) await this.clock.sleep(waitMs, signal);
  }

  close(): void {
    clearTimeout(this.timer);
    this.timer = undefined;
    this.paused.clear();
  }

  private schedule(delayMs: number): void {
    if (this.timer !== undefined) return;
    this.timer = setTimeout(() => this.wake(), Math.max(0, delayMs));
  }

  private wake(): void {
    this.timer = undefined;
    const now = this.sessionNow();
    const readyAt = this.throttle!.readyAtMs(now);
    if (readyAt - now > RESUME_TOLERANCE_MS) {
      this.schedule(readyAt - now);
      return;
    }
    const streams = [...this.paused];
    this.paused.clear();
    for (const stream of streams) stream.resume();
  }
}

export interface StreamObjectOptions extends HttpRequestOptions {
  signal: AbortSignal;
  /** Longest body silence while not held back by the gate, ms. */
  stallTimeoutMs: number;
  gate: ReadGate;
  /** The body's size once the headers arrived (Content-Length), when known. */
  onHeaders?: (totalBytes: number | undefined) => void;
}

/** GETs one object and reads its body through the gate; resolves with its size in bytes. */
export async function streamObject(url: string, options: StreamObjectOptions): Promise<number> {
  let body: Readable;
  try {
    const res = await request(url, {
      dispatcher: options.dispatcher,
      method: 'GET',
      headers: options.headers ?? {},
      signal: options.signal,
      headersTimeout: options.timeoutMs,
      // Our own stall watchdog: time the gate holds the body back is not silence.
      bodyTimeout: 0,
    });
    if (res.statusCode < 200 || res.statusCode > 299) throw await statusError(res.statusCode, res.body, url);
    const length = Number(res.headers['content-length']);
    options.onHeaders?.(Number.isInteger(length) && length >= 0 ? length : undefined);
    body = res.body;
  } catch (err) {
    throw httpFailure(err, url);
  }
  return new Promise<number>((resolve, reject) => {
    let bytes = 0;
    let stallTimer: NodeJS.Timeout | undefined;
    let settled = false;
    const finish = (err?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(stallTimer);
      if (err === undefined) resolve(bytes);
      else reject(httpFailure(err, url));
    };
    const arm = () => {
      clearTimeout(stallTimer);
      if (settled) return;
      stallTimer = setTimeout(() => {
        const err = playerHttpError(
          PlayerHttpErrorCode.HttpStall,
          `${url}: no data for ${options.stallTimeoutMs} ms`,
        );
        finish(err);
        body.destroy(err);
      }, options.stallTimeoutMs);
    };
    body.on('pause', () => clearTimeout(stallTimer));
    body.on('resume', arm);
    body.on('data', (chunk: Buffer) => {
      bytes += chunk.length;
      arm();
      options.gate.onData(body, chunk.length);
    });
    body.once('end', () => finish());
    body.once('error', (err) => finish(err));
    body.once('close', () =>
      finish(new CdnError(CommonErrorCode.Aborted, `${url}: body closed before its end`)),
    );
    arm();
  });
}
