import type { FastifyError, FastifyInstance } from 'fastify';
import { CdnError, isCdnError } from '../../common/errors.js';
import { OriginErrorCode, originError } from '../errors.js';
import { ERROR_CACHE_CONTROL } from '../http/cacheControl.js';
import { unsatisfiedContentRange } from '../../common/http/range.js';

/** Fastify's and @fastify/multipart's own error codes, mapped to ours. */
const FASTIFY_CODES: Readonly<Record<string, OriginErrorCode>> = {
  FST_ERR_VALIDATION: OriginErrorCode.BadRequest,
  FST_ERR_CTP_BODY_TOO_LARGE: OriginErrorCode.BodyTooLarge,
  FST_ERR_CTP_INVALID_JSON_BODY: OriginErrorCode.MalformedJson,
  FST_ERR_CTP_EMPTY_JSON_BODY: OriginErrorCode.MalformedJson,
  FST_ERR_CTP_INVALID_MEDIA_TYPE: OriginErrorCode.UnsupportedMediaType,
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: OriginErrorCode.BadRequest,
  FST_ERR_BAD_URL: OriginErrorCode.BadPath,
  FST_ERR_NOT_FOUND: OriginErrorCode.NotFound,
  FST_REQ_FILE_TOO_LARGE: OriginErrorCode.BodyTooLarge,
  FST_PARTS_LIMIT: OriginErrorCode.BodyTooLarge,
  FST_FILES_LIMIT: OriginErrorCode.BodyTooLarge,
  FST_FIELDS_LIMIT: OriginErrorCode.BodyTooLarge,
  FST_PROTO_VIOLATION: OriginErrorCode.UploadInvalid,
  FST_INVALID_MULTIPART_CONTENT_TYPE: OriginErrorCode.UnsupportedMediaType,
  FST_INVALID_JSON_FIELD_ERROR: OriginErrorCode.UploadInvalid,
  FST_MP_PREMATURE_CLOSE: OriginErrorCode.UploadInvalid,
};

/**
 * Any error reaching the HTTP boundary as a CdnError: ours as they are, fastify's by its code, other
 * client errors (4xx) as ORIGIN_ERR_BAD_REQUEST, everything else as CDN_ERR_INTERNAL (500) without
 * its internal message.
 */
export function toHttpError(err: unknown): CdnError {
  if (isCdnError(err)) return err;
  const fe = err as Partial<FastifyError> & { validation?: unknown };
  const mapped = typeof fe.code === 'string' ? FASTIFY_CODES[fe.code] : undefined;
  if (mapped !== undefined) return originError(mapped, fe.message ?? mapped, { cause: err });
  if (fe.validation !== undefined)
    return originError(OriginErrorCode.BadRequest, fe.message ?? 'bad request', { cause: err });
  if (err instanceof SyntaxError && fe.statusCode === 400) {
    return originError(OriginErrorCode.MalformedJson, `malformed JSON: ${err.message}`, { cause: err });
  }
  if (typeof fe.statusCode === 'number' && fe.statusCode >= 400 && fe.statusCode < 500) {
    return originError(
      fe.statusCode === 413 ? OriginErrorCode.BodyTooLarge : OriginErrorCode.BadRequest,
      fe.message ?? 'bad request',
      {
        cause: err,
      },
    );
  }
  return new CdnError('CDN_ERR_INTERNAL', 'internal error', { statusCode: 500, cause: err });
}

/**
 * One error handler for the whole app: every error answers `{error: CODE, message}` with the code's
 * status, is never cached, and a server error is logged with its cause.
 */
export function installErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((err, request, reply) => {
    const error = toHttpError(err);
    if (error.statusCode >= 500) request.log.error({ err, code: error.code }, 'request failed');
    reply.header('cache-control', ERROR_CACHE_CONTROL);
    if (error.code === OriginErrorCode.Unauthorized)
      reply.header('www-authenticate', 'Bearer realm="cdn-origin"');
    if (error.code === OriginErrorCode.RangeNotSatisfiable && typeof error.details?.sizeBytes === 'number') {
      reply.header('content-range', unsatisfiedContentRange(error.details.sizeBytes));
    }
    return reply.code(error.statusCode).type('application/json; charset=utf-8').send(error.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    return reply
      .code(404)
      .header('cache-control', ERROR_CACHE_CONTROL)
      .send(
        originError(
          OriginErrorCode.NotFound,
          `no route ${request.method} ${request.url.split('?')[0]}`,
        ).toJSON(),
      );
  });
}
