import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import { chmod, mkdir, mkdtemp, readFile, readdir, rm, truncate, unlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { codeOfAsync } from '../../test/helpers/errors.js';
import { describeCacheStoreContract } from './contract.js';
import { DiskStore, type DiskFs } from './diskStore.js';
import type { CachePutMeta } from './types.js';

describeCacheStoreContract('DiskStore', async ({ maxBytes, admission, now }) => {
  const dir = await mkdtemp(join(tmpdir(), 'edge-disk-contract-'));
  return {
    store: new DiskStore({ dir, maxBytes, entryOverheadBytes: 0, now, ...(admission ? { admission } : {}) }),
    cleanup: () => rm(dir, { recursive: true, force: true }),
  };
});

const T0_MS = Date.parse('2025-03-01T00:00:00Z');
const sha = (data: Uint8Array): string => createHash('sha256').update(data).digest('hex');
const meta = (key: string): CachePutMeta => ({
  key,
  status: 200,
  headers: { 'content-type': 'video/iso.segment', etag: '"e1"' },
  requestTimeMs: T0_MS,
  responseTimeMs: T0_MS + 5,
});
const bodyOf = (size: number, seed: number): Buffer => Buffer.alloc(size, seed);

/** Every file under a directory, relative to it. */
async function filesUnder(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (entry.isFile()) out.push(relative(dir, join(entry.parentPath, entry.name)));
  }
  return out.sort();
}

const isRoot = process.getuid?.() === 0;

