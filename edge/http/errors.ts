import { CdnError, type CdnErrorOptions } from '../../common/errors.js';

/** Error codes of the edge's HTTP shell and fills. Each is documented in docs/errors.md. */
export const EdgeHttpErrorCode = {
  /** The origin did not connect, answer or send body bytes within the configured timeouts. */
  UpstreamTimeout: 'EDGE_ERR_UPSTREAM_TIMEOUT',
  /** The origin could not be reached or dropped the connection (refused, reset, DNS). */
  UpstreamUnavailable: 'EDGE_ERR_UPSTREAM_UNAVAILABLE',
  /** The origin answered a server error (5xx) and nothing stored could stand in. */
  UpstreamStatus: 'EDGE_ERR_UPSTREAM_STATUS',
  /** No such route on the edge (only /content, /admin and the ops endpoints exist). */
  NotFound: 'EDGE_ERR_NOT_FOUND',
  /** A method the route does not serve (content: GET and HEAD; admin: POST). */
  MethodNotAllowed: 'EDGE_ERR_METHOD_NOT_ALLOWED',
  /** An admin call without the right bearer token (or no admin token configured). */
  Unauthorized: 'EDGE_ERR_UNAUTHORIZED',
  /** An admin call with a malformed body. */
  BadRequest: 'EDGE_ERR_BAD_REQUEST',
  /** `/readyz`: draining, or the disk tier unhealthy; `/admin/fill` on a node whose worker 0 does not answer. */
  NotReady: 'EDGE_ERR_NOT_READY',
  /** A Range beyond the end of the object. */
  RangeNotSatisfiable: 'EDGE_ERR_RANGE_NOT_SATISFIABLE',
  /** If-Match or If-Unmodified-Since does not hold for the stored response (RFC 9110 §13.1.1, §13.1.4). */
  PreconditionFailed: 'EDGE_ERR_PRECONDITION_FAILED',
} as const;

export type EdgeHttpErrorCode = (typeof EdgeHttpErrorCode)[keyof typeof EdgeHttpErrorCode];

const STATUS: Record<EdgeHttpErrorCode, number> = {
  EDGE_ERR_UPSTREAM_TIMEOUT: 504,
  EDGE_ERR_UPSTREAM_UNAVAILABLE: 502,
  EDGE_ERR_UPSTREAM_STATUS: 502,
  EDGE_ERR_NOT_FOUND: 404,
  EDGE_ERR_METHOD_NOT_ALLOWED: 405,
  EDGE_ERR_UNAUTHORIZED: 401,
  EDGE_ERR_BAD_REQUEST: 400,
  EDGE_ERR_NOT_READY: 503,
  EDGE_ERR_RANGE_NOT_SATISFIABLE: 416,
  EDGE_ERR_PRECONDITION_FAILED: 412,
};

export function edgeHttpError(
  code: EdgeHttpErrorCode,
  message: string,
  options: Omit<CdnErrorOptions, 'statusCode'> = {},
): CdnError {
  return new CdnError(code, message, { ...options, statusCode: STATUS[code] });
}
