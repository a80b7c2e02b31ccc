import { spawn } from 'node:child_process';
import { StringDecoder } from 'node:string_decoder';
import { CdnError, CommonErrorCode } from './errors.js';

export interface RunProcessOptions {
  /** Kill the process tree and fail with CDN_ERR_PROCESS_TIMEOUT after this long. */
  timeoutMs?: number;
  /** Abort kills the process tree and fails with CDN_ERR_ABORTED. */
  signal?: AbortSignal;
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Called for each line of standard output (split on \n or \r, without the terminator). */
  onStdoutLine?: (line: string) => void;
  /** Called for each line of standard error. */
  onStderrLine?: (line: string) => void;
  /** Keep standard output in the result (up to maxStdoutBytes). */
  captureStdout?: boolean;
  /** Cap on captured standard output in bytes; more fails the run (a runaway child). Default 64 MiB. */
  maxStdoutBytes?: number;
  /** How much of the end of standard error to keep for error messages, in bytes. Default 64 KiB. */
  stderrTailBytes?: number;
  /** Resolve instead of failing when the exit code is not 0. */
  allowNonZeroExit?: boolean;
  /** Time between SIGTERM and SIGKILL when stopping the tree, in ms. Default 2000. */
  killGraceMs?: number;
}

export interface ProcessResult {
  exitCode: number | null;
  /** The signal that ended the process, if any. */
  exitSignal: NodeJS.Signals | null;
  stdout: string;
  stderrTail: string;
  durationMs: number;
}

/** Splits a byte stream into lines on \n, \r\n or \r (FFmpeg's progress uses bare \r). */
export class LineSplitter {
  private readonly decoder = new StringDecoder('utf8');
  private pending = '';

  constructor(private readonly onLine: (line: string) => void) {}

  push(chunk: Buffer): void {
    this.pending += this.decoder.write(chunk);
    let start = 0;
    for (let i = 0; i < this.pending.length; i++) {
      const ch = this.pending.charCodeAt(i);
      if (ch === 10 || ch === 13) {
        if (i > start) this.onLine(this.pending.slice(start, i));
        start = i + 1;
      }
    }
    this.pending = this.pending.slice(start);
  }

  end(): void {
    this.pending += this.decoder.end();
    if (this.pending.length > 0) this.onLine(this.pending);
    this.pending = '';
  }
}

/** Keeps the last `limitBytes` of what it is given. */
class TailBuffer {
  private chunks: Buffer[] = [];
  private size = 0;
  constructor(private readonly limitBytes: number) {}
  push(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.size += chunk.length;
    while (this.size > this.limitBytes && this.chunks.length > 1) {
      this.size -= this.chunks.shift()!.length;
    }
  }
  toString(): string {
    const all = Buffer.concat(this.chunks);
    return all.subarray(Math.max(0, all.length - this.limitBytes)).toString('utf8');
  }
}

/** The last `count` non-empty lines of a text, for error messages. */
export function lastLines(text: string, count: number): string {
  return text
    .split(/\r?\n|\r/)
    .filter((l) => l.trim() !== '')
    .slice(-count)
    .join('\n');
}

/**
 * Runs a program in its own process group and waits for it. Timeout and abort stop the whole tree
 * (SIGTERM, then SIGKILL after a grace period) and the promise settles only once the child has exited,
 * so callers can remove its files safely afterwards.
 */