describe('DiskStore on disk', () => {
  let dir: string;
  let clockMs: number;
  const open = async (options: { maxBytes?: number; fs?: DiskFs } = {}): Promise<DiskStore> => {
    const store = new DiskStore({
      dir,
      maxBytes: options.maxBytes ?? 1 << 20,
      entryOverheadBytes: 0,
      now: () => clockMs,
      ...(options.fs ? { fs: options.fs } : {}),
    });
    await store.open();
    return store;
  };

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'edge-disk-'));
    clockMs = T0_MS;
  });
  afterEach(async () => {
    await chmod(dir, 0o755).catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  it('lays objects out fanned out by key hash, body first (sendfile-ready), trailer last', async () => {
    const store = await open();
    const body = bodyOf(5000, 7);
    await store.put(meta('/content/t1/a.m4s'), body);
    const name = sha(Buffer.from('/content/t1/a.m4s'));
    expect(await filesUnder(dir)).toEqual([`objects/${name.slice(0, 2)}/${name.slice(2, 4)}/${name}`]);
    expect(store.pathOf('/content/t1/a.m4s')).toBe(
      join(dir, 'objects', name.slice(0, 2), name.slice(2, 4), name),
    );
    const file = await readFile(store.pathOf('/content/t1/a.m4s'));
    expect(file.subarray(0, 5000).equals(body)).toBe(true);
    expect(file.subarray(file.length - 8).toString('latin1')).toBe('CDNOBJ1\n');
  });

  it('serves every object after a restart from the index loaded at open, hashes verified', async () => {
    const first = await open();
    const bodies = new Map<string, Buffer>();
    for (let i = 0; i < 40; i++) {
      const key = `/content/t${i % 3}/seg${i}.m4s`;
      bodies.set(key, bodyOf(100 + i * 10, i));
      clockMs++;
      await first.put(meta(key), bodies.get(key)!);
    }
    await first.close();

    const second = await open();
    expect(second.openReport).toEqual({
      objects: 40,
      bytes: [...bodies.values()].reduce((n, b) => n + b.length, 0),
      corrupt: 0,
      tempFilesRemoved: 0,
      evicted: 0,
    });
    // Indexed before any read: has/peek answer at once.
    expect([...bodies.keys()].every((key) => second.has(key))).toBe(true);
    expect(second.peek('/content/t1/seg1.m4s')).toMatchObject({ storedAtMs: T0_MS + 2, sizeBytes: 110 });
    for (const [key, body] of bodies) {
      const hit = await second.get(key);
      expect(hit?.body.equals(body)).toBe(true);
      expect(hit?.meta.sha256).toBe(sha(body));
    }
    expect(second.stats().corruptions).toBe(0);
  });

  it('restores recency from store times and sheds the oldest when reopened smaller', async () => {
    const first = await open();
    for (const key of ['/old', '/mid', '/new']) {
      clockMs += 1000;
      await first.put(meta(key), bodyOf(1000, 1));
    }
    const second = await open({ maxBytes: 2500 });
    expect(second.openReport?.evicted).toBe(1);
    expect([...second.keys()]).toEqual(['/mid', '/new']);
    await second.put(meta('/newest'), bodyOf(1000, 2));
    expect([...second.keys()]).toEqual(['/new', '/newest']);
  });

  it('drops a flipped, truncated or vanished object on read: a miss, counted, file removed', async () => {
    const store = await open();
    for (const key of ['/flip', '/trunc', '/gone', '/ok']) await store.put(meta(key), bodyOf(4096, 3));

    const flipPath = store.pathOf('/flip');
    const flipped = await readFile(flipPath);
    flipped[100]! ^= 0x01;
    await writeFile(flipPath, flipped);
    await truncate(store.pathOf('/trunc'), 4000);
    await unlink(store.pathOf('/gone'));

    for (const key of ['/flip', '/trunc', '/gone']) {
      expect(await store.get(key)).toBeUndefined();
      expect(store.has(key)).toBe(false);
    }
    expect(store.stats()).toMatchObject({ corruptions: 3, objects: 1, bytes: 4096 });
    expect((await store.get('/ok'))?.body.length).toBe(4096);
    expect(await filesUnder(join(dir, 'objects'))).toHaveLength(1);
  });

  it('does not count a read that races a delete or an overwrite as corruption', async () => {
    const store = await open();
    for (let i = 0; i < 20; i++) {
      await store.put(meta(`/r${i}`), bodyOf(50_000, i));
      const [hit] = await Promise.all([
        store.get(`/r${i}`),
        i % 2 ? store.delete(`/r${i}`) : store.put(meta(`/r${i}`), bodyOf(50_000, i + 1)),
      ]);
      if (hit) expect(hit.meta.sha256).toBe(sha(hit.body));
    }
    expect(store.stats().corruptions).toBe(0);
  });

  it('drops corrupt objects at open (truncated, bad trailer, wrong place) and strays, and clears temp files', async () => {
    const first = await open();
    for (const key of ['/a', '/b', '/c', '/d']) await first.put(meta(key), bodyOf(2000, 4));
    await truncate(first.pathOf('/a'), 1500); // cut into the body
    const b = await readFile(first.pathOf('/b'));
    await writeFile(first.pathOf('/b'), b.subarray(0, b.length - 3)); // cut into the magic
    // /c's file moved under /d's name: its key does not hash to where it lies.
    await fsp.rename(first.pathOf('/c'), first.pathOf('/d'));
    await mkdir(join(dir, 'objects', '00', '00'), { recursive: true });
    await writeFile(join(dir, 'objects', '00', '00', 'stray.swp'), 'editor junk');
    await writeFile(join(dir, 'tmp', 'dead-fill.tmp'), 'half a segment');

    const second = await open();
    expect(second.openReport).toMatchObject({ objects: 0, corrupt: 3, tempFilesRemoved: 1 });
    expect(await filesUnder(dir)).toEqual([]);
  });

  it('leaves no temp file after an aborted, truncated or refused streamed write', async () => {
    const store = await open({ maxBytes: 10_000 });
    const aborted = store.beginWrite({ ...meta('/s'), sizeBytes: 1000 });
    await aborted.write(bodyOf(500, 1));
    expect(await readdir(join(dir, 'tmp'))).toHaveLength(1);
    await aborted.abort();

    const short = store.beginWrite({ ...meta('/s'), sizeBytes: 1000 });
    await short.write(bodyOf(999, 1));
    expect(await codeOfAsync(short.end())).toBe('EDGE_ERR_FILL_TRUNCATED');

    const huge = store.beginWrite({ ...meta('/s'), sizeBytes: 20_000 });
    await huge.write(bodyOf(20_000, 1));
    expect(await huge.end()).toEqual({ stored: false, reason: 'too-large' });

    // abort while a write is still pending: it runs after the write and removes the file.
    const racing = store.beginWrite({ ...meta('/s'), sizeBytes: 1000 });
    const pending = racing.write(bodyOf(600, 1));
    await racing.abort();
    await pending;

    expect(await filesUnder(dir)).toEqual([]);
    expect(store.has('/s')).toBe(false);
  });

  it('commits one whole object when streamed writes of one key interleave', async () => {
    const store = await open();
    const a = bodyOf(3000, 1);
    const b = bodyOf(3000, 2);
    const wa = store.beginWrite({ ...meta('/k'), sizeBytes: 3000 });
    const wb = store.beginWrite({ ...meta('/k'), sizeBytes: 3000 });
    for (let i = 0; i < 3000; i += 1000) {
      await Promise.all([wa.write(a.subarray(i, i + 1000)), wb.write(b.subarray(i, i + 1000))]);
    }
    await Promise.all([wb.end(), wa.end()]);
    const hit = await store.get('/k');
    expect([a, b].some((x) => x.equals(hit!.body))).toBe(true);
    expect(await filesUnder(dir)).toHaveLength(1);
    const reopened = await open();
    expect((await reopened.get('/k'))?.body.equals(hit!.body)).toBe(true);
  });

  /** A file system whose writes fail with `errno` while `failing.on` is set. */
  function failingFs(errno: string, failing: { on: boolean; at: 'open' | 'rename' }): DiskFs {
    const fail = (): never => {
      throw Object.assign(new Error(`${errno}: simulated`), { code: errno });
    };
    return {
      ...fsp,
      open: ((path: string, flags?: string) => {
        if (failing.on && failing.at === 'open' && flags === 'wx') fail();
        return fsp.open(path, flags);
      }) as DiskFs['open'],
      rename: (from, to) => {
        if (failing.on && failing.at === 'rename') fail();
        return fsp.rename(from, to);
      },
    };
  }

  for (const [errno, at] of [
    ['ENOSPC', 'open'],
    ['EROFS', 'rename'],
    ['EACCES', 'open'],
  ] as const) {
    it(`turns ${errno} (at ${at}) into EDGE_ERR_DISK_WRITE and unhealthy, keeps serving, recovers`, async () => {
      const failing = { on: false, at };
      const store = await open({ fs: failingFs(errno, failing) });
      await store.put(meta('/kept'), bodyOf(100, 1));
      failing.on = true;
      expect(await codeOfAsync(store.put(meta('/new'), bodyOf(100, 2)))).toBe('EDGE_ERR_DISK_WRITE');
      const streamed = store.beginWrite({ ...meta('/new'), sizeBytes: 100 });
      const code = await codeOfAsync(
        (async () => {
          await streamed.write(bodyOf(100, 2));
          await streamed.end();
        })(),
      );
      expect(code).toBe('EDGE_ERR_DISK_WRITE');
      expect(store.health()).toEqual({ healthy: false, reason: expect.stringContaining(errno) });
      expect(store.stats()).toMatchObject({ writeErrors: 2, objects: 1 });
      expect((await store.get('/kept'))?.body.length).toBe(100);
      expect(store.has('/new')).toBe(false);
      expect(await readdir(join(dir, 'tmp'))).toEqual([]);

      failing.on = false;
      expect(await store.put(meta('/new'), bodyOf(100, 2))).toMatchObject({ stored: true });
      expect(store.health()).toEqual({ healthy: true });
    });
  }

  it.skipIf(isRoot)(
    'fails writes on a read-only cache directory without crashing (skipped as root)',
    async () => {
      // As root, chmod does not block writes (CAP_DAC_OVERRIDE), so this case cannot be set up;
      // the injected-fs cases above cover EROFS and EACCES for every user.
      const store = await open();
      await store.put(meta('/kept'), bodyOf(100, 1));
      await chmod(join(dir, 'tmp'), 0o555);
      expect(await codeOfAsync(store.put(meta('/new'), bodyOf(100, 2)))).toBe('EDGE_ERR_DISK_WRITE');
      expect(store.health().healthy).toBe(false);
      expect((await store.get('/kept'))?.body.length).toBe(100);
    },
  );

  it('throws EDGE_ERR_DISK_WRITE from open when the directory cannot be made', async () => {
    await writeFile(join(dir, 'file'), 'x');
    const store = new DiskStore({ dir: join(dir, 'file', 'cache'), maxBytes: 1000 });
    expect(await codeOfAsync(store.open())).toBe('EDGE_ERR_DISK_WRITE');
    expect(store.health().healthy).toBe(false);
  });

  it('refuses writes before open', async () => {
    await mkdir(join(dir, 'x'));
    const store = new DiskStore({ dir: join(dir, 'x'), maxBytes: 1000 });
    expect(() => store.beginWrite({ ...meta('/a'), sizeBytes: 1 })).toThrow(/open/);
    expect(await store.get('/a')).toBeUndefined();
  });
});
