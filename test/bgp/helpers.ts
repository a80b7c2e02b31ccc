/**
 * Helpers of the BGP tests: free ports, bounded waits, real router daemons (BIRD 2, GoBGP) in
 * temp dirs on loopback, a raw TCP peer that speaks (or breaks) the protocol, and a view that
 * folds the speaker's deltas into the table a control plane would hold.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { type Socket, connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { BgpSpeaker, Route, RouteDelta } from '../../edge/bgp/index.js';
import { MessageFramer, type Frame } from '../../edge/bgp/codec/header.js';

const run = promisify(execFile);

export const BIRD = '/usr/sbin/bird';
export const BIRDC = '/usr/sbin/birdc';
export const GOBGPD = '/usr/bin/gobgpd';
export const GOBGP = '/usr/bin/gobgp';
export const birdMissing = !existsSync(BIRD) || !existsSync(BIRDC);
export const gobgpMissing = !existsSync(GOBGPD) || !existsSync(GOBGP);

export async function freePort(host = '127.0.0.1'): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (!address || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** Polls `check` until it returns something other than undefined/false, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => T | undefined | false,
  timeoutMs = 10_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

/** The table a control plane builds from the speaker's deltas, and every delta seen. */
export class RouteView {
  readonly table = new Map<string, Route>();
  readonly deltas: RouteDelta[] = [];
  constructor(speaker: BgpSpeaker) {
    speaker.on('delta', (delta) => {
      this.deltas.push(delta);
      for (const prefix of delta.withdraw) this.table.delete(prefix);
      for (const route of delta.announce) this.table.set(route.prefix, route);
    });
  }
  prefixes(): string[] {
    return [...this.table.keys()].sort();
  }
  withdrawn(): string[] {
    return this.deltas.flatMap((d) => d.withdraw);
  }
}

export async function tempDir(prefix: string): Promise<{ dir: string; remove: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), prefix));
  return { dir, remove: () => rm(dir, { recursive: true, force: true }) };
}

/** A daemon started in the foreground, stopped by its own pid. */
export class Daemon {
  output = '';
  readonly exited: Promise<number | null>;
  constructor(readonly child: ChildProcess) {
    child.stdout?.on('data', (c: Buffer) => (this.output += c.toString()));
    child.stderr?.on('data', (c: Buffer) => (this.output += c.toString()));
    this.exited = new Promise((resolve) => child.once('exit', (code) => resolve(code)));
  }
  get running(): boolean {
    return this.child.exitCode === null && this.child.signalCode === null;
  }
  signal(signal: NodeJS.Signals): void {
    if (this.running) this.child.kill(signal);
  }
  /** SIGKILL and wait (bounded) for the exit. */
  async kill(): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGKILL');
    await Promise.race([this.exited, new Promise((r) => setTimeout(r, 5000))]);
  }
}

export class Bird extends Daemon {
  constructor(
    child: ChildProcess,
    readonly socketPath: string,
  ) {
    super(child);
  }
  /** Runs one birdc command against this BIRD's control socket. */
  async birdc(...args: string[]): Promise<string> {
    const { stdout } = await run(BIRDC, ['-s', this.socketPath, ...args], { timeout: 10_000 });
    return stdout;
  }
}

/** Starts BIRD in the foreground with `config` written into `dir`; resolves once its control socket answers. */
export async function startBird(dir: string, config: string, extraArgs: string[] = []): Promise<Bird> {
  const conf = join(dir, 'bird.conf');
  const socketPath = join(dir, 'bird.ctl');
  await writeFile(conf, config);
  // A killed BIRD leaves its socket file behind.
  await rm(socketPath, { force: true });
  const child = spawn(BIRD, ['-f', '-c', conf, '-s', socketPath, ...extraArgs], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const bird = new Bird(child, socketPath);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (!bird.running) throw new Error(`bird exited: ${bird.output}`);
    try {
      if (existsSync(socketPath)) {
        await bird.birdc('show', 'status');
        return bird;
      }
    } catch (err) {
      if (Date.now() > deadline) {
        await bird.kill();
        throw err;
      }
    }
    if (Date.now() > deadline) {
      await bird.kill();
      throw new Error(`BIRD control socket did not appear: ${bird.output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

export class Gobgp extends Daemon {
  constructor(
    child: ChildProcess,
    readonly apiPort: number,
  ) {
    super(child);
  }
  /** Runs one `gobgp` CLI command against this daemon's API. */
  async cli(...args: string[]): Promise<string> {
    const { stdout } = await run(GOBGP, ['-u', '127.0.0.1', '-p', String(this.apiPort), ...args], {
      timeout: 10_000,
    });
    return stdout;
  }
}

export async function startGobgp(dir: string, config: string, apiPort: number): Promise<Gobgp> {
  const conf = join(dir, 'gobgpd.toml');
  await writeFile(conf, config);
  const child = spawn(GOBGPD, ['-f', conf, '--api-hosts', `127.0.0.1:${apiPort}`], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const gobgp = new Gobgp(child, apiPort);
  const deadline = Date.now() + 10_000;
  for (;;) {
    try {
      await gobgp.cli('global');
      return gobgp;
    } catch (err) {
      if (!gobgp.running || Date.now() > deadline) {
        await gobgp.kill();
        throw new Error(`gobgpd did not start: ${String(err)} ${gobgp.output}`);
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }
}

/** A hand-driven peer over a real TCP connection, to send exact (or broken) bytes and read the answers. */
export class RawPeer {
  readonly frames: Frame[] = [];
  closed = false;
  readonly #framer = new MessageFramer();
  private constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const f of this.#framer.push(chunk).frames)
        this.frames.push({ type: f.type, body: f.body.slice() });
    });
    socket.on('close', () => (this.closed = true));
    socket.on('error', () => undefined);
  }

  static async connect(port: number, localAddress: string, host = '127.0.0.1'): Promise<RawPeer> {
    const socket = connect({ host, port, localAddress });
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    socket.setNoDelay(true);
    return new RawPeer(socket);
  }

  send(bytes: Uint8Array): void {
    this.socket.write(bytes);
  }

  /** Waits for the next message of `type` after the first `skip` seen, returning it. */
  async next(type: number, timeoutMs = 5000): Promise<Frame> {
    return waitFor(`message type ${type}`, () => this.frames.find((f) => f.type === type), timeoutMs).then(
      (frame) => {
        this.frames.splice(this.frames.indexOf(frame), 1);
        return frame;
      },
    );
  }

  async waitClosed(timeoutMs = 5000): Promise<void> {
    await waitFor('connection close', () => this.closed, timeoutMs);
  }

  close(): void {
    this.socket.destroy();
  }
}