export function runProcess(
  command: string,
  args: readonly string[],
  options: RunProcessOptions = {},
): Promise<ProcessResult> {
  const startedAt = performance.now();
  const killGraceMs = options.killGraceMs ?? 2000;
  const maxStdoutBytes = options.maxStdoutBytes ?? 64 * 1024 * 1024;

  return new Promise<ProcessResult>((resolve, reject) => {
    if (options.signal?.aborted) {
      reject(abortError(command, options.signal));
      return;
    }
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env,
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });

    const stderrTail = new TailBuffer(options.stderrTailBytes ?? 64 * 1024);
    const stdoutChunks: Buffer[] = [];
    let stdoutBytes = 0;
    let stopReason: CdnError | undefined;
    let killTimer: NodeJS.Timeout | undefined;
    let spawnError: Error | undefined;

    const stdoutLines = options.onStdoutLine ? new LineSplitter(options.onStdoutLine) : undefined;
    const stderrLines = options.onStderrLine ? new LineSplitter(options.onStderrLine) : undefined;

    const stopTree = (reason: CdnError): void => {
      if (stopReason) return;
      stopReason = reason;
      signalGroup(child.pid, 'SIGTERM');
      killTimer = setTimeout(() => signalGroup(child.pid, 'SIGKILL'), killGraceMs);
      killTimer.unref();
    };

    const timeoutTimer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(
            () =>
              stopTree(
                new CdnError(
                  CommonErrorCode.ProcessTimeout,
                  `${baseName(command)} did not finish within ${options.timeoutMs} ms`,
                  {
                    details: { command, timeoutMs: options.timeoutMs },
                  },
                ),
              ),
            options.timeoutMs,
          );
    const onAbort = (): void => stopTree(abortError(command, options.signal));
    options.signal?.addEventListener('abort', onAbort, { once: true });

    child.stdout.on('data', (chunk: Buffer) => {
      stdoutLines?.push(chunk);
      if (options.captureStdout) {
        stdoutBytes += chunk.length;
        if (stdoutBytes > maxStdoutBytes) {
          stopTree(
            new CdnError(
              CommonErrorCode.ProcessExit,
              `${baseName(command)} wrote more than ${maxStdoutBytes} bytes of output`,
            ),
          );
          return;
        }
        stdoutChunks.push(chunk);
      }
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderrTail.push(chunk);
      stderrLines?.push(chunk);
    });
    child.on('error', (err) => {
      spawnError = err;
    });
    child.on('close', (exitCode, exitSignal) => {
      if (timeoutTimer) clearTimeout(timeoutTimer);
      if (killTimer) clearTimeout(killTimer);
      options.signal?.removeEventListener('abort', onAbort);
      // Whatever is left in the group (grandchildren that ignored SIGTERM) goes too.
      if (stopReason) signalGroup(child.pid, 'SIGKILL');
      stdoutLines?.end();
      stderrLines?.end();
      const result: ProcessResult = {
        exitCode,
        exitSignal,
        stdout: Buffer.concat(stdoutChunks).toString('utf8'),
        stderrTail: stderrTail.toString(),
        durationMs: performance.now() - startedAt,
      };
      if (spawnError) {
        reject(
          new CdnError(CommonErrorCode.ProcessSpawn, `cannot start ${command}: ${spawnError.message}`, {
            cause: spawnError,
            details: { command },
          }),
        );
      } else if (stopReason) {
        reject(stopReason);
      } else if (exitCode !== 0 && !options.allowNonZeroExit) {
        const tail = lastLines(result.stderrTail, 5);
        reject(
          new CdnError(
            CommonErrorCode.ProcessExit,
            `${baseName(command)} exited with ${exitCode === null ? `signal ${exitSignal}` : `code ${exitCode}`}${tail ? `: ${tail}` : ''}`,
            { details: { command, exitCode, exitSignal, stderrTail: tail } },
          ),
        );
      } else {
        resolve(result);
      }
    });
  });
}

function signalGroup(pid: number | undefined, signal: NodeJS.Signals): void {
  if (pid === undefined) return;
  try {
    process.kill(-pid, signal);
  } catch {
    // The group is already gone.
  }
}

function abortError(command: string, signal: AbortSignal | undefined): CdnError {
  return new CdnError(CommonErrorCode.Aborted, `${baseName(command)} was cancelled`, {
    cause: signal?.reason,
  });
}

function baseName(command: string): string {
  const parts = command.split(/[\\/]/);
  return parts[parts.length - 1] ?? command;
}
