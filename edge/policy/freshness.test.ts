import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import {
  DEFAULT_FRESHNESS_POLICY,
  currentAgeS,
  decideCache,
  decideOnUpstreamError,
  freshnessLifetime,
  pickStoredHeaders,
  storable,
  summariseStored,
  updateAfterRevalidation,
  type CacheRequest,
  type StoredHeaders,
  type StoredResponse,
} from './freshness.js';
import { formatHttpDate } from './headers.js';

/** Upstream answered at T0 (request sent 100 ms before); `nowMs` is given per test. */
const T0 = Date.parse('2025-03-01T12:00:00Z');
const date = (offsetS: number): string => formatHttpDate(T0 + offsetS * 1000);
const stored = (headers: StoredHeaders, status = 200): StoredResponse => ({
  status,
  headers: { date: date(0), ...headers },
  requestTimeMs: T0 - 100,
  responseTimeMs: T0,
});
const GET: CacheRequest = { method: 'GET', headers: {} };
const at = (s: number): number => T0 + s * 1000;
const honouring = { ...DEFAULT_FRESHNESS_POLICY, honourRequestCacheControl: true };

describe('currentAgeS (RFC 9111 §4.2.3)', () => {
  it('is resident time plus the response delay when Date is current and there is no Age', () => {
    expect(currentAgeS(stored({}), at(10))).toBeCloseTo(10.1, 6);
  });

  it('adds the Age an upstream cache reported', () => {
    expect(currentAgeS(stored({ age: '30' }), at(10))).toBeCloseTo(40.1, 6);
  });

  it('uses the apparent age when Date is older than the response (clock skew or a hidden cache)', () => {
    expect(currentAgeS(stored({ date: date(-50) }), at(10))).toBeCloseTo(60, 6);
  });

  it('never goes negative: a Date from the future, a clock stepped back, a negative Age', () => {
    expect(currentAgeS(stored({ date: date(3600) }), at(0))).toBeCloseTo(0.1, 6);
    expect(currentAgeS(stored({}), at(-100))).toBeCloseTo(0.1, 6);
    expect(currentAgeS(stored({ age: '-30' }), at(0))).toBeCloseTo(0.1, 6);
  });

  it('ignores an invalid Age (a list, garbage) and clamps a huge one', () => {
    expect(currentAgeS(stored({ age: '5, 10' }), at(0))).toBeCloseTo(0.1, 6);
    expect(currentAgeS(stored({ age: 'abc' }), at(0))).toBeCloseTo(0.1, 6);
    expect(currentAgeS(stored({ age: '9'.repeat(40) }), at(0))).toBeGreaterThanOrEqual(2 ** 31);
  });

  it('takes the response time for a missing or unparsable Date', () => {
    expect(currentAgeS({ ...stored({}), headers: {} }, at(5))).toBeCloseTo(5.1, 6);
    expect(currentAgeS(stored({ date: 'yesterday' }), at(5))).toBeCloseTo(5.1, 6);
  });
});

describe('freshnessLifetime (RFC 9111 §4.2.1)', () => {
  const life = (headers: StoredHeaders, status = 200) => freshnessLifetime(stored(headers, status));

  it('prefers s-maxage, then max-age, then Expires − Date', () => {
    expect(life({ 'cache-control': 'max-age=60, s-maxage=5', expires: date(999) })).toEqual({
      lifetimeS: 5,
      source: 's-maxage',
    });
    expect(life({ 'cache-control': 'max-age=60', expires: date(999) })).toEqual({
      lifetimeS: 60,
      source: 'max-age',
    });
    expect(life({ expires: date(90) })).toEqual({ lifetimeS: 90, source: 'expires' });
  });

  it('treats an invalid or past Expires as already expired (§5.3)', () => {
    expect(life({ expires: '0' }).lifetimeS).toBe(0);
    expect(life({ expires: date(-10) }).lifetimeS).toBe(0);
    expect(life({ expires: '0', 'last-modified': date(-86400) }).lifetimeS).toBe(0);
  });

  it('negatively caches 404 and 410 for the configured TTL, only without explicit freshness', () => {
    expect(life({}, 404)).toEqual({ lifetimeS: 10, source: 'negative' });
    expect(life({}, 410)).toEqual({ lifetimeS: 10, source: 'negative' });
    expect(life({ 'cache-control': 'max-age=300' }, 404).lifetimeS).toBe(300);
    expect(
      freshnessLifetime(stored({}, 404), { ...DEFAULT_FRESHNESS_POLICY, negativeTtlS: 2 }).lifetimeS,
    ).toBe(2);
  });

  it('uses 10% of the time since Last-Modified, capped at a day, only without explicit freshness', () => {
    expect(life({ 'last-modified': date(-1000) })).toEqual({ lifetimeS: 100, source: 'heuristic' });
    expect(life({ 'last-modified': date(-10 * 365 * 86400) }).lifetimeS).toBe(86_400);
    expect(life({ 'last-modified': date(500) }).lifetimeS).toBe(0); // modified "after" Date
    expect(life({ 'last-modified': date(-1000), 'cache-control': 'max-age=7' }).lifetimeS).toBe(7);
    expect(life({ 'last-modified': date(-1000) }, 302)).toEqual({ lifetimeS: 0, source: 'none' });
    expect(life({ 'last-modified': 'garbage' })).toEqual({ lifetimeS: 0, source: 'none' });
  });
});

