import { toCmcdHeaders } from '@svta/cml-cmcd';
import { describe, expect, it } from 'vitest';
import { MAX_NOR_PER_REQUEST, mayCarryCmcd, prefetchTargets, readCmcdHints } from './prefetchCmcd.js';

const PATH = '/content/film1/v/20250101T000000Z-abc/video/v0/00001.m4s';
const CURRENT = { path: PATH, key: PATH, titleId: 'film1' };
const KEYS = { queryWhitelist: [] };

function targetsFor(headers: Record<string, string>, target = PATH) {
  const hints = readCmcdHints(headers, target);
  return hints === undefined ? undefined : prefetchTargets(hints, CURRENT, KEYS);
}

describe('mayCarryCmcd', () => {
  it('looks only for the CMCD-Request header or a CMCD query parameter', () => {
    expect(mayCarryCmcd({}, PATH)).toBe(false);
    expect(mayCarryCmcd({ 'cmcd-object': 'br=300' }, PATH)).toBe(false);
    expect(mayCarryCmcd({ 'cmcd-request': 'nor="a"' }, PATH)).toBe(true);
    expect(mayCarryCmcd({}, `${PATH}?CMCD=nor%3D%22a%22`)).toBe(true);
    expect(mayCarryCmcd({}, `${PATH}?token=x`)).toBe(false);
    // A path that merely contains the letters is not a query parameter.
    expect(mayCarryCmcd({}, '/content/CMCD=/a.m4s')).toBe(false);
  });
});

describe('readCmcdHints', () => {
  it('reads v1 nor (URL-encoded, CTA-5004 §3.3.2) and nrr from headers written by the library', () => {
    const written = toCmcdHeaders({ nor: ['../v1/00002.m4s'], sid: 's', ot: 'v' }, { version: 1 });
    // As node hands them over: lower-case names. `nrr` (v1 only) is not in the library's v2 types.
    const headers = Object.fromEntries(Object.entries(written).map(([k, v]) => [k.toLowerCase(), v]));
    headers['cmcd-request'] += ',nrr="0-99"';
    expect(headers['cmcd-request']).toContain('..%2Fv1%2F00002.m4s');
    const hints = readCmcdHints(headers, PATH);
    expect(hints).toEqual({
      version: 1,
      next: [{ ref: '../v1/00002.m4s', range: '0-99' }],
      selfRange: undefined,
    });
  });

  it('reads v2 nor lists with their r parameters from the query', () => {
    const cmcd = 'nor=("00002.m4s" "00003.m4s";r="100-"),v=2';
    const hints = readCmcdHints({}, `${PATH}?CMCD=${encodeURIComponent(cmcd)}&token=t`);
    expect(hints?.version).toBe(2);
    expect(hints?.next).toEqual([
      { ref: '00002.m4s', range: undefined },
      { ref: '00003.m4s', range: '100-' },
    ]);
  });

  it('takes nrr without nor as a range of the current object', () => {
    expect(readCmcdHints({ 'cmcd-request': 'nrr="0-1000"' }, PATH)).toEqual({
      version: 1,
      next: [],
      selfRange: '0-1000',
    });
  });

  it('has no hints for CMCD without nor/nrr, malformed CMCD, or values of the wrong type', () => {
    expect(readCmcdHints({ 'cmcd-request': 'bl=300' }, PATH)).toBeUndefined();
    expect(readCmcdHints({ 'cmcd-request': '"unterminated' }, PATH)).toBeUndefined();
    expect(readCmcdHints({ 'cmcd-request': 'nor=5' }, PATH)).toBeUndefined();
    expect(readCmcdHints({ 'cmcd-request': 'nor' }, PATH)).toBeUndefined();
    expect(readCmcdHints({ 'cmcd-request': 'nor="%E0%A4%A"' }, PATH)).toBeUndefined();
    expect(readCmcdHints({}, `${PATH}?CMCD=${encodeURIComponent('nor=((((')}`)).toBeUndefined();
    expect(readCmcdHints({}, `${PATH}?other=1`)).toBeUndefined();
  });
});

