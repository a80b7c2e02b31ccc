/**
 * One error type for the whole product. Every failure a user can see carries a stable string code,
 * prefixed per part (`CDN_ERR_`, `ENC_ERR_`, `EDGE_ERR_`, `BGP_ERR_`, `MANIFEST_ERR_`, ...). Each code
 * is documented in docs/errors.md; a test fails when one is missing there.
 */
export interface CdnErrorOptions {
  /** HTTP status to answer with when the error reaches an HTTP boundary. */
  statusCode?: number;
  cause?: unknown;
  /** Structured facts for logs and JSON answers (never secrets). */
  details?: Readonly<Record<string, unknown>>;
}

export class CdnError extends Error {
  readonly code: string;
  readonly statusCode: number;
  readonly details: Readonly<Record<string, unknown>> | undefined;

  constructor(code: string, message: string, options: CdnErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'CdnError';
    this.code = code;
    this.statusCode = options.statusCode ?? COMMON_STATUS[code] ?? 500;
    this.details = options.details;
  }

  /** The JSON body an HTTP API answers with. */
  toJSON(): { error: string; message: string } {
    return { error: this.code, message: this.message };
  }
}

export function isCdnError(value: unknown, code?: string): value is CdnError {
  return value instanceof CdnError && (code === undefined || value.code === code);
}

/** Codes shared by every part. */
export const CommonErrorCode = {
  ConfigInvalid: 'CDN_ERR_CONFIG_INVALID',
  Usage: 'CDN_ERR_USAGE',
  ProcessSpawn: 'CDN_ERR_PROCESS_SPAWN',
  ProcessExit: 'CDN_ERR_PROCESS_EXIT',
  ProcessTimeout: 'CDN_ERR_PROCESS_TIMEOUT',
  Aborted: 'CDN_ERR_ABORTED',
} as const;

/** HTTP status of the common codes, as docs/errors.md lists them. */
const COMMON_STATUS: Readonly<Record<string, number>> = {
  CDN_ERR_USAGE: 400,
  CDN_ERR_PROCESS_TIMEOUT: 504,
  CDN_ERR_ABORTED: 499,
};

/** Wraps anything thrown into a CdnError, keeping CdnErrors as they are. */
export function toCdnError(value: unknown, fallbackCode = 'CDN_ERR_INTERNAL'): CdnError {
  if (value instanceof CdnError) return value;
  const message = value instanceof Error ? value.message : String(value);
  return new CdnError(fallbackCode, message, { cause: value });
}

/** Builds one part's error constructor: each code gets the HTTP status the part's table gives it. */
export function codedErrorFactory<C extends string>(
  statusOf: Readonly<Record<C, number>>,
): (code: C, message: string, options?: Omit<CdnErrorOptions, 'statusCode'>) => CdnError {
  return (code, message, options = {}) =>
    new CdnError(code, message, { ...options, statusCode: statusOf[code] });
}
