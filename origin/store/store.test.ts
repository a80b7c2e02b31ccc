import { mkdir, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { describeContentStoreContract } from './contract.js';
import { writeFakePackage } from './fixtures.js';
import { FsContentStore, VERSION_INDEX_FILE } from './fsStore.js';
import { MemoryContentStore } from './memoryStore.js';
import { versionsToPrune } from './package.js';

describeContentStoreContract('FsContentStore', async ({ versionRetention, now }) => {
  const dataDir = await mkdtemp(join(tmpdir(), 'fs-store-'));
  return {
    store: new FsContentStore({ dataDir, versionRetention, now }),
    cleanup: () => rm(dataDir, { recursive: true, force: true }),
  };
});

describeContentStoreContract('MemoryContentStore', ({ versionRetention, now }) =>
  Promise.resolve({
    store: new MemoryContentStore({ versionRetention, now }),
    cleanup: () => Promise.resolve(),
  }),
);

describe('versionsToPrune', () => {
  const v = (version: string, storedAtMs: number) => ({ version, storedAtMs });
  it('keeps the current version and the newest others up to the limit', () => {
    const all = [v('a', 1), v('b', 2), v('c', 3), v('d', 4), v('e', 5)];
    expect(versionsToPrune(all, 'e', 3)).toEqual(['b', 'a']);
    expect(versionsToPrune(all, 'a', 3)).toEqual(['c', 'b']);
    expect(versionsToPrune(all, 'a', 1)).toEqual(['e', 'd', 'c', 'b']);
    expect(versionsToPrune(all, undefined, 2)).toEqual(['c', 'b', 'a']);
    expect(versionsToPrune([v('a', 1)], 'a', 3)).toEqual([]);
  });
  it('breaks storedAt ties by name, later names being newer', () => {
    expect(versionsToPrune([v('20250101-x', 5), v('20250102-y', 5), v('z', 9)], 'z', 2)).toEqual([
      '20250101-x',
    ]);
  });
});

describe('FsContentStore on disk', () => {
  let dataDir: string;
  beforeEach(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'fs-store-'));
  });
  afterEach(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('lays out titles/<id>/versions/<version>/ and a current.json pointer, and leaves no staging', async () => {
    const store = new FsContentStore({ dataDir, versionRetention: 3 });
    await store.open();
    const pkg = join(dataDir, '..', `${dataDir.split('/').pop()}-pkg`);
    const title = await writeFakePackage(pkg, { titleId: 'movie' });
    try {
      await store.publish(pkg);
      const pointer = JSON.parse(await readFile(join(dataDir, 'titles/movie/current.json'), 'utf8'));
      expect(pointer.version).toBe(title.version);
      const versionDir = join(dataDir, 'titles/movie/versions', title.version);
      expect((await readdir(versionDir)).sort()).toEqual(
        [
          VERSION_INDEX_FILE,
          'audio',
          'ladder.json',
          'manifest.mpd',
          'master.m3u8',
          'title.json',
          'video',
        ].sort(),
      );
      expect(await readdir(join(dataDir, 'staging'))).toEqual([]);
      expect((await readdir(join(dataDir, 'titles/movie'))).sort()).toEqual(['current.json', 'versions']);
    } finally {
      await rm(pkg, { recursive: true, force: true });
    }
  });

  it('clears staging left by a crash when it opens, and reads the pointer written by an earlier process', async () => {
    const first = new FsContentStore({ dataDir, versionRetention: 3 });
    await first.open();
    const pkg = join(dataDir, 'pkg');
    const title = await writeFakePackage(pkg, { titleId: 'movie' });
    await first.publish(pkg);
    await mkdir(join(dataDir, 'staging', 'movie-half-copied'), { recursive: true });
    await writeFile(join(dataDir, 'staging', 'movie-half-copied', 'x.m4s'), 'partial');
    const second = new FsContentStore({ dataDir, versionRetention: 3 });
    await second.open();
    expect(await readdir(join(dataDir, 'staging'))).toEqual([]);
    expect((await second.current('movie'))?.version).toBe(title.version);
    expect(await second.stat('movie', title.version, 'manifest.mpd')).toBeDefined();
  });

  it('reports each file stream it opens and closes', async () => {
    let open = 0;
    const store = new FsContentStore({
      dataDir,
      versionRetention: 3,
      onStreamOpen: () => open++,
      onStreamClose: () => open--,
    });
    await store.open();
    const pkg = join(dataDir, 'pkg');
    const title = await writeFakePackage(pkg, { titleId: 'movie', segmentBytes: 1_000_000 });
    await store.publish(pkg);
    const stream = await store.openRead('movie', title.version, 'video/v0/00001.m4s');
    expect(open).toBe(1);
    await new Promise<void>((resolve) => {
      stream.once('data', () => {
        stream.destroy();
        resolve();
      });
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(open).toBe(0);
  });
});
