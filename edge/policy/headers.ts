/**
 * Pure parsers for the HTTP header fields the cache policy reads: Cache-Control (RFC 9111 §5.2),
 * delta-seconds (RFC 9111 §1.2.2) and HTTP dates (RFC 9110 §5.6.7). Garbage never throws: a value
 * that does not parse is treated the way the RFCs tell a cache to treat an invalid value.
 */

/** Header fields as node:http and undici hand them over (names lower-case, repeated fields as arrays). */
export type HeaderBag = Readonly<Record<string, string | readonly string[] | number | undefined>>;

/**
 * Largest delta-seconds a cache handles, in s: RFC 9111 §1.2.2 says a value too large to represent
 * is to be taken as 2^31 (about 68 years), so every bigger number clamps to it.
 */
export const DELTA_SECONDS_MAX = 2_147_483_648;

/**
 * Longest Cache-Control value parsed, in characters; the rest is ignored. Real values are under
 * 200 characters; the cap keeps a hostile header from costing more than a few microseconds.
 */
const MAX_CACHE_CONTROL_CHARS = 8192;

/**
 * One header field's value as a string: repeated fields joined with `, ` (RFC 9110 §5.3), numbers
 * as text, names looked up case-insensitively. Undefined when absent.
 */
export function headerValue(headers: HeaderBag, name: string): string | undefined {
  const lower = name.toLowerCase();
  let value = headers[lower];
  if (value === undefined) {
    // Names are lower-case in node:http and undici bags; other bags may spell them any way.
    for (const key in headers) {
      if (key !== lower && key.toLowerCase() === lower) {
        value = headers[key];
        break;
      }
    }
  }
  if (value === undefined) return undefined;
  if (typeof value === 'number') return String(value);
  if (typeof value === 'string') return value;
  return value.length === 0 ? undefined : value.join(', ');
}

/**
 * A delta-seconds value (`1*DIGIT`, RFC 9111 §1.2.2), clamped to 2^31; undefined when the text is
 * not one (signs, decimals, spaces inside, empty).
 */
export function parseDeltaSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const trimmed = text.trim();
  if (!/^[0-9]+$/.test(trimmed)) return undefined;
  // Long digit strings are beyond 2^31 whatever they say; skip the float parse of a megabyte of 9s.
  if (trimmed.replace(/^0+/, '').length > 10) return DELTA_SECONDS_MAX;
  return Math.min(Number(trimmed), DELTA_SECONDS_MAX);
}

/** Parsed Cache-Control directives of a request or a response; unknown directives are ignored. */
export interface CacheDirectives {
  /** `max-age`: 0 when the value is invalid (RFC 9111 §4.2.1: invalid freshness means stale). */
  maxAgeS?: number;
  /** `s-maxage` (§5.2.2.10): shared caches use it instead of max-age; invalid means 0. */
  sMaxAgeS?: number;
  noStore: boolean;
  /** `no-cache`, with or without field names: we treat the qualified form as unqualified (§5.2.2.4). */
  noCache: boolean;
  /** `private`, with or without field names: a shared cache stores neither form (§5.2.2.7). */
  private: boolean;
  public: boolean;
  mustRevalidate: boolean;
  proxyRevalidate: boolean;
  /** RFC 8246: the body never changes while fresh; no revalidation even on a reload. */
  immutable: boolean;
  /** RFC 5861 §3; undefined when absent or invalid (an invalid value grants nothing). */
  staleWhileRevalidateS?: number;
  /** RFC 5861 §4; undefined when absent or invalid. */
  staleIfErrorS?: number;
  /** Request `max-stale` (§5.2.1.2): Infinity without a value. */
  maxStaleS?: number;
  /** Request `min-fresh` (§5.2.1.3). */
  minFreshS?: number;
}

/** Splits a Cache-Control value into [name, argument] pairs, honouring quoted strings (RFC 9110 §5.6.4). */
function* directives(value: string): Generator<[string, string | undefined]> {
  const text = value.length > MAX_CACHE_CONTROL_CHARS ? value.slice(0, MAX_CACHE_CONTROL_CHARS) : value;
  let i = 0;
  const n = text.length;
  while (i < n) {
    // Name: up to `=` or `,`.
    let start = i;
    while (i < n && text[i] !== '=' && text[i] !== ',') i++;
    const name = text.slice(start, i).trim().toLowerCase();
    let argument: string | undefined;
    if (i < n && text[i] === '=') {
      i++;
      while (i < n && (text[i] === ' ' || text[i] === '\t')) i++;
      if (text[i] === '"') {
        // quoted-string with quoted-pair escapes; an unterminated one runs to the end.
        i++;
        let out = '';
        while (i < n && text[i] !== '"') {
          if (text[i] === '\\' && i + 1 < n) i++;
          out += text[i];
          i++;
        }
        argument = out;
        i++;
        while (i < n && text[i] !== ',') i++; // junk after the closing quote
      } else {
        start = i;
        while (i < n && text[i] !== ',') i++;
        argument = text.slice(start, i).trim();
      }
    }
    i++; // the comma
    if (name !== '') yield [name, argument];
  }
}

