import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { OriginErrorCode, originError } from '../errors.js';
import { cacheControlFor, classifyContent, type CachePolicy } from '../http/cacheControl.js';
import { evaluatePreconditions, rangeAllowed, type Validators } from '../../common/http/conditional.js';
import { mimeTypeFor } from '../http/mime.js';
import { parseContentPath } from '../http/paths.js';
import { pinDashManifest, pinHlsMaster } from '../http/pin.js';
import { contentRange, parseRange } from '../../common/http/range.js';
import type { DecayedCounter } from '../popularity.js';
import { etagFromSha256, sha256Hex } from '../store/package.js';
import type { ContentStore } from '../store/types.js';

export interface ContentPluginOptions {
  store: ContentStore;
  popularity: DecayedCounter;
  cachePolicy: CachePolicy;
  nowMs: () => number;
}

/** Pinned manifests kept in memory, per title version (each a few KB). */
const PINNED_CACHE_ENTRIES = 512;

export const CONTENT_PREFIX = '/content/';

/**
 * Files up to this size are sent from memory (the store caches them), larger ones streamed, in
 * bytes: media playlists and init segments are a few KB, segments hundreds of KB and more.
 */
const SMALL_BODY_BYTES = 64 * 1024;

/** A header that must appear once; repeated, its first value (node joins most repeats already). */
function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

interface Resolved {
  titleId: string;
  version: string;
  path: string;
  versioned: boolean;
  sizeBytes: number;
  /** Both known: the origin computes them for every file it serves. */
  validators: Validators & { etag: string; lastModifiedMs: number };
  /** In-memory body (a pinned manifest); otherwise the file is streamed from the store. */
  body?: Buffer;
}

/**
 * `GET|HEAD /content/{titleId}/{path...}` (current version) and
 * `/content/{titleId}/v/{version}/{path...}` (one version): strong ETags, Last-Modified,
 * conditional requests (RFC 9110 §13), single byte ranges (§14), Cache-Control per path kind, files
 * streamed from the store.
 */