describe('decideCache', () => {
  it('misses when nothing is stored, passes methods other than GET and HEAD', () => {
    expect(decideCache(undefined, GET, at(0))).toEqual({ kind: 'miss', reason: 'absent' });
    expect(decideCache(undefined, { method: 'HEAD', headers: {} }, at(0)).kind).toBe('miss');
    for (const method of ['POST', 'PUT', 'DELETE', 'OPTIONS', 'get', 'PATCH']) {
      expect(decideCache(stored({ 'cache-control': 'max-age=60' }), { method, headers: {} }, at(0))).toEqual({
        kind: 'pass',
        reason: 'method',
      });
    }
  });

  it('hits while fresh (age < lifetime) and reports the age; the boundary is stale', () => {
    const s = stored({ 'cache-control': 'max-age=60', etag: '"a"' });
    expect(decideCache(s, GET, at(30))).toEqual({ kind: 'hit', ageS: expect.closeTo(30.1, 6) });
    const instant = { ...s, requestTimeMs: T0 }; // no response delay: age is exactly the resident time
    expect(decideCache(instant, GET, at(60)).kind).toBe('revalidate');
    expect(decideCache(instant, GET, at(59.999)).kind).toBe('hit');
  });

  it('revalidates a stale response with its ETag and Last-Modified, or refetches without validators', () => {
    const s = stored({ 'cache-control': 'max-age=60', etag: '"a"', 'last-modified': date(-100) });
    expect(decideCache(s, GET, at(100))).toEqual({
      kind: 'revalidate',
      conditional: { 'if-none-match': '"a"', 'if-modified-since': date(-100) },
    });
    expect(decideCache(stored({ 'cache-control': 'max-age=60' }), GET, at(100))).toEqual({
      kind: 'miss',
      reason: 'stale',
    });
  });

  it('serves stale within stale-while-revalidate and revalidates in the background (RFC 5861 §3)', () => {
    const s = stored({ 'cache-control': 'max-age=60, stale-while-revalidate=30', etag: '"a"' });
    expect(decideCache(s, GET, at(80))).toEqual({
      kind: 'stale',
      revalidate: 'background',
      ageS: expect.closeTo(80.1, 6),
      conditional: { 'if-none-match': '"a"' },
    });
    const instant = { ...s, requestTimeMs: T0 };
    expect(decideCache(instant, GET, at(90)).kind).toBe('stale'); // exactly 30 s stale: still inside
    expect(decideCache(instant, GET, at(90.001)).kind).toBe('revalidate');
  });

  it('never serves stale when the response forbids it (RFC 9111 §4.2.4)', () => {
    for (const cc of [
      'max-age=60, stale-while-revalidate=30, must-revalidate',
      'max-age=60, stale-while-revalidate=30, proxy-revalidate',
    ]) {
      expect(decideCache(stored({ 'cache-control': cc, etag: '"a"' }), GET, at(70)).kind, cc).toBe(
        'revalidate',
      );
    }
  });

  it('honours an explicit stale-while-revalidate next to s-maxage (which only implies proxy-revalidate)', () => {
    const s = stored({ 'cache-control': 's-maxage=60, stale-while-revalidate=30', etag: '"a"' });
    expect(decideCache(s, GET, at(70)).kind).toBe('stale');
  });

  it('always revalidates a response with no-cache (§5.2.2.4), even while fresh', () => {
    const s = stored({ 'cache-control': 'no-cache, max-age=600', etag: '"a"' });
    expect(decideCache(s, GET, at(1))).toEqual({
      kind: 'revalidate',
      conditional: { 'if-none-match': '"a"' },
    });
    expect(decideCache(stored({ 'cache-control': 'no-cache' }), GET, at(1))).toEqual({
      kind: 'miss',
      reason: 'stale',
    });
  });

  it('passes a stored response that says no-store or private, and a Vary it cannot key on misses', () => {
    expect(decideCache(stored({ 'cache-control': 'no-store, max-age=60' }), GET, at(0))).toEqual({
      kind: 'pass',
      reason: 'no-store',
    });
    expect(decideCache(stored({ 'cache-control': 'private, max-age=60' }), GET, at(0))).toEqual({
      kind: 'pass',
      reason: 'private',
    });
    expect(decideCache(stored({ 'cache-control': 'max-age=60', vary: '*' }), GET, at(0))).toEqual({
      kind: 'miss',
      reason: 'vary',
    });
    expect(
      decideCache(stored({ 'cache-control': 'max-age=60', vary: 'Accept-Encoding, Origin' }), GET, at(0))
        .kind,
    ).toBe('hit');
  });

  it('passes an authenticated request unless the response is explicitly shared (§3.5)', () => {
    const auth: CacheRequest = { method: 'GET', headers: { authorization: 'Bearer x' } };
    expect(decideCache(stored({ 'cache-control': 'max-age=60' }), auth, at(0))).toEqual({
      kind: 'pass',
      reason: 'authorization',
    });
    for (const cc of ['public, max-age=60', 's-maxage=60', 'max-age=60, must-revalidate']) {
      expect(decideCache(stored({ 'cache-control': cc }), auth, at(0)).kind, cc).toBe('hit');
    }
    expect(decideCache(undefined, auth, at(0)).kind).toBe('miss');
  });

  it('ignores client Cache-Control and Pragma by default (a player reload must not hit the origin)', () => {
    const s = stored({ 'cache-control': 'max-age=60', etag: '"a"' });
    for (const headers of [
      { 'cache-control': 'no-cache' },
      { 'cache-control': 'no-store' },
      { 'cache-control': 'max-age=0' },
      { pragma: 'no-cache' },
    ]) {
      expect(decideCache(s, { method: 'GET', headers }, at(1)).kind).toBe('hit');
    }
  });

  it('honours client directives when configured, except on immutable responses (RFC 8246)', () => {
    const s = stored({ 'cache-control': 'max-age=60', etag: '"a"' });
    const req = (headers: Record<string, string>): CacheRequest => ({ method: 'GET', headers });
    expect(decideCache(s, req({ 'cache-control': 'no-store' }), at(1), honouring)).toEqual({
      kind: 'pass',
      reason: 'request-no-store',
    });
    expect(decideCache(s, req({ 'cache-control': 'no-cache' }), at(1), honouring).kind).toBe('revalidate');
    expect(decideCache(s, req({ pragma: 'no-cache' }), at(1), honouring).kind).toBe('revalidate');
    // Pragma counts only without Cache-Control (RFC 9111 §5.4).
    expect(
      decideCache(s, req({ pragma: 'no-cache', 'cache-control': 'max-age=600' }), at(1), honouring).kind,
    ).toBe('hit');
    expect(decideCache(s, req({ 'cache-control': 'max-age=5' }), at(10), honouring).kind).toBe('revalidate');
    expect(decideCache(s, req({ 'cache-control': 'min-fresh=55' }), at(10), honouring).kind).toBe(
      'revalidate',
    );
    expect(decideCache(s, req({ 'cache-control': 'max-stale=100' }), at(100), honouring).kind).toBe('hit');
    expect(decideCache(s, req({ 'cache-control': 'max-stale' }), at(1e6), honouring).kind).toBe('hit');
    const immutable = stored({ 'cache-control': 'max-age=60, immutable', etag: '"a"' });
    expect(decideCache(immutable, req({ 'cache-control': 'no-cache' }), at(1), honouring).kind).toBe('hit');
    expect(decideCache(immutable, GET, at(100), honouring).kind).toBe('revalidate'); // stale is stale
  });

  it('decides on every garbage response without throwing (seeded fuzz)', () => {
    const random = seededRandom(4242);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const values = [
      '',
      'max-age=-5',
      'max-age=1e9',
      's-maxage=abc',
      '"',
      'no-cache="',
      '9'.repeat(30),
      'W/"x"',
      '\u0000',
    ];
    for (let i = 0; i < 2000; i++) {
      const s: StoredResponse = {
        status: pick([0, 200, 404, 999, NaN]),
        headers: {
          'cache-control': `${pick(values)}, ${pick(values)}`,
          date: pick(['', 'garbage', date(random() * 1e6 - 5e5)]),
          age: pick(['', '-1', '1.5', '99999999999999', '3']),
          expires: pick(['0', 'never', date(100)]),
          'last-modified': pick(['', date(-1000)]),
        },
        requestTimeMs: pick([T0, NaN, T0 + 1e9]),
        responseTimeMs: T0,
      };
      const decision = decideCache(s, GET, at(random() * 1000));
      expect(['hit', 'stale', 'revalidate', 'miss', 'pass']).toContain(decision.kind);
    }
  });
});

