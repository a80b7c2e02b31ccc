/**
 * Clocks for the session engine. The engine never reads time itself: it asks the clock it is given,
 * so the same engine runs in real time (SystemClock) or in virtual time (VirtualClock, advanced by the
 * virtual fetcher and by sleeps, without waiting).
 */
import { CdnError, CommonErrorCode } from '../common/errors.js';

export interface Clock {
  /** Current time on this clock, ms (monotonic; 0 need not be the session start). */
  nowMs(): number;
  /**
   * Resolves once `ms` of this clock's time has passed. Rejects with CDN_ERR_ABORTED when `signal`
   * aborts first (and at once when it already has).
   */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

function abortedError(): CdnError {
  return new CdnError(CommonErrorCode.Aborted, 'aborted');
}

/** Virtual time: sleeping advances the clock at once; the virtual fetcher advances it while downloading. */
export class VirtualClock implements Clock {
  private now: number;

  constructor(startMs = 0) {
    this.now = startMs;
  }

  nowMs(): number {
    return this.now;
  }

  /** Moves the clock forward to `ms` (never backwards). */
  advanceTo(ms: number): void {
    if (ms > this.now) this.now = ms;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError());
    this.advanceTo(this.now + Math.max(0, ms));
    return Promise.resolve();
  }
}

/** Real time: performance.now() and timers. */
export class SystemClock implements Clock {
  nowMs(): number {
    return performance.now();
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    if (signal?.aborted) return Promise.reject(abortedError());
    // Timers run on the event loop's cached ms clock and may fire up to ~1 ms before
    // performance.now() reaches the target: sleep again for what is left.
    const targetMs = performance.now() + Math.max(0, ms);
    return new Promise((resolve, reject) => {
      const onAbort = () => {
        clearTimeout(timer);
        reject(abortedError());
      };
      const wake = () => {
        const leftMs = targetMs - performance.now();
        if (leftMs > 0) {
          timer = setTimeout(wake, leftMs);
          return;
        }
        signal?.removeEventListener('abort', onAbort);
        resolve();
      };
      let timer = setTimeout(wake, Math.max(0, ms));
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }
}
