import { codedErrorFactory, type CdnError } from '../common/errors.js';

/** Error codes of packaging and the manifest library. Each is documented in docs/errors.md. */
export const ManifestErrorCode = {
  /** The bytes are not a manifest of the expected kind (syntax). */
  Parse: 'MANIFEST_ERR_PARSE',
  /** The manifest parses but breaks a rule of the format (semantics). */
  Invalid: 'MANIFEST_ERR_INVALID',
  LadderInvalid: 'MANIFEST_ERR_LADDER_INVALID',
  RenditionMissing: 'MANIFEST_ERR_RENDITION_MISSING',
  PackagerNotFound: 'MANIFEST_ERR_PACKAGER_NOT_FOUND',
  PackagerExit: 'MANIFEST_ERR_PACKAGER_EXIT',
  PackagerTimeout: 'MANIFEST_ERR_PACKAGER_TIMEOUT',
  PackageIncomplete: 'MANIFEST_ERR_PACKAGE_INCOMPLETE',
  OutputExists: 'MANIFEST_ERR_OUTPUT_EXISTS',
  Cancelled: 'MANIFEST_ERR_CANCELLED',
  InvalidOptions: 'MANIFEST_ERR_INVALID_OPTIONS',
} as const;

export type ManifestErrorCode = (typeof ManifestErrorCode)[keyof typeof ManifestErrorCode];

/** HTTP status of each code, as docs/errors.md lists them. */
const STATUS: Record<ManifestErrorCode, number> = {
  MANIFEST_ERR_PARSE: 422,
  MANIFEST_ERR_INVALID: 422,
  MANIFEST_ERR_LADDER_INVALID: 422,
  MANIFEST_ERR_RENDITION_MISSING: 404,
  MANIFEST_ERR_PACKAGER_NOT_FOUND: 500,
  MANIFEST_ERR_PACKAGER_EXIT: 500,
  MANIFEST_ERR_PACKAGER_TIMEOUT: 504,
  MANIFEST_ERR_PACKAGE_INCOMPLETE: 500,
  MANIFEST_ERR_OUTPUT_EXISTS: 409,
  MANIFEST_ERR_CANCELLED: 499,
  MANIFEST_ERR_INVALID_OPTIONS: 400,
};

export const manifestError = codedErrorFactory<ManifestErrorCode>(STATUS);

/**
 * One problem found in a manifest, with where it is: `line` (1-based) for HLS, `path` (element path
 * such as `MPD/Period[0]/AdaptationSet[1]/Representation[2]`, indexes 0-based) for DASH.
 */
export interface ManifestProblem {
  code: typeof ManifestErrorCode.Parse | typeof ManifestErrorCode.Invalid;
  message: string;
  line?: number;
  path?: string;
}

/** Where a problem is, as text: `line 12` or `MPD/Period[0]`. */
export function formatProblemLocation(problem: ManifestProblem): string {
  if (problem.line !== undefined) return `line ${problem.line}`;
  return problem.path ?? 'document';
}

/**
 * The error thrown for a list of problems: its code is MANIFEST_ERR_PARSE when any problem is a parse
 * problem, else MANIFEST_ERR_INVALID; the message lists the first few with their locations and
 * `details.problems` carries them all.
 */
export function problemsError(what: string, problems: readonly ManifestProblem[]): CdnError {
  const code = problems.some((p) => p.code === ManifestErrorCode.Parse)
    ? ManifestErrorCode.Parse
    : ManifestErrorCode.Invalid;
  const shown = problems
    .slice(0, 5)
    .map((p) => `${formatProblemLocation(p)}: ${p.message}`)
    .join('; ');
  const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
  return manifestError(code, `${what}: ${shown}${more}`, { details: { problems: [...problems] } });
}
