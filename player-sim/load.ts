/** The thin I/O shell of the player core: reading trace and ladder files. */
import { readdir, readFile, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { titleFileSchema } from '../manifests/index.js';
import { PlayerErrorCode, playerError } from './errors.js';
import { parseSabreLadder, type Ladder } from './ladder.js';
import { ladderFromTitle } from './manifestLadder.js';
import { parseTrace, type TextTraceOptions, type Trace } from './trace.js';

async function readText(path: string, notFound: PlayerErrorCode, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') {
      throw playerError(notFound, `${what} ${path}: no such file`, { cause: err });
    }
    throw playerError(notFound, `${what} ${path}: cannot read (${(err as Error).message})`, { cause: err });
  }
}

/** One trace file (Sabre JSON or `seconds Mbps` text), named by its file name. */
export async function loadTrace(path: string, options: TextTraceOptions = {}): Promise<Trace> {
  return parseTrace(await readText(path, PlayerErrorCode.TraceNotFound, 'trace'), basename(path), options);
}

/** Files in a trace directory that are not traces: hidden files, licences, read-me files. */
function isTraceFileName(name: string): boolean {
  return !name.startsWith('.') && !/^(license|licence|readme|copying)/i.test(name);
}

/**
 * Traces from a file or from every trace file of a directory (sorted by name, so assignments are
 * reproducible). PLAYER_ERR_TRACE_NOT_FOUND when the path does not exist or holds no trace.
 */
export async function loadTraces(path: string, options: TextTraceOptions = {}): Promise<Trace[]> {
  let isDirectory: boolean;
  try {
    isDirectory = (await stat(path)).isDirectory();
  } catch (err) {
    throw playerError(PlayerErrorCode.TraceNotFound, `traces ${path}: no such file or directory`, {
      cause: err,
    });
  }
  if (!isDirectory) return [await loadTrace(path, options)];
  const entries = await readdir(path, { withFileTypes: true });
  const names = entries
    .filter((e) => e.isFile() && isTraceFileName(e.name))
    .map((e) => e.name)
    .sort();
  if (names.length === 0)
    throw playerError(PlayerErrorCode.TraceNotFound, `traces ${path}: no trace file in it`);
  const traces: Trace[] = [];
  for (const name of names) traces.push(await loadTrace(join(path, name), options));
  return traces;
}

/** A Sabre ladder file (`segment_duration_ms`, `bitrates_kbps`, `segment_sizes_bits`). */
export async function loadSabreLadder(path: string): Promise<Ladder> {
  return parseSabreLadder(await readText(path, PlayerErrorCode.LadderNotFound, 'ladder'), basename(path));
}

function parseJson(text: string, what: string): unknown {
  try {
    return JSON.parse(text);
  } catch (err) {
    throw playerError(PlayerErrorCode.LadderParse, `${what}: not JSON: ${(err as Error).message}`);
  }
}

function titleLadder(data: unknown, what: string, options: { baseUrl?: string }): Ladder {
  const parsed = titleFileSchema.safeParse(data);
  if (!parsed.success) {
    const first = parsed.error.issues[0];
    throw playerError(
      PlayerErrorCode.LadderParse,
      `${what}: not a title.json (${first ? `${first.path.join('.')}: ${first.message}` : 'schema'})`,
    );
  }
  return ladderFromTitle(parsed.data, options);
}

/** A title package's title.json as a ladder (exact sizes, VMAF when measured). */
export async function loadTitleLadder(path: string, options: { baseUrl?: string } = {}): Promise<Ladder> {
  const what = `title ${path}`;
  return titleLadder(
    parseJson(await readText(path, PlayerErrorCode.LadderNotFound, 'title'), what),
    what,
    options,
  );
}

/** A ladder file of either kind: a title.json (an object with `tracks`) or a Sabre ladder file. */
export async function loadLadder(path: string): Promise<Ladder> {
  const what = `ladder ${path}`;
  const data = parseJson(await readText(path, PlayerErrorCode.LadderNotFound, 'ladder'), what);
  if (data !== null && typeof data === 'object' && 'tracks' in data) return titleLadder(data, what, {});
  return parseSabreLadder(data, basename(path));
}
