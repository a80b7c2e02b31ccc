/**
 * Process plumbing for the benchmarks: servers started as children in their own process groups
 * (so that CPU and RSS are measured per server, and a whole tree — nginx master and workers, a
 * cluster primary and its workers — is stopped at once), a cleanup list that runs on normal exit,
 * on failure and on Ctrl-C, and /proc readers for CPU time and resident memory (Linux).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { rmSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LineSplitter, lastLines } from '../../../common/process.js';

// ---- cleanup ---------------------------------------------------------------------------------

type CleanupStep = () => Promise<void> | void;

const steps = new Set<CleanupStep>();
/** Process groups still running, killed synchronously if the driver exits without cleaning up. */
const liveGroups = new Set<number>();
/** Temp dirs still present, removed synchronously on exit as a last resort. */
const liveDirs = new Set<string>();
const interrupt = new AbortController();

/** Aborted on Ctrl-C/SIGTERM: pass it to long waits (wrk runs) so that they stop at once. */
export const interruptSignal: AbortSignal = interrupt.signal;

/** Registers a cleanup step (run in reverse order of registration); returns its unregistration. */
export function onCleanup(step: CleanupStep): () => void {
  steps.add(step);
  return () => steps.delete(step);
}

let running: Promise<void> | undefined;

/** Runs every registered step, newest first; failures are reported, not thrown. Calls during a run share it. */
export function runCleanups(): Promise<void> {
  running ??= (async () => {
    for (const step of [...steps].reverse()) {
      if (!steps.delete(step)) continue;
      try {
        await step();
      } catch (err) {
        console.error(`cleanup failed: ${(err as Error).message}`);
      }
    }
  })().finally(() => {
    running = undefined;
  });
  return running;
}

function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch {
    // Already gone.
  }
}

let installed = false;

/**
 * Ctrl-C and SIGTERM abort `interruptSignal`, run the cleanups and exit 130; a second Ctrl-C exits
 * at once. On any exit, groups and temp dirs still alive are killed and removed synchronously.
 */
export function installCleanupHandlers(): void {
  if (installed) return;
  installed = true;
  let interrupts = 0;
  const onSignal = (name: NodeJS.Signals): void => {
    interrupts++;
    if (interrupts > 1) process.exit(130);
    console.error(`\n${name}: stopping servers and removing temp dirs`);
    interrupt.abort(new Error(`interrupted by ${name}`));
    void runCleanups().finally(() => process.exit(130));
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  process.on('exit', () => {
    for (const pgid of liveGroups) killGroup(pgid, 'SIGKILL');
    for (const dir of liveDirs) rmSync(dir, { recursive: true, force: true });
  });
}

/** Runs `main` with cleanup handlers installed and the cleanups run however it ends. */
export async function runBench(main: () => Promise<void>): Promise<void> {
  installCleanupHandlers();
  try {
    await main();
  } catch (err) {
    if (!interruptSignal.aborted) {
      console.error(err);
      process.exitCode = 1;
    }
  } finally {
    await runCleanups();
  }
}

/** A temp dir removed at cleanup. */
export async function tempDir(prefix: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  liveDirs.add(dir);
  onCleanup(async () => {
    await rm(dir, { recursive: true, force: true });
    liveDirs.delete(dir);
  });
  return dir;
}

// ---- ports and child servers ----------------------------------------------------------------

/** A TCP port free on 127.0.0.1 right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
    server.on('error', reject);
  });
}

export interface ChildServer {
  name: string;
  /** The group leader's pid; the group holds every process of the server. */
  pid: number;
  /** What the ready line captured (a URL), or the ready probe's answer. */
  ready: string;
  child: ChildProcess;
  /** The last lines the server wrote (stdout and stderr), for error messages. */
  outputTail(): string;
  /** Sends `signal` to the group, waits for the leader to exit, SIGKILLs the group after `graceMs`. */
  stop(signal?: NodeJS.Signals, graceMs?: number): Promise<void>;
}

export interface StartChildOptions {
  name: string;
  command: string;
  args: readonly string[];
  env?: NodeJS.ProcessEnv;
  /** A line on stdout or stderr that says the server is ready; group 1 (if any) becomes `ready`. */
  readyLine?: RegExp;
  /** Or: polled until it resolves true. */
  readyProbe?: () => Promise<boolean>;
  /** Time allowed to get ready, in ms. */
  startTimeoutMs?: number;
}