describe('summariseStored', () => {
  it('gives decideCache and decideOnUpstreamError exactly the answers they compute without it (seeded property)', () => {
    const random = seededRandom(9111_4);
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(random() * xs.length)]!;
    const directives = [
      'max-age=60',
      's-maxage=30',
      'max-age=0',
      'no-cache',
      'no-store',
      'private',
      'public',
      'must-revalidate',
      'immutable',
      'stale-while-revalidate=30',
      'stale-if-error=60',
      'max-age=-5',
      '',
    ];
    const requests: CacheRequest[] = [
      GET,
      { method: 'HEAD', headers: {} },
      { method: 'POST', headers: {} },
      { method: 'GET', headers: { authorization: 'Bearer x' } },
      { method: 'GET', headers: { 'cache-control': 'no-cache' } },
      { method: 'GET', headers: { 'cache-control': 'max-stale=100, min-fresh=5' } },
      { method: 'GET', headers: { pragma: 'no-cache' } },
    ];
    for (let i = 0; i < 3000; i++) {
      const s: StoredResponse = {
        status: pick([200, 203, 404, 410, 500]),
        headers: {
          'cache-control': `${pick(directives)}, ${pick(directives)}`,
          ...(random() < 0.8 ? { date: date(Math.floor(random() * 200) - 100) } : {}),
          ...(random() < 0.3 ? { age: pick(['0', '20', 'x', '1000']) } : {}),
          ...(random() < 0.3 ? { expires: pick(['0', date(50), date(500)]) } : {}),
          ...(random() < 0.5 ? { 'last-modified': date(-Math.floor(random() * 1e5)) } : {}),
          ...(random() < 0.5 ? { etag: '"v1"' } : {}),
          ...(random() < 0.2 ? { vary: pick(['accept-encoding', 'cookie', '*']) } : {}),
        },
        requestTimeMs: T0 - Math.floor(random() * 500),
        responseTimeMs: T0,
      };
      const policy = pick([DEFAULT_FRESHNESS_POLICY, honouring]);
      const summary = summariseStored(s, policy);
      for (const nowS of [0, 10, 45, 100, 1000, 1e6]) {
        const request = pick(requests);
        expect(decideCache(s, request, at(nowS), policy, summary)).toEqual(
          decideCache(s, request, at(nowS), policy),
        );
        expect(decideOnUpstreamError(s, at(nowS), policy, summary)).toEqual(
          decideOnUpstreamError(s, at(nowS), policy),
        );
      }
      expect(summary.initialAgeS).toBeCloseTo(currentAgeS(s, T0), 9);
      expect(summary.lifetimeS).toBe(freshnessLifetime(s, policy).lifetimeS);
    }
  });
});

