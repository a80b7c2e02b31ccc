import { randomBytes } from 'node:crypto';
import { open, rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';

/** True when something exists at the path (file, directory or other). */
export async function pathExists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false;
  }
}

/**
 * A hidden sibling path to build a directory or file in before renaming it into place: on the same
 * filesystem as the target, so the final rename is atomic.
 */
export function stagingPathFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.partial-${randomBytes(4).toString('hex')}`);
}

/**
 * Renames a finished staging directory to `target`. An existing target is replaced only when
 * `overwrite` is set (old one moved aside, new one renamed in, old one removed); otherwise
 * `existsError()` is thrown and the staging directory is left for the caller to remove.
 */
export async function moveIntoPlace(
  stagingDir: string,
  target: string,
  options: { overwrite: boolean; existsError: () => Error },
): Promise<void> {
  if (!(await pathExists(target))) {
    await rename(stagingDir, target);
    return;
  }
  if (!options.overwrite) throw options.existsError();
  const old = `${stagingDir}.old`;
  await rename(target, old);
  await rename(stagingDir, target);
  await rm(old, { recursive: true, force: true });
}

/** Writes a file so that readers see the old content or the whole new one: temp file, fsync, rename. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const temp = stagingPathFor(path);
  const handle = await open(temp, 'wx');
  try {
    await handle.writeFile(data);
    await handle.sync();
  } finally {
    await handle.close();
  }
  try {
    await rename(temp, path);
  } catch (err) {
    await rm(temp, { force: true });
    throw err;
  }
}
