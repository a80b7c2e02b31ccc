/**
 * The web player (`/player`): a static page and its ES module (no build step), and the player
 * libraries from node_modules — shaka-player for DASH, hls.js for HLS (both Apache-2.0) — served
 * from memory with strong ETags, so a browser revalidates with a 304 instead of refetching a
 * megabyte of script. The files are read when the plugin is registered: a missing one stops the
 * origin at start, never mid-session.
 */
import { readFile, readdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { extname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { evaluatePreconditions } from '../../common/http/conditional.js';
import { OriginErrorCode, originError } from '../errors.js';
import { etagFromSha256, sha256Hex } from '../store/package.js';

export interface PlayerPluginOptions {
  /** Where the page's files are. Default: `static/` beside this module (copied there by the build). */
  staticDir?: string;
}

/** The URL prefix of the player. */
export const PLAYER_PREFIX = '/player';

/** Player libraries by the name the page asks for, as module specifiers resolved in node_modules. */
export const PLAYER_VENDOR_FILES: Readonly<Record<string, string>> = {
  'shaka-player.compiled.js': 'shaka-player/dist/shaka-player.compiled.js',
  'hls.min.mjs': 'hls.js/dist/hls.min.mjs',
};

/** Media types of the page's own files, by extension; other files in the directory are not served. */
const STATIC_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
};

/**
 * Revalidate on every use (RFC 9111 §5.2.2.4): a new page or library version is picked up at once,
 * and an unchanged one costs a 304.
 */
const CACHE_CONTROL = 'no-cache';

/**
 * The page's own headers: scripts from this origin only (the libraries included), media and
 * requests to any edge (edges are on other origins), no framing.
 */
const CONTENT_SECURITY_POLICY =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
  "media-src 'self' blob: data:; connect-src *; worker-src 'self' blob:; frame-ancestors 'none'";

interface ServedFile {
  body: Buffer;
  type: string;
  etag: string;
}

function served(body: Buffer, type: string): ServedFile {
  return { body, type, etag: etagFromSha256(sha256Hex(body)) };
}

/** Loaded player files by static directory. */
const loadedDirs = new Map<string, Promise<Map<string, ServedFile>>>();

function defaultStaticDir(): string {
  return fileURLToPath(new URL('./static/', import.meta.url));
}

/** The page's files and the libraries, by URL path under PLAYER_PREFIX (`index.html` for the page). */
export async function loadPlayerFiles(staticDir = defaultStaticDir()): Promise<Map<string, ServedFile>> {
  const files = new Map<string, ServedFile>();
  for (const name of (await readdir(staticDir)).sort()) {
    const type = STATIC_TYPES[extname(name)];
    if (type !== undefined) files.set(`/${name}`, served(await readFile(join(staticDir, name)), type));
  }
  if (!files.has('/index.html')) throw new Error(`the web player has no index.html in ${staticDir}`);
  const require = createRequire(import.meta.url);
  for (const [name, specifier] of Object.entries(PLAYER_VENDOR_FILES)) {
    files.set(`/vendor/${name}`, served(await readFile(require.resolve(specifier)), STATIC_TYPES['.js']!));
  }
  return files;
}

/**
 * `GET|HEAD /player` (and `/player/`): the page; `/player/{file}`: its script and style;
 * `/player/vendor/{library}`: shaka-player and hls.js. Anything else under `/player/` is a 404
 * ORIGIN_ERR_NOT_FOUND. The page reads `?title=&format=dash|hls&session=&client_ip=`.
 */
export async function playerPlugin(app: FastifyInstance, opts: PlayerPluginOptions = {}): Promise<void> {
  const dir = opts.staticDir ?? defaultStaticDir();
  // Read once per process (about 1.5 MB): a process that builds many apps (tests) reads it once.
  let loading = loadedDirs.get(dir);
  if (loading === undefined) {
    loading = loadPlayerFiles(dir);
    loadedDirs.set(dir, loading);
    loading.catch(() => loadedDirs.delete(dir));
  }
  const files = await loading;

  const send = (request: FastifyRequest, reply: FastifyReply, path: string): FastifyReply => {
    const file = files.get(path);
    if (file === undefined) {
      throw originError(OriginErrorCode.NotFound, `no player file ${PLAYER_PREFIX}${path.slice(0, 200)}`);
    }
    reply
      .header('etag', file.etag)
      .header('cache-control', CACHE_CONTROL)
      .header('x-content-type-options', 'nosniff');
    if (path === '/index.html') reply.header('content-security-policy', CONTENT_SECURITY_POLICY);
    const precondition = evaluatePreconditions(
      request.method,
      {
        ifNoneMatch: request.headers['if-none-match'],
        ifMatch: request.headers['if-match'],
      },
      { etag: file.etag },
    );
    if (precondition.kind === 'not-modified') return reply.code(304).send();
    if (precondition.kind === 'precondition-failed')
      throw originError(OriginErrorCode.PreconditionFailed, 'If-Match does not match the player file');
    return reply.type(file.type).header('content-length', file.body.length).send(file.body);
  };

  const schema = { hide: true };
  app.get(PLAYER_PREFIX, { schema }, (request, reply) => send(request, reply, '/index.html'));
  app.get(`${PLAYER_PREFIX}/`, { schema }, (request, reply) => send(request, reply, '/index.html'));
  app.get(`${PLAYER_PREFIX}/*`, { schema }, (request, reply) => {
    const rest = (request.params as { '*': string })['*'];
    return send(request, reply, `/${rest}`);
  });
}