describe('decideOnUpstreamError', () => {
  it('serves stale within stale-if-error (RFC 5861 §4), fails beyond it', () => {
    const s = stored({ 'cache-control': 'max-age=60, stale-if-error=300' });
    expect(decideOnUpstreamError(s, at(300))).toEqual({
      kind: 'serve-stale',
      ageS: expect.closeTo(300.1, 6),
    });
    expect(decideOnUpstreamError(s, at(361)).kind).toBe('fail');
  });

  it('falls back to the configured default grace without stale-if-error', () => {
    const s = stored({ 'cache-control': 'max-age=60' });
    expect(decideOnUpstreamError(s, at(65)).kind).toBe('serve-stale');
    expect(decideOnUpstreamError(s, at(75)).kind).toBe('fail');
    expect(
      decideOnUpstreamError(s, at(75), { ...DEFAULT_FRESHNESS_POLICY, staleIfErrorDefaultS: 3600 }).kind,
    ).toBe('serve-stale');
  });

  it('never serves what the response forbids, and no default grace under s-maxage', () => {
    for (const cc of [
      'max-age=60, must-revalidate, stale-if-error=999',
      'no-cache',
      'proxy-revalidate, max-age=1',
    ]) {
      expect(decideOnUpstreamError(stored({ 'cache-control': cc }), at(65)).kind, cc).toBe('fail');
    }
    expect(decideOnUpstreamError(stored({ 'cache-control': 's-maxage=60' }), at(65)).kind).toBe('fail');
    expect(
      decideOnUpstreamError(stored({ 'cache-control': 's-maxage=60, stale-if-error=60' }), at(65)).kind,
    ).toBe('serve-stale');
    expect(decideOnUpstreamError(undefined, at(0))).toEqual({ kind: 'fail' });
  });

  it('serves a still-fresh response when a forced revalidation fails', () => {
    expect(decideOnUpstreamError(stored({ 'cache-control': 'max-age=60' }), at(10)).kind).toBe('serve-stale');
  });
});

