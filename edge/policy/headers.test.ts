import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import {
  DELTA_SECONDS_MAX,
  formatHttpDate,
  headerValue,
  parseCacheControl,
  parseDeltaSeconds,
  parseHttpDate,
} from './headers.js';

describe('parseCacheControl', () => {
  it('reads every directive the policy uses', () => {
    expect(
      parseCacheControl(
        'public, max-age=60, s-maxage=120, must-revalidate, proxy-revalidate, immutable, ' +
          'stale-while-revalidate=30, stale-if-error=86400, no-cache, no-store, private',
      ),
    ).toEqual({
      maxAgeS: 60,
      sMaxAgeS: 120,
      noStore: true,
      noCache: true,
      private: true,
      public: true,
      mustRevalidate: true,
      proxyRevalidate: true,
      immutable: true,
      staleWhileRevalidateS: 30,
      staleIfErrorS: 86400,
    });
    expect(parseCacheControl('max-stale, min-fresh=5')).toMatchObject({ maxStaleS: Infinity, minFreshS: 5 });
    expect(parseCacheControl('max-stale=7').maxStaleS).toBe(7);
  });

  it('is case-insensitive on names, tolerant of spaces and empty list members', () => {
    expect(parseCacheControl(' ,, MAX-AGE = 10 ,Public,  ,')).toMatchObject({ maxAgeS: 10, public: true });
  });

  it('lets the first of repeated directives win', () => {
    expect(parseCacheControl('max-age=10, max-age=99').maxAgeS).toBe(10);
    expect(parseCacheControl('stale-if-error=5, stale-if-error=50').staleIfErrorS).toBe(5);
  });

  it('accepts quoted values and ignores commas inside quotes', () => {
    expect(parseCacheControl('max-age="60"').maxAgeS).toBe(60);
    expect(parseCacheControl('no-cache="set-cookie, x-foo", max-age=5')).toMatchObject({
      noCache: true,
      maxAgeS: 5,
    });
    expect(parseCacheControl('private="a\\"b,c", public')).toMatchObject({ private: true, public: true });
    expect(parseCacheControl('x="unterminated, max-age=5').maxAgeS).toBeUndefined();
    expect(parseCacheControl('max-age="5"junk, public')).toMatchObject({ maxAgeS: 5, public: true });
  });

  it('treats an invalid max-age or s-maxage as 0 (stale), and ignores invalid stale-* grants', () => {
    for (const bad of ['abc', '-1', '1.5', '', '+5', '5 5', '0x10']) {
      expect(parseCacheControl(`max-age=${bad}`).maxAgeS, bad).toBe(0);
      expect(parseCacheControl(`s-maxage=${bad}`).sMaxAgeS, bad).toBe(0);
      expect(parseCacheControl(`stale-while-revalidate=${bad}`).staleWhileRevalidateS, bad).toBeUndefined();
      expect(parseCacheControl(`stale-if-error=${bad}`).staleIfErrorS, bad).toBeUndefined();
    }
    expect(parseCacheControl('max-age').maxAgeS).toBe(0);
  });

  it('clamps huge values to 2^31 (RFC 9111 §1.2.2)', () => {
    expect(parseCacheControl('max-age=99999999999999999999999').maxAgeS).toBe(DELTA_SECONDS_MAX);
    expect(parseCacheControl(`max-age=${'9'.repeat(100_000)}`).maxAgeS).toBe(DELTA_SECONDS_MAX);
    expect(parseCacheControl('max-age=2147483647').maxAgeS).toBe(2147483647);
    expect(parseCacheControl('max-age=000000000000000000060').maxAgeS).toBe(60);
  });

  it('ignores unknown directives and parses only the first 8 KiB', () => {
    expect(parseCacheControl('community="UCI", foo=bar, max-age=3')).toMatchObject({ maxAgeS: 3 });
    expect(parseCacheControl(`${'x,'.repeat(10_000)}max-age=3`).maxAgeS).toBeUndefined();
  });

  it('never throws on garbage (seeded fuzz)', () => {
    const random = seededRandom(9111);
    const alphabet = 'max-age=,"\\ \t;=0123456789nostrepublicvWé\u0000\uffff';
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const length = Math.floor(random() * 60);
      for (let j = 0; j < length; j++) text += alphabet[Math.floor(random() * alphabet.length)];
      const parsed = parseCacheControl(text);
      for (const value of [parsed.maxAgeS, parsed.sMaxAgeS, parsed.staleIfErrorS]) {
        if (value !== undefined) expect(value >= 0 && value <= DELTA_SECONDS_MAX).toBe(true);
      }
    }
  });

  it('returns defaults for an absent header', () => {
    expect(parseCacheControl(undefined)).toMatchObject({ noStore: false, public: false });
  });
});

describe('parseDeltaSeconds', () => {
  it('reads 1*DIGIT and nothing else', () => {
    expect(parseDeltaSeconds('0')).toBe(0);
    expect(parseDeltaSeconds(' 42 ')).toBe(42);
    for (const bad of [undefined, '', '-1', '1e3', '3.0', '1,2', 'NaN', ' ']) {
      expect(parseDeltaSeconds(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('parseHttpDate', () => {
  const ms = Date.UTC(1994, 10, 6, 8, 49, 37);
  it('reads the three formats of RFC 9110 §5.6.7', () => {
    expect(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT')).toBe(ms);
    expect(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT')).toBe(ms);
    expect(parseHttpDate('Sun Nov  6 08:49:37 1994')).toBe(ms);
    expect(parseHttpDate('Wednesday, 01-Jan-31 00:00:00 GMT')).toBe(Date.UTC(2031, 0, 1));
    expect(parseHttpDate(formatHttpDate(ms))).toBe(ms);
  });

  it('refuses everything else, including what Date.parse would accept', () => {
    for (const bad of [
      undefined,
      '',
      '0',
      '-1',
      '1',
      '2025-03-01T00:00:00Z',
      'Sun, 06 Nov 1994 08:49:37 PST',
      'Sun, 31 Feb 1994 08:49:37 GMT',
      'Sun, 06 Nov 1994 24:00:00 GMT',
      'Sun, 06 Foo 1994 08:49:37 GMT',
      'sun, 06 nov 1994 08:49:37 gmt',
      `Sun, 06 Nov 1994 08:49:37 GMT${' '.repeat(100)}x`,
    ]) {
      expect(parseHttpDate(bad), String(bad)).toBeUndefined();
    }
  });
});

describe('headerValue', () => {
  it('joins repeated fields, stringifies numbers, looks names up case-insensitively', () => {
    const headers = { 'cache-control': ['max-age=5', 'public'], 'Content-Length': 10, empty: [] };
    expect(headerValue(headers, 'Cache-Control')).toBe('max-age=5, public');
    expect(headerValue(headers, 'content-length')).toBe('10');
    expect(headerValue(headers, 'empty')).toBeUndefined();
    expect(headerValue(headers, 'absent')).toBeUndefined();
  });
});
