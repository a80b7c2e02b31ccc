import type { Readable } from 'node:stream';
import type { TitleFile } from '../../manifests/index.js';

/** The pointer that makes a version current. */
export interface CurrentPointer {
  version: string;
  /** When this version became current, ISO 8601. */
  publishedAt: string;
}

/** One stored version of a title. */
export interface VersionInfo {
  version: string;
  /** When the version was first stored, ISO 8601 (its files' Last-Modified). */
  storedAt: string;
  totalSizeBytes: number;
  fileCount: number;
}

export interface TitleRecord {
  titleId: string;
  current: CurrentPointer;
  /** Stored versions, newest first. */
  versions: VersionInfo[];
}

/** What the store knows about one servable file of a version: enough for headers, O(1) per request. */
export interface StoredFile {
  sizeBytes: number;
  /** Strong entity tag, quoted: the first 32 hex digits of the file's SHA-256. */
  etag: string;
  /** The version's storedAt, in ms since the epoch. */
  lastModifiedMs: number;
}

export interface PublishResult {
  titleId: string;
  version: string;
  publishedAt: string;
  /** True when this version was already stored (nothing copied, only the pointer switched). */
  alreadyStored: boolean;
  /** Versions deleted by retention. */
  pruned: string[];
}

export interface StoreUsage {
  titles: number;
  versions: number;
  bytes: number;
}

/**
 * Where published titles live. Publishing stores a whole version, then switches the title's current
 * version atomically, so a reader sees the old version or the new one, never a mix or a partial one.
 * Implementations: {@link FsContentStore} (the default), {@link MemoryContentStore} (tests). Every
 * implementation passes `describeContentStoreContract`.
 */
export interface ContentStore {
  /** Prepares the store (directories, leftover staging from a crash). Idempotent. */
  open(): Promise<void>;
  /**
   * Stores the title package in `packageDir` (with its title.json) as a new version and makes it
   * current. The title id and version come from title.json. A version already stored is not copied
   * again. Fails with ORIGIN_ERR_PACKAGE_INVALID when the package is incomplete or its files do not
   * match title.json.
   */
  publish(packageDir: string, options?: { signal?: AbortSignal }): Promise<PublishResult>;
  /** Removes the title (pointer first, then its versions); false when it was not published. */
  unpublish(titleId: string): Promise<boolean>;
  current(titleId: string): Promise<CurrentPointer | undefined>;
  getTitle(titleId: string): Promise<TitleRecord | undefined>;
  listTitles(): Promise<TitleRecord[]>;
  /** title.json of a stored version. */
  readTitleFile(titleId: string, version: string): Promise<TitleFile | undefined>;
  /** A servable file of a stored version; undefined for a missing version or a path not in it. */
  stat(titleId: string, version: string, path: string): Promise<StoredFile | undefined>;
  /**
   * Streams a file (bytes `start`..`end` inclusive when given). The stream must be destroyed by the
   * consumer if it stops early. Rejects with ORIGIN_ERR_VERSION_NOT_FOUND / ORIGIN_ERR_NOT_FOUND.
   */
  openRead(
    titleId: string,
    version: string,
    path: string,
    range?: { start: number; end: number },
  ): Promise<Readable>;
  /** Reads a whole (small) file: manifests. */
  readSmall(titleId: string, version: string, path: string): Promise<Buffer>;
  usage(): Promise<StoreUsage>;
  /** Throws when the store cannot be read or written (readiness). */
  check(): Promise<void>;
}
