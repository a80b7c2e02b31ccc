import { createHash } from 'node:crypto';
import { lstat, readFile, readdir } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { PACKAGE_FILES, titleFileSchema, type TitleFile } from '../../manifests/index.js';
import { OriginErrorCode, originError } from '../errors.js';
import { unsafeSegmentReason } from '../http/paths.js';

/** A title package about to be published: its index and every file in it. */
export interface ScannedPackage {
  title: TitleFile;
  /** `/`-separated relative path → size in bytes, for every regular file. */
  sizes: Map<string, number>;
  /** The SHA-256 title.json states for a path (segments and init segments), to verify copies against. */
  expectedSha256: Map<string, string>;
}

/** Every path title.json refers to. */
export function referencedPaths(title: TitleFile): string[] {
  const paths = [title.manifests.dash, title.manifests.hls, title.ladder];
  for (const track of title.tracks)
    paths.push(track.playlist, track.init.path, ...track.segments.map((s) => s.path));
  return paths;
}

/** A strong entity tag from a SHA-256 hex digest: 128 bits are plenty to tell versions of a file apart. */
export function etagFromSha256(sha256Hex: string): string {
  return `"${sha256Hex.slice(0, 32)}"`;
}

export function sha256Hex(data: Buffer | string): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * Reads and checks a package directory: title.json passes its schema, every path is a safe relative
 * path to a regular file (no symlinks, no hidden names), and every file title.json names is there
 * with the size it states. Fails with ORIGIN_ERR_PACKAGE_INVALID.
 */
export async function scanPackage(packageDir: string): Promise<ScannedPackage> {
  let text: string;
  try {
    text = await readFile(join(packageDir, PACKAGE_FILES.title), 'utf8');
  } catch (err) {
    throw originError(
      OriginErrorCode.PackageInvalid,
      `${packageDir} has no readable ${PACKAGE_FILES.title}`,
      {
        cause: err,
      },
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw originError(OriginErrorCode.PackageInvalid, `${PACKAGE_FILES.title} in ${packageDir} is not JSON`);
  }
  const parsed = titleFileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues
      .slice(0, 3)
      .map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`);
    throw originError(
      OriginErrorCode.PackageInvalid,
      `${PACKAGE_FILES.title} does not match its schema: ${issues.join('; ')}`,
    );
  }
  const title = parsed.data;
  const sizes = new Map<string, number>();
  const walk = async (dir: string): Promise<void> => {
    for (const entry of await readdir(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      const rel = relative(packageDir, path).split(sep).join('/');
      const bad = rel
        .split('/')
        .map(unsafeSegmentReason)
        .find((r) => r !== undefined);
      if (bad !== undefined)
        throw originError(OriginErrorCode.PackageInvalid, `package path ${JSON.stringify(rel)}: ${bad}`);
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) sizes.set(rel, (await lstat(path)).size);
      else throw originError(OriginErrorCode.PackageInvalid, `package path ${rel} is not a regular file`);
    }
  };
  await walk(packageDir);
  if (sizes.has('v') || [...sizes.keys()].some((p) => p.startsWith('v/'))) {
    throw originError(
      OriginErrorCode.PackageInvalid,
      'a package may not have a top-level v/ (reserved for versioned URLs)',
    );
  }
  const expectedSha256 = new Map<string, string>();
  const expectedSize = new Map<string, number>();
  for (const track of title.tracks) {
    for (const ref of [track.init, ...track.segments]) {
      expectedSha256.set(ref.path, ref.sha256);
      expectedSize.set(ref.path, ref.sizeBytes);
    }
  }
  const missing = referencedPaths(title).filter((p) => !sizes.has(p));
  if (missing.length > 0) {
    throw originError(
      OriginErrorCode.PackageInvalid,
      `the package lacks ${missing.length} file(s) title.json names: ${missing.slice(0, 5).join(', ')}`,
    );
  }
  for (const [path, size] of expectedSize) {
    if (sizes.get(path) !== size) {
      throw originError(
        OriginErrorCode.PackageInvalid,
        `${path} is ${sizes.get(path)} bytes, title.json says ${size}`,
      );
    }
  }
  return { title, sizes, expectedSha256 };
}

/**
 * Versions to delete so that at most `keep` remain: the current one (always kept, counted in `keep`)
 * and the newest others by storedAt (ties: the larger name, which is the later timestamp). Pure.
 */
export function versionsToPrune(
  versions: readonly { version: string; storedAtMs: number }[],
  current: string | undefined,
  keep: number,
): string[] {
  const others = versions
    .filter((v) => v.version !== current)
    .sort(
      (a, b) => b.storedAtMs - a.storedAtMs || (a.version < b.version ? 1 : a.version > b.version ? -1 : 0),
    );
  const room = Math.max(0, Math.max(1, keep) - (current !== undefined ? 1 : 0));
  return others.slice(room).map((v) => v.version);
}
