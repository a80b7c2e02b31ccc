import * as fs from 'node:fs';
import { mkdtemp, readdir, readlink, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OpenFiles } from './openFiles.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'edge-open-files-'));
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Paths of files under `dir` this process has open, one entry per descriptor (Linux). */
async function openUnderDir(): Promise<string[]> {
  const out: string[] = [];
  for (const fd of await readdir('/proc/self/fd')) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
    if (target.startsWith(dir)) out.push(target);
  }
  return out.sort();
}

/** Waits (up to a second) until exactly `expected` are open: descriptors close in the background. */
async function expectOpen(expected: string[]): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (JSON.stringify(await openUnderDir()) === JSON.stringify(expected)) break;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  expect(await openUnderDir()).toEqual(expected);
}

async function file(name: string, text: string): Promise<{ owner: object; path: string }> {
  const path = join(dir, name);
  await writeFile(path, text);
  return { owner: { name }, path };
}

const readText = (fd: number): string => {
  const buf = Buffer.alloc(64);
  return buf.subarray(0, fs.readSync(fd, buf, 0, 64, 0)).toString();
};

describe('OpenFiles', () => {
  it('opens each file once, shares it between leases and concurrent acquirers, and keeps it open', async () => {
    const files = new OpenFiles(4);
    const a = await file('a', 'alpha');
    const [l1, l2] = await Promise.all([files.acquire(a.owner, a.path), files.acquire(a.owner, a.path)]);
    expect(l1.fd).toBe(l2.fd);
    expect(readText(l1.fd)).toBe('alpha');
    l1.release();
    l2.release();
    l2.release(); // twice is harmless
    const l3 = await files.acquire(a.owner, a.path);
    expect(l3.fd).toBe(l1.fd);
    l3.release();
    await expectOpen([a.path]);
    expect(files.openCount).toBe(1);
  });

  it('closes a retired descriptor only once its last lease is released', async () => {
    const files = new OpenFiles(4);
    const a = await file('a', 'alpha');
    const lease = await files.acquire(a.owner, a.path);
    files.retire(a.owner);
    // Still readable: the lease holds it, whatever happened to the owner.
    expect(readText(lease.fd)).toBe('alpha');
    await expectOpen([a.path]);
    lease.release();
    await expectOpen([]);
    // A new acquire opens the file afresh.
    await writeFile(a.path, 'beta');
    const again = await files.acquire(a.owner, a.path);
    expect(readText(again.fd)).toBe('beta');
    again.release();
  });

  it('keeps at most maxOpen descriptors, shedding the least recently used, never one that is leased', async () => {
    const files = new OpenFiles(2);
    const [a, b, c] = await Promise.all([file('a', 'a'), file('b', 'b'), file('c', 'c')]);
    const la = await files.acquire(a.owner, a.path);
    (await files.acquire(b.owner, b.path)).release();
    (await files.acquire(c.owner, c.path)).release(); // pushes `a` out, but `a` is leased
    expect(files.openCount).toBe(2);
    await expectOpen([a.path, b.path, c.path]);
    expect(readText(la.fd)).toBe('a');
    la.release();
    await expectOpen([b.path, c.path]);
    // Recency: touching `b` makes `c` the one to go next.
    (await files.acquire(b.owner, b.path)).release();
    (await files.acquire(a.owner, a.path)).release();
    await expectOpen([a.path, b.path]);
  });

  it('closes a descriptor retired while it was being opened, after its waiters are done', async () => {
    const files = new OpenFiles(4);
    const a = await file('a', 'alpha');
    const waiting = [files.acquire(a.owner, a.path), files.acquire(a.owner, a.path)];
    files.retire(a.owner);
    const leases = await Promise.all(waiting);
    expect(leases.map((l) => readText(l.fd))).toEqual(['alpha', 'alpha']);
    expect(files.openCount).toBe(0);
    leases[0]!.release();
    await expectOpen([a.path]);
    leases[1]!.release();
    await expectOpen([]);
  });

  it('rejects every waiter when the file cannot be opened, and retires all on retireAll', async () => {
    const files = new OpenFiles(4);
    const missing = { owner: {}, path: join(dir, 'missing') };
    const results = await Promise.allSettled([
      files.acquire(missing.owner, missing.path),
      files.acquire(missing.owner, missing.path),
    ]);
    expect(results.map((r) => r.status)).toEqual(['rejected', 'rejected']);
    const a = await file('a', 'a');
    const b = await file('b', 'b');
    (await files.acquire(a.owner, a.path)).release();
    const lb = await files.acquire(b.owner, b.path);
    files.retireAll();
    await expectOpen([b.path]);
    lb.release();
    await expectOpen([]);
  });
});