/**
 * Parses a Cache-Control field value (request or response). Names are case-insensitive; when a
 * directive repeats, the first occurrence wins (RFC 9111 §4.2.1); unknown directives are ignored
 * (§5.2.3); `max-age="60"` is accepted although senders must not quote it (§5.2.2.1).
 */
export function parseCacheControl(value: string | undefined): CacheDirectives {
  const out: CacheDirectives = {
    noStore: false,
    noCache: false,
    private: false,
    public: false,
    mustRevalidate: false,
    proxyRevalidate: false,
    immutable: false,
  };
  if (value === undefined) return out;
  const seen = new Set<string>();
  for (const [name, argument] of directives(value)) {
    if (seen.has(name)) continue;
    seen.add(name);
    switch (name) {
      case 'max-age':
        out.maxAgeS = parseDeltaSeconds(argument) ?? 0;
        break;
      case 's-maxage':
        out.sMaxAgeS = parseDeltaSeconds(argument) ?? 0;
        break;
      case 'no-store':
        out.noStore = true;
        break;
      case 'no-cache':
        out.noCache = true;
        break;
      case 'private':
        out.private = true;
        break;
      case 'public':
        out.public = true;
        break;
      case 'must-revalidate':
        out.mustRevalidate = true;
        break;
      case 'proxy-revalidate':
        out.proxyRevalidate = true;
        break;
      case 'immutable':
        out.immutable = true;
        break;
      case 'stale-while-revalidate': {
        const s = parseDeltaSeconds(argument);
        if (s !== undefined) out.staleWhileRevalidateS = s;
        break;
      }
      case 'stale-if-error': {
        const s = parseDeltaSeconds(argument);
        if (s !== undefined) out.staleIfErrorS = s;
        break;
      }
      case 'max-stale': {
        const s = argument === undefined ? Infinity : parseDeltaSeconds(argument);
        if (s !== undefined) out.maxStaleS = s;
        break;
      }
      case 'min-fresh': {
        const s = parseDeltaSeconds(argument);
        if (s !== undefined) out.minFreshS = s;
        break;
      }
      default:
        break;
    }
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const MONTH = '(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)';
const IMF_FIXDATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun), (\\d{2}) ${MONTH} (\\d{4}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`,
);
const RFC850_DATE = new RegExp(
  `^(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday), (\\d{2})-${MONTH}-(\\d{2}) (\\d{2}):(\\d{2}):(\\d{2}) GMT$`,
);
const ASCTIME_DATE = new RegExp(
  `^(?:Mon|Tue|Wed|Thu|Fri|Sat|Sun) ${MONTH} ([ \\d]\\d) (\\d{2}):(\\d{2}):(\\d{2}) (\\d{4})$`,
);

function utcMs(
  year: number,
  month: string,
  day: number,
  h: number,
  m: number,
  s: number,
): number | undefined {
  const monthIndex = MONTHS.indexOf(month);
  // A leap second (60) is allowed by the grammar; count it as :59.
  if (monthIndex < 0 || day < 1 || day > 31 || h > 23 || m > 59 || s > 60) return undefined;
  const ms = Date.UTC(year, monthIndex, day, h, m, Math.min(s, 59));
  // Date.UTC rolls Feb 31 into March: refuse instead.
  return new Date(ms).getUTCDate() === day ? ms : undefined;
}

/**
 * An HTTP-date (RFC 9110 §5.6.7) in ms since the epoch, or undefined when the text is not one of
 * its three formats. IMF-fixdate is what senders generate; rfc850-date and asctime-date are read as
 * the RFC requires of recipients. Two-digit rfc850 years 70–99 are 19xx, 00–69 20xx (a fixed pivot
 * rather than the RFC's "50 years from now", which would need the clock).
 */
export function parseHttpDate(text: string | undefined): number | undefined {
  if (text === undefined || text.length > 64) return undefined;
  const value = text.trim();
  let m = IMF_FIXDATE.exec(value);
  if (m) return utcMs(Number(m[3]), m[2]!, Number(m[1]), Number(m[4]), Number(m[5]), Number(m[6]));
  m = RFC850_DATE.exec(value);
  if (m) {
    const yy = Number(m[3]);
    return utcMs(
      yy < 70 ? 2000 + yy : 1900 + yy,
      m[2]!,
      Number(m[1]),
      Number(m[4]),
      Number(m[5]),
      Number(m[6]),
    );
  }
  m = ASCTIME_DATE.exec(value);
  if (m) return utcMs(Number(m[6]), m[1]!, Number(m[2]!.trim()), Number(m[3]), Number(m[4]), Number(m[5]));
  return undefined;
}

/** ms since the epoch as an IMF-fixdate (RFC 9110 §5.6.7), for Date and Last-Modified fields. */
export function formatHttpDate(ms: number): string {
  return new Date(ms).toUTCString();
}
