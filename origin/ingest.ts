import { randomUUID } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdir, realpath, rm, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { OriginErrorCode, originError } from './errors.js';
import { isInside } from './http/paths.js';

/**
 * Resolves a source path named by a client to a regular file inside the ingest directory, following
 * symlinks (a link inside that points outside is refused). Relative paths are relative to the ingest
 * directory. A path outside answers 403 ORIGIN_ERR_SOURCE_OUTSIDE_INGEST before the file system is
 * asked whether it exists (nothing about the rest of the host leaks); a missing file or a directory
 * answers 404 ORIGIN_ERR_SOURCE_NOT_FOUND.
 */
export async function resolveIngestSource(ingestDir: string, sourcePath: string): Promise<string> {
  if (sourcePath.includes('\0'))
    throw originError(OriginErrorCode.BadPath, 'the source path contains a NUL byte');
  const configured = resolve(ingestDir);
  const root = await realpath(configured);
  const lexical = resolve(root, sourcePath);
  const lexicalConfigured = resolve(configured, sourcePath);
  if (!isInside(root, lexical) && !isInside(configured, lexicalConfigured)) {
    throw originError(OriginErrorCode.SourceOutsideIngest, `the source must be inside the ingest directory`);
  }
  let real: string;
  try {
    real = await realpath(isInside(root, lexical) ? lexical : lexicalConfigured);
  } catch (err) {
    throw originError(OriginErrorCode.SourceNotFound, `no source ${sourcePath} in the ingest directory`, {
      cause: err,
    });
  }
  if (!isInside(root, real)) {
    throw originError(
      OriginErrorCode.SourceOutsideIngest,
      `the source resolves (through a link) outside the ingest directory`,
    );
  }
  const info = await stat(real);
  if (!info.isFile())
    throw originError(OriginErrorCode.SourceNotFound, `${sourcePath} is not a regular file`);
  return real;
}

/** A file name safe to keep as the tail of an upload's name. */
export function safeUploadName(name: string | undefined): string {
  const cleaned = (name ?? '')
    .replace(/^.*[\\/]/, '')
    .replace(/[^A-Za-z0-9._-]+/g, '_')
    .replace(/^[._]+/, '')
    .slice(0, 100);
  return cleaned === '' ? 'upload' : cleaned;
}

/**
 * Streams an uploaded file into `<ingestDir>/uploads/` under a fresh name. `truncated()` tells whether
 * the multipart parser stopped at its size limit; then, or on any error, the partial file is removed
 * and ORIGIN_ERR_BODY_TOO_LARGE (or the error) is thrown.
 */
export async function saveUpload(
  ingestDir: string,
  file: Readable,
  filename: string | undefined,
  truncated: () => boolean,
  limitBytes: number,
): Promise<string> {
  const dir = join(ingestDir, 'uploads');
  await mkdir(dir, { recursive: true });
  const path = join(dir, `${randomUUID()}-${safeUploadName(filename)}`);
  try {
    await pipeline(file, createWriteStream(path, { flags: 'wx' }));
    if (truncated())
      throw originError(OriginErrorCode.BodyTooLarge, `the upload is larger than ${limitBytes} bytes`);
    return path;
  } catch (err) {
    await rm(path, { force: true });
    throw err;
  }
}
