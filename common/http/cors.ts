/**
 * Cross-origin access for players (Fetch standard, CORS protocol): the web player is served by the
 * origin and fetches segments from edges on other origins, so both answer with the headers a
 * browser needs to hand the body and the cache diagnostics to the player's script.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';

/** Headers players and edges send across origins: ranges, conditionals, CMCD (CTA-5004 §3.2). */
export const CORS_ALLOWED_HEADERS: readonly string[] = [
  'Range',
  'If-None-Match',
  'If-Modified-Since',
  'If-Match',
  'If-Unmodified-Since',
  'If-Range',
  'Authorization',
  'Content-Type',
  'CMCD-Request',
  'CMCD-Object',
  'CMCD-Status',
  'CMCD-Session',
];

/** Response headers players may read: validators, ranges, lengths, cache diagnostics (RFC 9211). */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  'ETag',
  'Last-Modified',
  'Content-Range',
  'Content-Length',
  'Accept-Ranges',
  'Age',
  'Cache-Status',
  'Date',
];

/** How long browsers may cache a preflight, in s (one day; Chromium caps it at 2 h anyway). */
export const CORS_MAX_AGE_S = 86_400;

const EXPOSED = CORS_EXPOSED_HEADERS.join(', ');
const PREFLIGHT_HEADERS = {
  'access-control-allow-origin': '*',
  'access-control-allow-methods': 'GET, HEAD',
  'access-control-allow-headers': CORS_ALLOWED_HEADERS.join(', '),
  'access-control-max-age': String(CORS_MAX_AGE_S),
  'cache-control': 'no-store',
  'content-length': '0',
} as const;

/**
 * For a node:http server of public, token-protected GET/HEAD objects (the edge): a cross-origin
 * request (it has `Origin`) gets `Access-Control-Allow-Origin: *` and the exposed headers; a
 * preflight (OPTIONS with `Access-Control-Request-Method`) is answered here with 204 — then true,
 * and the caller stops. Requests without `Origin` (players outside a browser, peers) cost one
 * header lookup.
 */
export function answerCors(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.headers.origin === undefined) return false;
  if (req.method === 'OPTIONS' && req.headers['access-control-request-method'] !== undefined) {
    res.writeHead(204, PREFLIGHT_HEADERS);
    res.end();
    return true;
  }
  res.setHeader('access-control-allow-origin', '*');
  res.setHeader('access-control-expose-headers', EXPOSED);
  return false;
}
