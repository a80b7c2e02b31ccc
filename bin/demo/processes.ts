/**
 * The demo's processes: `cdn edge` children (each its own process, so one can be killed outright),
 * BIRD 2 as the ISP's router when it is installed, and the loopback addresses they listen on.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { open, rm, writeFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { delimiter, join } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';

const execFileAsync = promisify(execFile);

/** Polls `check` every `intervalMs` until it returns a value other than undefined/false. */
export async function pollUntil<T>(
  what: string,
  check: () => Promise<T | undefined | false> | T | undefined | false,
  options: { timeoutMs: number; intervalMs?: number; signal?: AbortSignal },
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    options.signal?.throwIfAborted();
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${options.timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, options.intervalMs ?? 50));
  }
}

/** Whether a TCP socket can listen on `host` (127.0.0.2 and up exist on Linux, not everywhere). */
async function canListen(host: string): Promise<boolean> {
  const server = createServer();
  return new Promise((resolve) => {
    server.once('error', () => resolve(false));
    server.listen(0, host, () => server.close(() => resolve(true)));
  });
}

/**
 * `count` distinct loopback addresses from 127.0.0.`first` when the system routes all of 127/8 to
 * loopback (Linux), else 127.0.0.1 for all of them (and `distinct` false). Distinct addresses let
 * browser players tell the edges apart by host.
 */
export async function loopbackHosts(
  count: number,
  first: number,
): Promise<{ hosts: string[]; distinct: boolean }> {
  const hosts = Array.from({ length: count }, (_, i) => `127.0.0.${first + i}`);
  const ok = await Promise.all(hosts.map(canListen));
  return ok.every(Boolean)
    ? { hosts, distinct: true }
    : { hosts: hosts.map(() => '127.0.0.1'), distinct: false };
}

/** A port free on `host` right now (the kernel's pick, released). */
export async function freePort(host: string): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, host, resolve);
  });
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error(`no free port on ${host}`);
  return address.port;
}

