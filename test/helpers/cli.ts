import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';

/** The `cdn` command's source entry, run with tsx (no build needed). */
export const CDN_SOURCE_ENTRY = join(import.meta.dirname, '..', '..', 'bin', 'cdn.ts');

export interface CliRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

export interface CliOptions {
  /** Called on every stdout chunk with the text so far; may signal the child. */
  onStdout?: (text: string, child: ChildProcess) => void;
  /** Called on every stderr chunk with the text so far; may signal the child. */
  onStderr?: (text: string, child: ChildProcess) => void;
  env?: NodeJS.ProcessEnv;
  /** Kills the process tree after this long (ms); the run then resolves with the signal. */
  timeoutMs?: number;
}

/** Runs `cdn <args>` from source and resolves when it exits. */
export function runCdn(args: string[], options: CliOptions = {}): Promise<CliRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CDN_SOURCE_ENTRY, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      env: options.env ?? process.env,
    });
    let stdout = '';
    let stderr = '';
    const timer =
      options.timeoutMs === undefined
        ? undefined
        : setTimeout(() => child.kill('SIGKILL'), options.timeoutMs);
    child.stdout.on('data', (d: Buffer) => {
      stdout += d.toString();
      options.onStdout?.(stdout, child);
    });
    child.stderr.on('data', (d: Buffer) => {
      stderr += d.toString();
      options.onStderr?.(stderr, child);
    });
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}