export function contentPlugin(app: FastifyInstance, opts: ContentPluginOptions): Promise<void> {
  const { store } = opts;
  const pinned = new Map<string, { body: Buffer; etag: string }>();

  const pinnedManifest = async (
    titleId: string,
    version: string,
    path: string,
  ): Promise<{ body: Buffer; etag: string }> => {
    const key = `${titleId}/${version}/${path}`;
    const hit = pinned.get(key);
    if (hit) return hit;
    const original = (await store.readSmall(titleId, version, path)).toString('utf8');
    const prefix = `v/${version}/`;
    const text = path.endsWith('.mpd') ? pinDashManifest(original, prefix) : pinHlsMaster(original, prefix);
    const body = Buffer.from(text, 'utf8');
    const entry = { body, etag: etagFromSha256(sha256Hex(body)) };
    if (pinned.size >= PINNED_CACHE_ENTRIES) pinned.delete(pinned.keys().next().value!);
    pinned.set(key, entry);
    return entry;
  };

  const resolve = async (request: FastifyRequest): Promise<Resolved> => {
    const url = request.raw.url ?? '';
    const rawPath = url.slice(CONTENT_PREFIX.length).split('?')[0]!;
    const parsed = parseContentPath(rawPath);
    if (parsed.kind === 'bad')
      throw originError(OriginErrorCode.BadPath, `bad content path: ${parsed.reason}`);
    const { titleId, path } = parsed;
    let version: string;
    let lastModifiedMs: number | undefined;
    if (parsed.kind === 'versioned') {
      version = parsed.version;
    } else {
      const pointer = await store.current(titleId);
      if (!pointer) throw originError(OriginErrorCode.TitleNotFound, `title ${titleId} is not published`);
      version = pointer.version;
      // Unversioned answers change when the pointer moves: their Last-Modified is the switch time,
      // which only goes forward (even when an older version is made current again).
      lastModifiedMs = Date.parse(pointer.publishedAt);
    }
    const file = await store.stat(titleId, version, path);
    if (!file) {
      if (parsed.kind === 'versioned' && !(await store.stat(titleId, version, 'title.json'))) {
        throw (await store.current(titleId))
          ? originError(OriginErrorCode.VersionNotFound, `title ${titleId} has no version ${version}`)
          : originError(OriginErrorCode.TitleNotFound, `title ${titleId} is not published`);
      }
      throw originError(OriginErrorCode.NotFound, `${path} is not part of ${titleId}`);
    }
    const versioned = parsed.kind === 'versioned';
    if (!versioned && classifyContent(path) === 'manifest') {
      const pin = await pinnedManifest(titleId, version, path);
      return {
        titleId,
        version,
        path,
        versioned,
        sizeBytes: pin.body.length,
        validators: { etag: pin.etag, lastModifiedMs: lastModifiedMs ?? file.lastModifiedMs },
        body: pin.body,
      };
    }
    return {
      titleId,
      version,
      path,
      versioned,
      sizeBytes: file.sizeBytes,
      validators: { etag: file.etag, lastModifiedMs: lastModifiedMs ?? file.lastModifiedMs },
    };
  };

  const handler = async (request: FastifyRequest, reply: FastifyReply): Promise<unknown> => {
    const target = await resolve(request);
    const headers = request.headers;
    const isGet = request.method === 'GET';
    if (isGet) opts.popularity.add(target.titleId, opts.nowMs());
    reply
      .header('etag', target.validators.etag)
      .header('last-modified', new Date(target.validators.lastModifiedMs).toUTCString())
      .header(
        'cache-control',
        cacheControlFor(
          { versioned: target.versioned, kind: classifyContent(target.path) },
          opts.cachePolicy,
        ),
      )
      .header('accept-ranges', 'bytes');

    const precondition = evaluatePreconditions(
      request.method,
      {
        ifMatch: headers['if-match'],
        ifNoneMatch: headers['if-none-match'],
        ifModifiedSince: headers['if-modified-since'],
        ifUnmodifiedSince: headers['if-unmodified-since'],
      },
      target.validators,
    );
    switch (precondition.kind) {
      case 'not-modified':
        // RFC 9110 §15.4.5: the validators and Cache-Control of a 200, no body.
        return reply.code(304).send();
      case 'precondition-failed':
        throw originError(
          OriginErrorCode.PreconditionFailed,
          'a precondition (If-Match / If-Unmodified-Since) failed',
        );
      case 'proceed':
        break;
    }

    reply.type(mimeTypeFor(target.path));
    // §14.2: GET is the only method range handling is defined for; If-Range (§13.1.5) may veto it.
    const range =
      isGet && rangeAllowed(single(headers['if-range']), target.validators)
        ? parseRange(headers.range, target.sizeBytes)
        : ({ kind: 'full' } as const);
    let slice: { start: number; end: number } | undefined;
    switch (range.kind) {
      case 'unsatisfiable':
        throw originError(
          OriginErrorCode.RangeNotSatisfiable,
          `no byte of ${headers.range} is within ${target.sizeBytes} bytes`,
          {
            details: { sizeBytes: target.sizeBytes },
          },
        );
      case 'partial':
        slice = { start: range.start, end: range.end };
        reply.code(206).header('content-range', contentRange(range.start, range.end, target.sizeBytes));
        break;
      case 'full':
        break;
    }
    const lengthBytes = slice ? slice.end - slice.start + 1 : target.sizeBytes;
    reply.header('content-length', lengthBytes);
    if (!isGet) return reply.send();
    if (target.body)
      return reply.send(slice ? target.body.subarray(slice.start, slice.end + 1) : target.body);
    if (lengthBytes === 0) return reply.send(Buffer.alloc(0));
    if (target.sizeBytes <= SMALL_BODY_BYTES) {
      // Playlists and init segments: answered from the store's memory, no file handle per request.
      const bytes = await store.readSmall(target.titleId, target.version, target.path);
      return reply.send(slice ? bytes.subarray(slice.start, slice.end + 1) : bytes);
    }
    const stream = await store.openRead(target.titleId, target.version, target.path, slice);
    return reply.send(stream);
  };

  app.route({
    method: ['GET', 'HEAD'],
    url: `${CONTENT_PREFIX}*`,
    schema: {
      summary: 'Title content: manifests, playlists, init segments and segments',
      description:
        '`/content/{titleId}/{path}` serves the current version (manifests pinned to it, short caching); `/content/{titleId}/v/{version}/{path}` serves one version, immutable. Supports ETag/Last-Modified conditionals and single byte ranges.',
      tags: ['content'],
    },
    handler,
  });
  return Promise.resolve();
}
