/** URI rewriting for delivery: base URL resolution (WHATWG URL) and token query parameters. */
import { ManifestErrorCode, manifestError } from '../errors.js';

/** A URI with a scheme (RFC 3986 §3.1) is absolute; anything else is a relative reference. */
export function isAbsoluteUri(uri: string): boolean {
  return /^[A-Za-z][A-Za-z0-9+.-]*:/.test(uri);
}

/** Checks that `url` is an absolute URL; throws MANIFEST_ERR_INVALID naming `what` otherwise. */
export function requireAbsoluteUrl(url: string, what: string): string {
  if (!isAbsoluteUri(url) || !URL.canParse(url)) {
    throw manifestError(
      ManifestErrorCode.Invalid,
      `${what} must be an absolute URL, got ${JSON.stringify(url)}`,
    );
  }
  return url;
}

/** Resolves a relative reference against `base` (WHATWG URL); absolute URIs are kept as they are. */
export function resolveUri(uri: string, base: string | undefined): string {
  if (base === undefined || isAbsoluteUri(uri)) return uri;
  try {
    return new URL(uri, base).href;
  } catch (cause) {
    throw manifestError(ManifestErrorCode.Invalid, `cannot resolve ${JSON.stringify(uri)} against ${base}`, {
      cause,
    });
  }
}

/**
 * Sets query parameters on a URI (absolute or relative): a parameter of the same name already there
 * is replaced, other parameters stay as written, the fragment stays last. Names and values are
 * percent-encoded (so the result holds no `"` and stays a valid quoted-string).
 */
export function withQueryParams(uri: string, params: Readonly<Record<string, string>> | undefined): string {
  const entries = Object.entries(params ?? {});
  if (entries.length === 0) return uri;
  const hashAt = uri.indexOf('#');
  const fragment = hashAt < 0 ? '' : uri.slice(hashAt);
  const beforeFragment = hashAt < 0 ? uri : uri.slice(0, hashAt);
  const queryAt = beforeFragment.indexOf('?');
  const path = queryAt < 0 ? beforeFragment : beforeFragment.slice(0, queryAt);
  const query = queryAt < 0 ? '' : beforeFragment.slice(queryAt + 1);
  const replaced = new Set(entries.map(([name]) => name));
  const kept = query.split('&').filter((pair) => pair !== '' && !replaced.has(parameterName(pair)));
  const added = entries.map(([name, value]) => `${encodeURIComponent(name)}=${encodeURIComponent(value)}`);
  return `${path}?${[...kept, ...added].join('&')}${fragment}`;
}

/** The decoded name of `name=value` (application/x-www-form-urlencoded rules, never throws). */
function parameterName(pair: string): string {
  for (const [name] of new URLSearchParams(pair)) return name;
  return '';
}