/** A child process with its output in a log file; stopped by pid. */
export class ChildDaemon {
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logPath: string,
  ) {
    this.exited = new Promise((resolve) => child.once('exit', (code, signal) => resolve({ code, signal })));
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  /** Sends `signal` and waits (bounded) for the exit; SIGKILL when a polite stop takes too long. */
  async stop(signal: NodeJS.Signals = 'SIGTERM', timeoutMs = 10_000): Promise<void> {
    if (!this.running) return;
    this.child.kill(signal);
    const timer = new Promise<'timeout'>((r) => setTimeout(() => r('timeout'), timeoutMs).unref());
    if ((await Promise.race([this.exited, timer])) === 'timeout' && this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/**
 * Spawns `command` (argv) with stdout and stderr appended to `logPath`. With `ipc`, the child gets
 * an IPC channel: `cdn edge` stops when it closes, so the edges never outlive the demo, even when
 * the demo is killed with SIGKILL.
 */
export async function spawnLogged(
  name: string,
  command: readonly string[],
  logPath: string,
  options: { ipc?: boolean } = {},
): Promise<ChildDaemon> {
  const log = await open(logPath, 'a');
  try {
    const child = spawn(command[0]!, command.slice(1), {
      stdio: options.ipc ? ['ignore', log.fd, log.fd, 'ipc'] : ['ignore', log.fd, log.fd],
    });
    // The demo never sends anything: the channel only tells the child its parent is alive.
    child.channel?.unref();
    const daemon = new ChildDaemon(name, child, logPath);
    await new Promise<void>((resolve, reject) => {
      child.once('spawn', resolve);
      child.once('error', reject);
    });
    return daemon;
  } finally {
    await log.close();
  }
}

/** Waits until `url` answers 200 (an edge's /readyz), or the process exits, or the time is up. */
export async function waitReady(
  daemon: ChildDaemon,
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<void> {
  await pollUntil(
    `${daemon.name} at ${url}`,
    async () => {
      if (!daemon.running) throw new Error(`${daemon.name} exited while starting; see ${daemon.logPath}`);
      try {
        const res = await request(url, { headersTimeout: 1000, bodyTimeout: 1000 });
        await res.body.dump();
        return res.statusCode === 200;
      } catch {
        return false;
      }
    },
    { timeoutMs, intervalMs: 100, ...(signal ? { signal } : {}) },
  );
}

/**
 * A launcher for daemons that know nothing of the demo (BIRD): it runs `argv[1..]` in the
 * foreground, passes SIGTERM and SIGINT on, exits with its exit code, and stops it when its own IPC
 * channel to the demo closes (the demo is gone, even after a SIGKILL), so no daemon is orphaned.
 */
const SUPERVISOR_SCRIPT = `
const { spawn } = require('node:child_process');
const child = spawn(process.argv[1], process.argv.slice(2), { stdio: 'inherit' });
const stop = (signal) => { if (child.exitCode === null && child.signalCode === null) child.kill(signal); };
process.on('SIGTERM', () => stop('SIGTERM'));
process.on('SIGINT', () => stop('SIGINT'));
if (process.channel) { process.channel.unref(); process.on('disconnect', () => stop('SIGTERM')); }
child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
child.on('error', (err) => { console.error(String(err)); process.exit(1); });
`;

/** `argv` run under the supervisor (see SUPERVISOR_SCRIPT), with Node from `nodePath`. */
export function supervised(nodePath: string, argv: readonly string[]): string[] {
  return [nodePath, '-e', SUPERVISOR_SCRIPT, ...argv];
}

/** BIRD's daemon and control client, from PATH or /usr/sbin; undefined when not installed. */
export function findBird(pathEnv: string | undefined): { bird: string; birdc: string } | undefined {
  const dirs = [...(pathEnv ?? '').split(delimiter).filter(Boolean), '/usr/sbin', '/usr/local/sbin'];
  for (const dir of dirs) {
    const bird = join(dir, 'bird');
    const birdc = join(dir, 'birdc');
    if (existsSync(bird) && existsSync(birdc)) return { bird, birdc };
  }
  return undefined;
}

export class BirdRouter {
  constructor(
    readonly daemon: ChildDaemon,
    private readonly birdc: string,
    readonly socketPath: string,
  ) {}
  /** Runs one birdc command against this BIRD's control socket. */
  async command(...args: string[]): Promise<string> {
    const { stdout } = await execFileAsync(this.birdc, ['-s', this.socketPath, ...args], { timeout: 10_000 });
    return stdout;
  }
  /** Names of the BGP protocols in state Established. */
  async establishedSessions(): Promise<string[]> {
    const text = await this.command('show', 'protocols');
    return text
      .split('\n')
      .map((line) => line.trim().split(/\s+/))
      .filter((cols) => cols[1] === 'BGP' && cols.includes('Established'))
      .map((cols) => cols[0]!);
  }
}

/** Starts BIRD in the foreground with `config` in `dir`; resolves once its control socket answers. */
export async function startBird(
  paths: { bird: string; birdc: string },
  dir: string,
  config: string,
): Promise<BirdRouter> {
  const conf = join(dir, 'bird.conf');
  const socketPath = join(dir, 'bird.ctl');
  await writeFile(conf, config);
  await rm(socketPath, { force: true });
  const daemon = await spawnLogged(
    'bird',
    supervised(process.execPath, [paths.bird, '-f', '-c', conf, '-s', socketPath]),
    join(dir, 'bird.log'),
    { ipc: true },
  );
  const router = new BirdRouter(daemon, paths.birdc, socketPath);
  try {
    await pollUntil(
      'BIRD control socket',
      async () => {
        if (!daemon.running) throw new Error(`bird exited while starting; see ${daemon.logPath}`);
        if (!existsSync(socketPath)) return false;
        return router
          .command('show', 'status')
          .then(() => true)
          .catch(() => false);
      },
      { timeoutMs: 10_000 },
    );
  } catch (err) {
    await daemon.stop('SIGKILL');
    throw err;
  }
  return router;
}