/** Starts a server in its own process group and waits until it says (or a probe shows) it is ready. */
export async function startChild(options: StartChildOptions): Promise<ChildServer> {
  const child = spawn(options.command, options.args, {
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
    ...(options.env !== undefined ? { env: options.env } : {}),
  });
  const pid = child.pid;
  if (pid === undefined) {
    const err = await new Promise<Error>((resolve) => child.once('error', resolve));
    throw new Error(`cannot start ${options.name}: ${err.message}`);
  }
  liveGroups.add(pid);
  const tail: string[] = [];
  let readyText: string | undefined;
  const onLine = (line: string): void => {
    tail.push(line);
    if (tail.length > 40) tail.shift();
    if (readyText === undefined && options.readyLine !== undefined) {
      const m = options.readyLine.exec(line);
      if (m) readyText = m[1] ?? line;
    }
  };
  const out = new LineSplitter(onLine);
  const err = new LineSplitter(onLine);
  child.stdout.on('data', (c: Buffer) => out.push(c));
  child.stderr.on('data', (c: Buffer) => err.push(c));
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      liveGroups.delete(pid);
      resolve();
    }),
  );
  const stop = async (signal: NodeJS.Signals = 'SIGTERM', graceMs = 10_000): Promise<void> => {
    if (child.exitCode === null && child.signalCode === null) {
      killGroup(pid, signal);
      const timer = setTimeout(() => killGroup(pid, 'SIGKILL'), graceMs);
      await exited;
      clearTimeout(timer);
    }
    // Workers that outlived their leader go too.
    killGroup(pid, 'SIGKILL');
  };
  const unregister = onCleanup(() => stop('SIGKILL'));
  const server: ChildServer = {
    name: options.name,
    pid,
    ready: '',
    child,
    outputTail: () => tail.join('\n'),
    stop: async (signal, graceMs) => {
      unregister();
      await stop(signal, graceMs);
    },
  };
  const deadline = Date.now() + (options.startTimeoutMs ?? 20_000);
  for (;;) {
    if (child.exitCode !== null || child.signalCode !== null) {
      await server.stop();
      throw new Error(`${options.name} exited before it was ready:\n${lastLines(server.outputTail(), 20)}`);
    }
    if (readyText !== undefined) break;
    if (options.readyProbe !== undefined && (await options.readyProbe())) {
      readyText = 'probe';
      break;
    }
    if (Date.now() > deadline) {
      await server.stop('SIGKILL');
      throw new Error(`${options.name} not ready in time:\n${lastLines(server.outputTail(), 20)}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  server.ready = readyText;
  return server;
}

/** Whether anything answers HTTP at `url` (any status). */
export function answersHttp(url: string): Promise<boolean> {
  return fetch(url, { signal: AbortSignal.timeout(1000) }).then(
    async (r) => {
      await r.arrayBuffer();
      return true;
    },
    () => false,
  );
}

// ---- /proc -----------------------------------------------------------------------------------

let ticksPerS: number | undefined;

/** Clock ticks per second of /proc CPU times (`getconf CLK_TCK`, 100 on Linux). */
function clockTicksPerS(): number {
  if (ticksPerS === undefined) {
    const out = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(out.stdout.trim());
    ticksPerS = Number.isFinite(n) && n > 0 ? n : 100;
  }
  return ticksPerS;
}

/** Fields of /proc/<pid>/stat after the command name (state is [0], ppid [1], pgrp [2], utime [11]). */
async function statFields(pid: string): Promise<string[] | undefined> {
  try {
    const text = await readFile(`/proc/${pid}/stat`, 'utf8');
    return text.slice(text.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** User + system CPU seconds of every live process in the process group `pgid` (threads included). */
export async function groupCpuS(pgid: number): Promise<number> {
  let ticks = 0;
  const entries = await readdir('/proc');
  await Promise.all(
    entries
      .filter((e) => /^\d+$/.test(e))
      .map(async (pid) => {
        const f = await statFields(pid);
        if (f !== undefined && Number(f[2]) === pgid) ticks += Number(f[11]) + Number(f[12]);
      }),
  );
  return ticks / clockTicksPerS();
}

/** Resident set size of one process in bytes (VmRSS), undefined when it is gone. */
export async function rssBytes(pid: number): Promise<number | undefined> {
  try {
    const status = await readFile(`/proc/${pid}/status`, 'utf8');
    const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return m ? Number(m[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}