describe('storable (RFC 9111 §3)', () => {
  const ok = (status: number, headers: Record<string, string | string[]>, request: CacheRequest = GET) =>
    storable({ status, headers, responseTimeMs: T0 }, request);

  it('stores what the origin serves for content, with its lifetime', () => {
    expect(ok(200, { 'cache-control': 'public, max-age=31536000, immutable' })).toEqual({
      storable: true,
      lifetimeS: 31536000,
      source: 'max-age',
    });
    expect(ok(200, { etag: '"a"' })).toEqual({ storable: true, lifetimeS: 0, source: 'none' });
    expect(ok(404, {})).toEqual({ storable: true, lifetimeS: 10, source: 'negative' });
    expect(ok(410, {})).toMatchObject({ storable: true, source: 'negative' });
    expect(ok(200, { expires: formatHttpDate(T0 + 60_000) })).toMatchObject({ lifetimeS: 60 });
    expect(ok(302, { 'cache-control': 'max-age=60' })).toMatchObject({ storable: true });
  });

  it('refuses by method, status and directive', () => {
    expect(ok(200, { 'cache-control': 'max-age=60' }, { method: 'HEAD', headers: {} })).toEqual({
      storable: false,
      reason: 'method',
    });
    for (const status of [100, 206, 500, 502, 503, 504, 302, 307, NaN, 200.5]) {
      expect(
        ok(status, status === 302 || status === 307 ? {} : { 'cache-control': 'max-age=60' }),
        String(status),
      ).toEqual({
        storable: false,
        reason: 'status',
      });
    }
    expect(ok(200, { 'cache-control': 'no-store, max-age=60' })).toEqual({
      storable: false,
      reason: 'no-store',
    });
    expect(ok(200, { 'cache-control': 'private="set-cookie", max-age=60' })).toEqual({
      storable: false,
      reason: 'private',
    });
    expect(ok(200, { 'cache-control': 'max-age=60', 'set-cookie': ['a=b'] })).toEqual({
      storable: false,
      reason: 'set-cookie',
    });
    expect(ok(200, { 'cache-control': 'max-age=60', vary: 'User-Agent' })).toEqual({
      storable: false,
      reason: 'vary',
    });
    expect(ok(200, { 'cache-control': 'max-age=60', vary: '*' })).toEqual({
      storable: false,
      reason: 'vary',
    });
    expect(ok(200, { 'cache-control': 'max-age=60', vary: 'accept-encoding' }).storable).toBe(true);
    expect(ok(200, {})).toEqual({ storable: false, reason: 'no-freshness' });
    expect(ok(200, { 'cache-control': 'max-age=0' })).toEqual({ storable: false, reason: 'no-freshness' });
    // 404 from the origin is `no-store`: a 404 before a publish must not outlive the publish.
    expect(ok(404, { 'cache-control': 'no-store' })).toEqual({ storable: false, reason: 'no-store' });
  });

  it('refuses responses to authenticated requests unless explicitly shared (§3.5)', () => {
    const auth: CacheRequest = { method: 'GET', headers: { Authorization: 'Basic x' } };
    expect(ok(200, { 'cache-control': 'max-age=60' }, auth)).toEqual({
      storable: false,
      reason: 'authorization',
    });
    expect(ok(200, { 'cache-control': 'public, max-age=60' }, auth).storable).toBe(true);
  });

  it('refuses on client no-store only when client directives are honoured', () => {
    const req: CacheRequest = { method: 'GET', headers: { 'cache-control': 'no-store' } };
    expect(ok(200, { 'cache-control': 'max-age=60' }, req).storable).toBe(true);
    expect(
      storable(
        { status: 200, headers: { 'cache-control': 'max-age=60' }, responseTimeMs: T0 },
        req,
        honouring,
      ),
    ).toEqual({
      storable: false,
      reason: 'request-no-store',
    });
  });
});

