import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import type { TitleFile } from '../../manifests/index.js';
import { OriginErrorCode, originError } from '../errors.js';
import { etagFromSha256, scanPackage, sha256Hex, versionsToPrune } from './package.js';
import type {
  ContentStore,
  CurrentPointer,
  PublishResult,
  StoredFile,
  StoreUsage,
  TitleRecord,
  VersionInfo,
} from './types.js';

interface MemoryVersion {
  info: VersionInfo;
  storedAtMs: number;
  title: TitleFile;
  files: Map<string, { meta: StoredFile; bytes: Buffer }>;
}

interface MemoryTitle {
  current: CurrentPointer | undefined;
  versions: Map<string, MemoryVersion>;
}

/**
 * A content store in memory: for tests and as the reference the contract suite keeps honest. Same
 * semantics as the filesystem store (versions, atomic switch, retention), no persistence.
 */
export class MemoryContentStore implements ContentStore {
  private readonly titles = new Map<string, MemoryTitle>();
  private readonly now: () => Date;

  constructor(private readonly options: { versionRetention: number; now?: () => Date }) {
    this.now = options.now ?? (() => new Date());
  }

  open(): Promise<void> {
    return Promise.resolve();
  }

  async publish(packageDir: string, options: { signal?: AbortSignal } = {}): Promise<PublishResult> {
    const pkg = await scanPackage(packageDir);
    const { id: titleId, version } = pkg.title;
    let alreadyStored = this.titles.get(titleId)?.versions.has(version) ?? false;
    let built: MemoryVersion | undefined;
    if (!alreadyStored) {
      const storedAt = this.now().toISOString();
      const storedAtMs = Date.parse(storedAt);
      const files = new Map<string, { meta: StoredFile; bytes: Buffer }>();
      let total = 0;
      for (const path of pkg.sizes.keys()) {
        options.signal?.throwIfAborted();
        const bytes = await readFile(join(packageDir, path));
        const sha = sha256Hex(bytes);
        const expected = pkg.expectedSha256.get(path);
        if (expected !== undefined && expected !== sha) {
          throw originError(
            OriginErrorCode.PackageInvalid,
            `${path} does not match the SHA-256 in title.json`,
          );
        }
        files.set(path, {
          meta: { sizeBytes: bytes.length, etag: etagFromSha256(sha), lastModifiedMs: storedAtMs },
          bytes,
        });
        total += bytes.length;
      }
      built = {
        info: { version, storedAt, totalSizeBytes: total, fileCount: files.size },
        storedAtMs,
        title: pkg.title,
        files,
      };
    }
    options.signal?.throwIfAborted();
    // From here on everything is synchronous: the switch is atomic for readers.
    const title = this.titles.get(titleId) ?? {
      current: undefined,
      versions: new Map<string, MemoryVersion>(),
    };
    this.titles.set(titleId, title);
    if (built && !title.versions.has(version)) title.versions.set(version, built);
    else alreadyStored = true;
    const pointer: CurrentPointer = { version, publishedAt: this.now().toISOString() };
    title.current = pointer;
    const doomed = versionsToPrune(
      [...title.versions.values()].map((v) => ({ version: v.info.version, storedAtMs: v.storedAtMs })),
      version,
      this.options.versionRetention,
    );
    for (const v of doomed) title.versions.delete(v);
    return { titleId, version, publishedAt: pointer.publishedAt, alreadyStored, pruned: doomed };
  }

  unpublish(titleId: string): Promise<boolean> {
    const existed = this.titles.get(titleId)?.current !== undefined;
    this.titles.delete(titleId);
    return Promise.resolve(existed);
  }

  current(titleId: string): Promise<CurrentPointer | undefined> {
    return Promise.resolve(this.titles.get(titleId)?.current);
  }

  getTitle(titleId: string): Promise<TitleRecord | undefined> {
    const title = this.titles.get(titleId);
    if (!title?.current) return Promise.resolve(undefined);
    const versions = [...title.versions.values()]
      .sort((a, b) => b.storedAtMs - a.storedAtMs || (a.info.version < b.info.version ? 1 : -1))
      .map((v) => ({ ...v.info }));
    return Promise.resolve({ titleId, current: { ...title.current }, versions });
  }

  async listTitles(): Promise<TitleRecord[]> {
    const out: TitleRecord[] = [];
    for (const id of [...this.titles.keys()].sort()) {
      const record = await this.getTitle(id);
      if (record) out.push(record);
    }
    return out;
  }

  readTitleFile(titleId: string, version: string): Promise<TitleFile | undefined> {
    return Promise.resolve(this.titles.get(titleId)?.versions.get(version)?.title);
  }

  stat(titleId: string, version: string, path: string): Promise<StoredFile | undefined> {
    return Promise.resolve(this.titles.get(titleId)?.versions.get(version)?.files.get(path)?.meta);
  }

  async openRead(
    titleId: string,
    version: string,
    path: string,
    range?: { start: number; end: number },
  ): Promise<Readable> {
    await Promise.resolve();
    const bytes = this.bytesOf(titleId, version, path);
    const slice = range ? bytes.subarray(range.start, range.end + 1) : bytes;
    return Readable.from([slice], { objectMode: false });
  }

  async readSmall(titleId: string, version: string, path: string): Promise<Buffer> {
    await Promise.resolve();
    return Buffer.from(this.bytesOf(titleId, version, path));
  }

  usage(): Promise<StoreUsage> {
    let titles = 0;
    let versions = 0;
    let bytes = 0;
    for (const t of this.titles.values()) {
      if (!t.current) continue;
      titles++;
      versions += t.versions.size;
      for (const v of t.versions.values()) bytes += v.info.totalSizeBytes;
    }
    return Promise.resolve({ titles, versions, bytes });
  }

  check(): Promise<void> {
    return Promise.resolve();
  }

  private bytesOf(titleId: string, version: string, path: string): Buffer {
    const v = this.titles.get(titleId)?.versions.get(version);
    if (!v) throw originError(OriginErrorCode.VersionNotFound, `no version ${version} of ${titleId}`);
    const file = v.files.get(path);
    if (!file) throw originError(OriginErrorCode.NotFound, `${path} is not in ${titleId} ${version}`);
    return file.bytes;
  }
}
