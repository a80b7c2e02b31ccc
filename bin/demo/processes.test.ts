import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  findBird,
  loopbackHosts,
  pollUntil,
  spawnLogged,
  supervised,
  type ChildDaemon,
} from './processes.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'demo-processes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Whether a process with this pid exists. */
function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** `sleep 60` under the supervisor, and the sleeping process's pid (which it logs first). */
async function supervisedSleep(name: string): Promise<{ d: ChildDaemon; pid: number }> {
  const log = join(dir, `${name}.log`);
  const d = await spawnLogged(
    'sleep',
    supervised(process.execPath, ['/bin/sh', '-c', 'echo $$; exec sleep 60']),
    log,
    { ipc: true },
  );
  const pid = await pollUntil(
    'the daemon pid',
    async () => Number((await readFile(log, 'utf8')).trim()) || false,
    {
      timeoutMs: 5000,
    },
  );
  return { d, pid };
}

describe('supervised daemons', () => {
  it('pass their exit code and output through', async () => {
    const log = join(dir, 'exit.log');
    const d = await spawnLogged(
      'sh',
      supervised(process.execPath, ['/bin/sh', '-c', 'echo hello; exit 3']),
      log,
      {
        ipc: true,
      },
    );
    expect((await d.exited).code).toBe(3);
    expect(await readFile(log, 'utf8')).toContain('hello');
  });

  it('stop the daemon on SIGTERM to the supervisor', async () => {
    const { d, pid } = await supervisedSleep('term');
    expect(alive(pid)).toBe(true);
    await d.stop('SIGTERM', 5000);
    await pollUntil('the daemon to exit', () => !alive(pid), { timeoutMs: 5000 });
  });

  it('stop the daemon when the demo goes away (its IPC channel closes)', async () => {
    const { d, pid } = await supervisedSleep('orphan');
    d.child.disconnect();
    await pollUntil('the orphan-to-be to exit', () => !alive(pid), { timeoutMs: 5000 });
    await d.exited;
  });
});

describe('loopbackHosts and findBird', () => {
  it('gives distinct 127/8 addresses where the system has them, else 127.0.0.1 for all', async () => {
    const { hosts, distinct } = await loopbackHosts(3, 20);
    expect(hosts).toHaveLength(3);
    if (distinct) expect(hosts).toEqual(['127.0.0.20', '127.0.0.21', '127.0.0.22']);
    else expect(new Set(hosts)).toEqual(new Set(['127.0.0.1']));
  });

  it('finds BIRD on PATH first, else in the system directories', async () => {
    const bin = join(dir, 'bin');
    await mkdir(bin, { recursive: true });
    await writeFile(join(bin, 'bird'), '#!/bin/sh\n', { mode: 0o755 });
    // Both the daemon and its control client are needed.
    expect(findBird(bin)?.bird).not.toBe(join(bin, 'bird'));
    await writeFile(join(bin, 'birdc'), '#!/bin/sh\n', { mode: 0o755 });
    expect(findBird(`/nonexistent:${bin}`)).toEqual({ bird: join(bin, 'bird'), birdc: join(bin, 'birdc') });
    const system = findBird('');
    if (system !== undefined) expect(system.bird).toMatch(/^\/usr\/(local\/)?sbin\/bird$/);
  });
});