describe('pickStoredHeaders', () => {
  it('keeps the cache fields, lower-cased and joined, and drops the rest', () => {
    expect(
      pickStoredHeaders({
        'Content-Type': 'video/mp4',
        'content-length': 1234,
        'cache-control': ['public', 'max-age=60'],
        'set-cookie': ['a=b'],
        connection: 'keep-alive',
        'x-powered-by': 'secret',
        etag: '"e"',
      }),
    ).toEqual({
      'content-type': 'video/mp4',
      'content-length': '1234',
      'cache-control': 'public, max-age=60',
      etag: '"e"',
    });
  });
});

describe('updateAfterRevalidation (RFC 9111 §4.3.4)', () => {
  const s = stored({
    'cache-control': 'max-age=60',
    etag: '"v1"',
    'content-length': '1000',
    'content-type': 'video/mp4',
    age: '30',
  });

  it('replaces stored fields with the 304s, keeps Content-Length, restarts the age', () => {
    const result = updateAfterRevalidation(
      s,
      {
        headers: {
          'cache-control': 'max-age=120',
          etag: '"v1"',
          date: date(100),
          'content-length': '0',
          'x-other': 'y',
        },
      },
      at(100),
      at(100.05),
    );
    expect(result).toEqual({
      kind: 'updated',
      stored: {
        ...s,
        headers: {
          'cache-control': 'max-age=120',
          etag: '"v1"',
          date: date(100),
          'content-length': '1000',
          'content-type': 'video/mp4',
        },
        requestTimeMs: at(100),
        responseTimeMs: at(100.05),
      },
    });
    if (result.kind !== 'updated') return;
    expect(decideCache(result.stored, GET, at(150)).kind).toBe('hit');
  });

  it('drops the old Date and Age when the 304 has none, so the response is fresh again', () => {
    const result = updateAfterRevalidation(s, { headers: {} }, at(100), at(100));
    expect(result.kind).toBe('updated');
    if (result.kind !== 'updated') return;
    expect(result.stored.headers.date).toBeUndefined();
    expect(result.stored.headers.age).toBeUndefined();
    expect(decideCache(result.stored, GET, at(130))).toEqual({ kind: 'hit', ageS: 30 });
  });

  it('refuses a 304 for another representation (ETag or Last-Modified differ)', () => {
    expect(updateAfterRevalidation(s, { headers: { etag: '"v2"' } }, 0, 0)).toEqual({
      kind: 'mismatch',
      reason: 'etag',
    });
    expect(updateAfterRevalidation(s, { headers: { etag: 'garbage' } }, 0, 0).kind).toBe('mismatch');
    const weak = stored({ etag: 'W/"v1"' });
    // A strong 304 validator needs a strong match; a weak one matches weakly.
    expect(updateAfterRevalidation(weak, { headers: { etag: '"v1"' } }, 0, 0).kind).toBe('mismatch');
    expect(updateAfterRevalidation(weak, { headers: { etag: 'W/"v1"' } }, 0, 0).kind).toBe('updated');
    expect(updateAfterRevalidation(s, { headers: { etag: 'W/"v1"' } }, 0, 0).kind).toBe('updated');
    expect(updateAfterRevalidation(stored({}), { headers: { etag: '"v1"' } }, 0, 0).kind).toBe('mismatch');
    const lm = stored({ 'last-modified': date(-100) });
    expect(updateAfterRevalidation(lm, { headers: { 'last-modified': date(-50) } }, 0, 0)).toEqual({
      kind: 'mismatch',
      reason: 'last-modified',
    });
    expect(updateAfterRevalidation(lm, { headers: { 'last-modified': date(-100) } }, 0, 0).kind).toBe(
      'updated',
    );
  });
});