describe('prefetchTargets', () => {
  it('resolves a relative nor against the request path, within the same title', () => {
    const out = targetsFor({ 'cmcd-request': 'nor="00002.m4s"' });
    expect(out).toEqual([
      {
        kind: 'prefetch',
        key: '/content/film1/v/20250101T000000Z-abc/video/v0/00002.m4s',
        path: '/content/film1/v/20250101T000000Z-abc/video/v0/00002.m4s',
        target: '/content/film1/v/20250101T000000Z-abc/video/v0/00002.m4s',
        range: undefined,
      },
    ]);
    const up = targetsFor({ 'cmcd-request': `nor="${encodeURIComponent('../../audio/a0/00001.m4s')}"` });
    expect(up?.[0]).toMatchObject({
      kind: 'prefetch',
      key: '/content/film1/v/20250101T000000Z-abc/audio/a0/00001.m4s',
    });
  });

  it('ignores hints outside the title, outside /content, on another host, or refused paths', () => {
    const cases: [string, string][] = [
      ['/content/film2/video/v0/00001.m4s', 'other-title'],
      ['../../../../../film2/v/x/video/v0/00001.m4s', 'other-title'],
      ['../../../../../../etc/passwd', 'not-content'],
      ['/metrics', 'not-content'],
      ['/admin/purge', 'not-content'],
      ['http://elsewhere.example/content/film1/video/v0/00002.m4s', 'other-host'],
      ['//elsewhere.example/content/film1/a.m4s', 'other-host'],
      ['00002.m4s%00', 'bad-url'],
      ['a%2Fb.m4s', 'bad-url'],
    ];
    for (const [ref, reason] of cases) {
      const hints = { version: 2, next: [{ ref, range: undefined }], selfRange: undefined };
      expect(prefetchTargets(hints, CURRENT, KEYS), ref).toEqual([{ kind: 'ignore', reason, ref }]);
    }
  });

  it('drops the CMCD and token parameters from the key but keeps the token in the target', () => {
    const hints = {
      version: 2,
      next: [{ ref: '00002.m4s?token=abc&CMCD=x', range: undefined }],
      selfRange: undefined,
    };
    const [t] = prefetchTargets(hints, CURRENT, KEYS);
    expect(t).toMatchObject({
      kind: 'prefetch',
      key: '/content/film1/v/20250101T000000Z-abc/video/v0/00002.m4s',
      target: '/content/film1/v/20250101T000000Z-abc/video/v0/00002.m4s?token=abc&CMCD=x',
    });
  });

  it('marks a hint for the current object as self, and caps the objects per request', () => {
    const self = { version: 2, next: [{ ref: '00001.m4s', range: '0-9' }], selfRange: undefined };
    expect(prefetchTargets(self, CURRENT, KEYS)).toEqual([{ kind: 'self' }]);
    const many = Array.from({ length: MAX_NOR_PER_REQUEST + 2 }, (_, i) => ({
      ref: `0001${i + 2}.m4s`,
      range: undefined,
    }));
    const out = prefetchTargets({ version: 2, next: many, selfRange: undefined }, CURRENT, KEYS);
    expect(out.filter((t) => t.kind === 'prefetch')).toHaveLength(MAX_NOR_PER_REQUEST);
    expect(out.filter((t) => t.kind === 'ignore' && t.reason === 'too-many')).toHaveLength(2);
  });

  it('ignores everything for a request outside a title', () => {
    const hints = { version: 2, next: [{ ref: 'b.m4s', range: undefined }], selfRange: undefined };
    const out = prefetchTargets(
      hints,
      { path: '/content/a.m4s', key: '/content/a.m4s', titleId: undefined },
      KEYS,
    );
    expect(out).toEqual([{ kind: 'ignore', reason: 'other-title', ref: 'b.m4s' }]);
  });
});
