import { codedErrorFactory } from '../common/errors.js';

/** Error codes of the origin. Each is documented in docs/errors.md. */
export const OriginErrorCode = {
  BadRequest: 'ORIGIN_ERR_BAD_REQUEST',
  MalformedJson: 'ORIGIN_ERR_MALFORMED_JSON',
  BodyTooLarge: 'ORIGIN_ERR_BODY_TOO_LARGE',
  UnsupportedMediaType: 'ORIGIN_ERR_UNSUPPORTED_MEDIA_TYPE',
  NotFound: 'ORIGIN_ERR_NOT_FOUND',
  BadPath: 'ORIGIN_ERR_BAD_PATH',
  TitleNotFound: 'ORIGIN_ERR_TITLE_NOT_FOUND',
  VersionNotFound: 'ORIGIN_ERR_VERSION_NOT_FOUND',
  JobNotFound: 'ORIGIN_ERR_JOB_NOT_FOUND',
  JobFinished: 'ORIGIN_ERR_JOB_FINISHED',
  JobInterrupted: 'ORIGIN_ERR_JOB_INTERRUPTED',
  JobCancelled: 'ORIGIN_ERR_JOB_CANCELLED',
  QueueFull: 'ORIGIN_ERR_QUEUE_FULL',
  Unauthorized: 'ORIGIN_ERR_UNAUTHORIZED',
  Forbidden: 'ORIGIN_ERR_FORBIDDEN',
  SourceNotFound: 'ORIGIN_ERR_SOURCE_NOT_FOUND',
  SourceOutsideIngest: 'ORIGIN_ERR_SOURCE_OUTSIDE_INGEST',
  UploadInvalid: 'ORIGIN_ERR_UPLOAD_INVALID',
  RangeNotSatisfiable: 'ORIGIN_ERR_RANGE_NOT_SATISFIABLE',
  PreconditionFailed: 'ORIGIN_ERR_PRECONDITION_FAILED',
  PackageInvalid: 'ORIGIN_ERR_PACKAGE_INVALID',
  NotReady: 'ORIGIN_ERR_NOT_READY',
} as const;

export type OriginErrorCode = (typeof OriginErrorCode)[keyof typeof OriginErrorCode];

/** HTTP status of each code, as docs/errors.md lists them. */
export const ORIGIN_STATUS: Readonly<Record<OriginErrorCode, number>> = {
  ORIGIN_ERR_BAD_REQUEST: 400,
  ORIGIN_ERR_MALFORMED_JSON: 400,
  ORIGIN_ERR_BODY_TOO_LARGE: 413,
  ORIGIN_ERR_UNSUPPORTED_MEDIA_TYPE: 415,
  ORIGIN_ERR_NOT_FOUND: 404,
  ORIGIN_ERR_BAD_PATH: 400,
  ORIGIN_ERR_TITLE_NOT_FOUND: 404,
  ORIGIN_ERR_VERSION_NOT_FOUND: 404,
  ORIGIN_ERR_JOB_NOT_FOUND: 404,
  ORIGIN_ERR_JOB_FINISHED: 409,
  ORIGIN_ERR_JOB_INTERRUPTED: 500,
  ORIGIN_ERR_JOB_CANCELLED: 499,
  ORIGIN_ERR_QUEUE_FULL: 503,
  ORIGIN_ERR_UNAUTHORIZED: 401,
  ORIGIN_ERR_FORBIDDEN: 403,
  ORIGIN_ERR_SOURCE_NOT_FOUND: 404,
  ORIGIN_ERR_SOURCE_OUTSIDE_INGEST: 403,
  ORIGIN_ERR_UPLOAD_INVALID: 400,
  ORIGIN_ERR_RANGE_NOT_SATISFIABLE: 416,
  ORIGIN_ERR_PRECONDITION_FAILED: 412,
  ORIGIN_ERR_PACKAGE_INVALID: 422,
  ORIGIN_ERR_NOT_READY: 503,
};

/** An origin error with the HTTP status its code maps to. */
export const originError = codedErrorFactory<OriginErrorCode>(ORIGIN_STATUS);
