import { codedErrorFactory } from '../../common/errors.js';

/** Error codes of the QoE collector. Each is documented in docs/errors.md. */
export const QoeErrorCode = {
  InvalidEvent: 'QOE_ERR_INVALID_EVENT',
  MalformedBatch: 'QOE_ERR_MALFORMED_BATCH',
  BatchTooLarge: 'QOE_ERR_BATCH_TOO_LARGE',
  RateLimited: 'QOE_ERR_RATE_LIMITED',
  Unauthorized: 'QOE_ERR_UNAUTHORIZED',
  Forbidden: 'QOE_ERR_FORBIDDEN',
  SessionNotFound: 'QOE_ERR_SESSION_NOT_FOUND',
  SinkWrite: 'QOE_ERR_SINK_WRITE',
  SinkClosed: 'QOE_ERR_SINK_CLOSED',
} as const;

export type QoeErrorCode = (typeof QoeErrorCode)[keyof typeof QoeErrorCode];

/** HTTP status of each code, as docs/errors.md lists them. */
export const QOE_STATUS: Readonly<Record<QoeErrorCode, number>> = {
  QOE_ERR_INVALID_EVENT: 400,
  QOE_ERR_MALFORMED_BATCH: 400,
  QOE_ERR_BATCH_TOO_LARGE: 413,
  QOE_ERR_RATE_LIMITED: 429,
  QOE_ERR_UNAUTHORIZED: 401,
  QOE_ERR_FORBIDDEN: 403,
  QOE_ERR_SESSION_NOT_FOUND: 404,
  QOE_ERR_SINK_WRITE: 503,
  QOE_ERR_SINK_CLOSED: 503,
};

/** A QoE collector error with the HTTP status its code maps to. */
export const qoeError = codedErrorFactory<QoeErrorCode>(QOE_STATUS);
