import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { OriginErrorCode } from '../errors.js';
import { writeFakePackage, type FakePackageSpec } from './fixtures.js';
import { etagFromSha256, sha256Hex } from './package.js';
import type { ContentStore } from './types.js';

/** A store for one test, with retention 3 and the clock given. */
export type ContentStoreFactory = (options: { versionRetention: number; now: () => Date }) => Promise<{
  store: ContentStore;
  cleanup: () => Promise<void>;
}>;

async function collect(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * The behaviour every ContentStore must have. Run it against each implementation:
 * `describeContentStoreContract('FsContentStore', factory)`.
 */
export function describeContentStoreContract(name: string, factory: ContentStoreFactory): void {
  describe(`ContentStore contract: ${name}`, () => {
    let store: ContentStore;
    let cleanup: () => Promise<void>;
    let work: string;
    let clockMs: number;
    let packages = 0;

    const makePackage = async (spec: FakePackageSpec): Promise<{ dir: string; version: string }> => {
      const dir = join(work, `pkg-${packages++}`);
      const title = await writeFakePackage(dir, spec);
      return { dir, version: title.version };
    };

    beforeEach(async () => {
      work = await mkdtemp(join(tmpdir(), 'store-contract-'));
      clockMs = Date.parse('2025-03-01T00:00:00Z');
      // Every call moves the clock 1 s: publishes get increasing times.
      ({ store, cleanup } = await factory({ versionRetention: 3, now: () => new Date((clockMs += 1000)) }));
      await store.open();
    });

    afterEach(async () => {
      await cleanup();
      await rm(work, { recursive: true, force: true });
    });

    it('starts empty', async () => {
      expect(await store.listTitles()).toEqual([]);
      expect(await store.current('t1')).toBeUndefined();
      expect(await store.getTitle('t1')).toBeUndefined();
      expect(await store.stat('t1', 'v1', 'manifest.mpd')).toBeUndefined();
      expect(await store.usage()).toEqual({ titles: 0, versions: 0, bytes: 0 });
      await store.check();
    });

    it('publishes a package as the current version, with every file readable and hashed', async () => {
      const { dir, version } = await makePackage({ titleId: 't1' });
      const result = await store.publish(dir);
      expect(result).toMatchObject({ titleId: 't1', version, alreadyStored: false, pruned: [] });
      expect(await store.current('t1')).toEqual({ version, publishedAt: result.publishedAt });
      const record = await store.getTitle('t1');
      expect(record?.versions.map((v) => v.version)).toEqual([version]);
      const title = await store.readTitleFile('t1', version);
      expect(title?.id).toBe('t1');
      for (const path of [
        'manifest.mpd',
        'master.m3u8',
        'title.json',
        'ladder.json',
        'video/v0/00002.m4s',
        'audio/a0/init.mp4',
      ]) {
        const bytes = await readFile(join(dir, path));
        const stat = await store.stat('t1', version, path);
        expect(stat, path).toMatchObject({ sizeBytes: bytes.length, etag: etagFromSha256(sha256Hex(bytes)) });
        expect(stat!.etag).toMatch(/^"[0-9a-f]{32}"$/);
        expect(await collect(await store.openRead('t1', version, path))).toEqual(bytes);
      }
      const segment = await readFile(join(dir, 'video/v0/00001.m4s'));
      expect(
        await collect(await store.openRead('t1', version, 'video/v0/00001.m4s', { start: 10, end: 19 })),
      ).toEqual(segment.subarray(10, 20));
      expect((await store.readSmall('t1', version, 'master.m3u8')).toString()).toContain('#EXTM3U');
      const usage = await store.usage();
      expect(usage.titles).toBe(1);
      expect(usage.versions).toBe(1);
      expect(usage.bytes).toBe(record!.versions[0]!.totalSizeBytes);
      expect(usage.bytes).toBeGreaterThan(10_000);
    });

    it('serves only the files of the package: no metadata, no traversal, no directories', async () => {
      const { dir, version } = await makePackage({ titleId: 't1' });
      await store.publish(dir);
      for (const path of [
        '.origin-files.json',
        'video',
        'video/v0',
        '../current.json',
        'video/../title.json',
        '',
        '/title.json',
        'nope.m4s',
      ]) {
        expect(await store.stat('t1', version, path), path).toBeUndefined();
      }
      await expect(store.openRead('t1', version, 'nope.m4s')).rejects.toMatchObject({
        code: OriginErrorCode.NotFound,
      });
      await expect(store.openRead('t1', 'v-unknown', 'manifest.mpd')).rejects.toMatchObject({
        code: OriginErrorCode.VersionNotFound,
      });
      expect(await store.stat('t2', version, 'manifest.mpd')).toBeUndefined();
    });

    it('does not copy a version twice: publishing it again only switches the pointer', async () => {
      const { dir, version } = await makePackage({ titleId: 't1' });
      await store.publish(dir);
      const again = await store.publish(dir);
      expect(again).toMatchObject({ version, alreadyStored: true });
      expect((await store.getTitle('t1'))?.versions).toHaveLength(1);
    });

    it('switches to a new version and keeps the old one readable under its version', async () => {
      const a = await makePackage({ titleId: 't1', seed: 'a', createdAt: new Date('2025-01-01T00:00:00Z') });
      const b = await makePackage({ titleId: 't1', seed: 'b', createdAt: new Date('2025-01-02T00:00:00Z') });
      await store.publish(a.dir);
      await store.publish(b.dir);
      expect((await store.current('t1'))?.version).toBe(b.version);
      expect((await store.getTitle('t1'))?.versions.map((v) => v.version)).toEqual([b.version, a.version]);
      const oldBytes = await readFile(join(a.dir, 'video/v0/00001.m4s'));
      expect(await collect(await store.openRead('t1', a.version, 'video/v0/00001.m4s'))).toEqual(oldBytes);
      const sa = await store.stat('t1', a.version, 'video/v0/00001.m4s');
      const sb = await store.stat('t1', b.version, 'video/v0/00001.m4s');
      expect(sa!.etag).not.toBe(sb!.etag);
    });

    it('keeps the newest versions up to the retention limit, never deleting the current one', async () => {
      const versions: string[] = [];
      const dirs: string[] = [];
      for (let i = 0; i < 5; i++) {
        const p = await makePackage({
          titleId: 't1',
          seed: `s${i}`,
          createdAt: new Date(Date.UTC(2025, 0, 1 + i)),
        });
        versions.push(p.version);
        dirs.push(p.dir);
        const result = await store.publish(p.dir);
        if (i === 3) expect(result.pruned).toEqual([versions[0]]);
      }
      expect((await store.getTitle('t1'))?.versions.map((v) => v.version)).toEqual([
        versions[4],
        versions[3],
        versions[2],
      ]);
      expect(await store.stat('t1', versions[0]!, 'manifest.mpd')).toBeUndefined();
      expect(await store.stat('t1', versions[1]!, 'manifest.mpd')).toBeUndefined();
      // Republishing a kept older version makes it current; it is not pruned, the oldest other is.
      const result = await store.publish(dirs[2]!);
      expect(result).toMatchObject({ version: versions[2], alreadyStored: true });
      expect((await store.current('t1'))?.version).toBe(versions[2]);
      expect((await store.getTitle('t1'))?.versions.map((v) => v.version).sort()).toEqual(
        [versions[2], versions[3], versions[4]].sort(),
      );
    });

    it('unpublishes: the title and its versions are gone', async () => {
      const { dir, version } = await makePackage({ titleId: 't1' });
      const other = await makePackage({ titleId: 't2' });
      await store.publish(dir);
      await store.publish(other.dir);
      expect(await store.unpublish('t1')).toBe(true);
      expect(await store.current('t1')).toBeUndefined();
      expect(await store.getTitle('t1')).toBeUndefined();
      expect(await store.stat('t1', version, 'manifest.mpd')).toBeUndefined();
      expect((await store.listTitles()).map((t) => t.titleId)).toEqual(['t2']);
      expect(await store.unpublish('t1')).toBe(false);
      expect((await store.usage()).titles).toBe(1);
      // It can be published again afterwards.
      await store.publish(dir);
      expect((await store.current('t1'))?.version).toBe(version);
    });

    it('refuses an incomplete or tampered package and stores nothing', async () => {
      const missing = await makePackage({ titleId: 't1', seed: 'm' });
      await rm(join(missing.dir, 'video/v0/00002.m4s'));
      await expect(store.publish(missing.dir)).rejects.toMatchObject({
        code: OriginErrorCode.PackageInvalid,
      });

      const tampered = await makePackage({ titleId: 't1', seed: 't' });
      const path = join(tampered.dir, 'video/v0/00001.m4s');
      const bytes = await readFile(path);
      bytes[0] = bytes[0]! ^ 0xff;
      await writeFile(path, bytes);
      await expect(store.publish(tampered.dir)).rejects.toMatchObject({
        code: OriginErrorCode.PackageInvalid,
      });

      const badTitle = await makePackage({ titleId: 't1', seed: 'x' });
      await writeFile(join(badTitle.dir, 'title.json'), '{"schemaVersion": 1}');
      await expect(store.publish(badTitle.dir)).rejects.toMatchObject({
        code: OriginErrorCode.PackageInvalid,
      });
      await expect(store.publish(join(work, 'no-such-dir'))).rejects.toMatchObject({
        code: OriginErrorCode.PackageInvalid,
      });

      expect(await store.listTitles()).toEqual([]);
      expect(await store.stat('t1', tampered.version, 'manifest.mpd')).toBeUndefined();
    });

    it('ends on one whole version when two versions of a title are published at once', async () => {
      const a = await makePackage({ titleId: 't1', seed: 'a', segmentBytes: 64_000 });
      const b = await makePackage({ titleId: 't1', seed: 'b', segmentBytes: 64_000 });
      const [ra, rb] = await Promise.all([store.publish(a.dir), store.publish(b.dir)]);
      expect(ra.version).toBe(a.version);
      expect(rb.version).toBe(b.version);
      const current = await store.current('t1');
      expect([a.version, b.version]).toContain(current?.version);
      const dir = current?.version === a.version ? a.dir : b.dir;
      const title = (await store.readTitleFile('t1', current!.version))!;
      for (const track of title.tracks) {
        for (const seg of [track.init, ...track.segments]) {
          const stat = await store.stat('t1', current!.version, seg.path);
          expect(stat?.etag).toBe(etagFromSha256(seg.sha256));
          expect(await collect(await store.openRead('t1', current!.version, seg.path))).toEqual(
            await readFile(join(dir, seg.path)),
          );
        }
      }
      expect((await store.getTitle('t1'))?.versions).toHaveLength(2);
    });

    it('honours an abort signal while copying, storing nothing', async () => {
      const { dir } = await makePackage({ titleId: 't1', segmentBytes: 100_000 });
      const controller = new AbortController();
      controller.abort();
      await expect(store.publish(dir, { signal: controller.signal })).rejects.toBeDefined();
      expect(await store.current('t1')).toBeUndefined();
      expect(await store.listTitles()).toEqual([]);
    });
  });
}
