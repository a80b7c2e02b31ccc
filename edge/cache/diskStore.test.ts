import { createHash } from 'node:crypto';
import * as fsp from 'node:fs/promises';
import {
  chmod,
  mkdir,
  mkdtemp,
  readFile,
  readdir,
  readlink,
  rm,
  truncate,
  unlink,
  writeFile,
} from 'node:fs/promises';
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
  const open = async (
    options: { maxBytes?: number; fs?: DiskFs; reverifyIntervalMs?: number; openFilesMax?: number } = {},
  ): Promise<DiskStore> => {
    const store = new DiskStore({
      dir,
      maxBytes: options.maxBytes ?? 1 << 20,
      entryOverheadBytes: 0,
      now: () => clockMs,
      ...(options.fs ? { fs: options.fs } : {}),
      ...(options.reverifyIntervalMs !== undefined ? { reverifyIntervalMs: options.reverifyIntervalMs } : {}),
      ...(options.openFilesMax !== undefined ? { openFilesMax: options.openFilesMax } : {}),
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

  /** Flips one byte of a file in place. */
  async function flipByte(path: string, at: number): Promise<void> {
    const data = await readFile(path);
    data[at]! ^= 0x01;
    await writeFile(path, data);
  }

  it('hashes a body on its first read, then again only once the re-verify interval passed', async () => {
    const store = await open({ reverifyIntervalMs: 60_000 });
    await store.put(meta('/rot'), bodyOf(4096, 5));
    expect((await store.get('/rot'))?.body.equals(bodyOf(4096, 5))).toBe(true); // hashed: good
    await flipByte(store.pathOf('/rot'), 10);
    // Within the interval the flipped bit goes unnoticed (length and trailer are intact)...
    clockMs += 59_000;
    expect((await store.get('/rot'))?.body[10]).toBe(5 ^ 0x01);
    expect(store.stats().corruptions).toBe(0);
    // ...and is caught by the first read after it.
    clockMs += 1000;
    expect(await store.get('/rot')).toBeUndefined();
    expect(store.has('/rot')).toBe(false);
    expect(store.stats().corruptions).toBe(1);
    expect(await filesUnder(join(dir, 'objects'))).toEqual([]);
  });

  it('hashes every read with a re-verify interval of 0', async () => {
    const store = await open({ reverifyIntervalMs: 0 });
    await store.put(meta('/a'), bodyOf(4096, 5));
    expect(await store.get('/a')).toBeDefined();
    await flipByte(store.pathOf('/a'), 4000);
    expect(await store.get('/a')).toBeUndefined();
    expect(store.stats().corruptions).toBe(1);
  });

  it('catches a truncated, extended, torn-trailer or replaced file on every read, however recently hashed', async () => {
    const store = await open({ reverifyIntervalMs: 3_600_000 });
    const keys = ['/cut', '/grown', '/trailer', '/swapped', '/ok'];
    for (const key of keys) await store.put(meta(key), bodyOf(4096, 6));
    await store.put(meta('/other'), bodyOf(4096, 7));
    for (const key of keys) expect(await store.get(key)).toBeDefined(); // all hashed now
    await truncate(store.pathOf('/cut'), 4096); // the body is whole, the trailer gone
    await writeFile(store.pathOf('/grown'), Buffer.from('x'), { flag: 'a' });
    const trailer = await readFile(store.pathOf('/trailer'));
    await flipByte(store.pathOf('/trailer'), trailer.length - 20); // inside the metadata JSON
    // Another object's file (same length, another body) moved into place behind the store's back.
    await writeFile(store.pathOf('/swapped'), await readFile(store.pathOf('/other')));
    for (const key of ['/cut', '/grown', '/trailer', '/swapped']) {
      expect(await store.get(key), key).toBeUndefined();
    }
    expect(store.stats().corruptions).toBe(4);
    expect((await store.get('/ok'))?.body.equals(bodyOf(4096, 6))).toBe(true);
  });

  it('hashes again on the first read after the store is reopened', async () => {
    const first = await open({ reverifyIntervalMs: 3_600_000 });
    await first.put(meta('/a'), bodyOf(4096, 8));
    expect(await first.get('/a')).toBeDefined();
    await first.close();
    await flipByte(first.pathOf('/a'), 7);
    const second = await open({ reverifyIntervalMs: 3_600_000 });
    expect(second.has('/a')).toBe(true);
    expect(await second.get('/a')).toBeUndefined();
    expect(second.stats().corruptions).toBe(1);
  });

  it('drops an object reported corrupt only while it is still the body reported', async () => {
    const store = await open();
    await store.put(meta('/a'), bodyOf(100, 1));
    expect(await store.reportCorrupt('/a', sha(bodyOf(100, 2)))).toBe(false);
    expect(store.has('/a')).toBe(true);
    expect(await store.reportCorrupt('/missing', sha(bodyOf(100, 1)))).toBe(false);
    expect(await store.reportCorrupt('/a', sha(bodyOf(100, 1)))).toBe(true);
    expect(store.has('/a')).toBe(false);
    expect(store.stats()).toMatchObject({ corruptions: 1, objects: 0 });
    expect(await filesUnder(join(dir, 'objects'))).toEqual([]);
  });

  /** Descriptors this process has open on files under the store's directory (Linux). */
  async function openFilesUnderDir(): Promise<number> {
    let count = 0;
    for (const fd of await readdir('/proc/self/fd')) {
      const target = await readlink(`/proc/self/fd/${fd}`).catch(() => '');
      if (target.startsWith(dir)) count++;
    }
    return count;
  }

  /** Descriptors are closed in the background: a few turns of the loop to get there. */
  async function expectNoOpenFiles(): Promise<void> {
    for (let i = 0; i < 100 && (await openFilesUnderDir()) > 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 10));
    }
    expect(await openFilesUnderDir()).toBe(0);
  }

  it('opens a body for streaming: pieces at any position, one descriptor kept until the object goes', async () => {
    const store = await open({ reverifyIntervalMs: 60_000 });
    const body = Buffer.from(Array.from({ length: 300_000 }, (_, i) => i % 251));
    await store.put(meta('/s'), body);
    const reader = await store.openBody('/s');
    expect(reader?.meta.sha256).toBe(sha(body));
    const piece = Buffer.alloc(100_000);
    expect(await reader!.read(piece, 250_000, 100_000)).toBe(50_000); // clipped to the body's end
    expect(piece.subarray(0, 50_000).equals(body.subarray(250_000))).toBe(true);
    expect(await reader!.read(piece, 1000, 10)).toBe(10);
    expect(piece.subarray(0, 10).equals(body.subarray(1000, 1010))).toBe(true);
    reader!.close();
    reader!.close();
    // Kept open for the next hit (get and openBody share it)...
    expect((await store.get('/s'))?.body.equals(body)).toBe(true);
    (await store.openBody('/s'))!.close();
    expect(await openFilesUnderDir()).toBe(1);
    // ...and closed once the object is gone.
    await store.delete('/s');
    await expectNoOpenFiles();
    expect(await store.openBody('/absent')).toBeUndefined();
  });

  it('refuses to open a cut, grown or flipped file (dropped, counted), and hashes in pieces on first open', async () => {
    const store = await open({ reverifyIntervalMs: 60_000, maxBytes: 4 << 20 });
    for (const key of ['/cut', '/grown', '/flip']) await store.put(meta(key), bodyOf(600_000, 9));
    await truncate(store.pathOf('/cut'), 599_000);
    await writeFile(store.pathOf('/grown'), Buffer.from('x'), { flag: 'a' });
    await flipByte(store.pathOf('/flip'), 550_000); // in the second piece
    for (const key of ['/cut', '/grown', '/flip']) expect(await store.openBody(key), key).toBeUndefined();
    expect(store.stats()).toMatchObject({ corruptions: 3, objects: 0 });
    await expectNoOpenFiles();
  });

  it('tells a file cut after it was opened by a short read, and closes only once a pending read is done', async () => {
    const store = await open();
    await store.put(meta('/s'), bodyOf(300_000, 4));
    const reader = (await store.openBody('/s'))!;
    await truncate(store.pathOf('/s'), 100_000);
    expect(await reader.read(Buffer.alloc(200_000), 0, 200_000)).toBe(100_000);
    // The object goes and the reader is closed while a read is in flight: the read still completes
    // on the descriptor it started on, which is closed after it.
    const piece = Buffer.alloc(10);
    const pending = reader.read(piece, 50, 10);
    await store.delete('/s');
    reader.close();
    await expect(pending).resolves.toBe(10);
    expect(piece.equals(bodyOf(10, 4))).toBe(true);
    await expect(reader.read(Buffer.alloc(10), 0, 10)).rejects.toThrow(/after close/);
    await expectNoOpenFiles();
  });

  it('keeps at most openFilesMax descriptors, and none after close', async () => {
    const store = await open({ openFilesMax: 2 });
    for (const key of ['/a', '/b', '/c', '/d']) {
      await store.put(meta(key), bodyOf(1000, 1));
      await store.get(key);
    }
    expect(await openFilesUnderDir()).toBe(2);
    await store.close();
    await expectNoOpenFiles();
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
