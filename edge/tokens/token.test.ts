import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { cacheKeyFor, canonicalPath } from '../policy/cacheKey.js';
import { prefixCovers, signToken, tokenFailureError, verifyToken, type TokenKeyring } from './token.js';

const KEY_A = Buffer.alloc(32, 0xa1);
const KEY_B = Buffer.alloc(32, 0xb2);
const keyring: TokenKeyring = new Map([
  ['k2025a', KEY_A],
  ['k2025b', KEY_B],
]);
const NOW_MS = Date.parse('2025-03-01T00:00:00Z');
const EXP_S = NOW_MS / 1000 + 3600;
const sign = (pathPrefix = '/content/t1/', expiresAtS = EXP_S, keyId = 'k2025a', key = KEY_A): string =>
  signToken({ keyId, key, pathPrefix, expiresAtS });

describe('signToken / verifyToken', () => {
  it('uses the documented format: kid.exp.b64url(prefix).b64url(mac over the rest)', () => {
    const token = sign();
    const [kid, exp, prefix, mac] = token.split('.');
    expect(kid).toBe('k2025a');
    expect(exp).toBe(String(EXP_S));
    expect(Buffer.from(prefix!, 'base64url').toString()).toBe('/content/t1/');
    const expected = createHmac('sha256', KEY_A)
      .update(`cdn-token-v1.${kid}.${exp}.${prefix}`)
      .digest('base64url');
    expect(mac).toBe(expected);
    expect(token).toMatch(/^[A-Za-z0-9_.-]+$/); // URL-safe as is
  });

  it('verifies for a path under its prefix, with any key of the keyring', () => {
    expect(verifyToken(sign(), '/content/t1/video/v0/1.m4s', keyring, NOW_MS)).toEqual({
      ok: true,
      keyId: 'k2025a',
      pathPrefix: '/content/t1/',
      expiresAtS: EXP_S,
    });
    const rotated = sign('/content/t1/', EXP_S, 'k2025b', KEY_B);
    expect(verifyToken(rotated, '/content/t1/manifest.mpd', keyring, NOW_MS).ok).toBe(true);
  });

  it('covers every path under the prefix and none outside, on a / boundary (seeded property)', () => {
    const random = seededRandom(8246);
    const segment = (): string => Math.floor(random() * 1e6).toString(36);
    for (const prefix of ['/content/t1/', '/content/t1']) {
      const token = sign(prefix);
      for (let i = 0; i < 300; i++) {
        const inside = `/content/t1/${segment()}/${segment()}.m4s`;
        expect(verifyToken(token, inside, keyring, NOW_MS).ok, inside).toBe(true);
        for (const outside of [
          `/content/t1${segment()}/x.m4s`,
          `/content/t10/${segment()}.m4s`,
          `/content/t2/${segment()}`,
          `/content/${segment()}/t1/x`,
          `/other/t1/${segment()}`,
        ]) {
          expect(verifyToken(token, outside, keyring, NOW_MS), `${prefix} ${outside}`).toEqual({
            ok: false,
            reason: 'path',
          });
        }
      }
    }
    expect(verifyToken(sign('/content/t1'), '/content/t1', keyring, NOW_MS).ok).toBe(true);
    expect(verifyToken(sign('/content/t1/'), '/content/t1', keyring, NOW_MS).ok).toBe(false);
    expect(verifyToken(sign('/'), '/anything/at/all', keyring, NOW_MS).ok).toBe(true);
  });

  it('is valid strictly before the expiry second and expired from it on', () => {
    const token = sign('/content/t1/', EXP_S);
    expect(verifyToken(token, '/content/t1/a', keyring, EXP_S * 1000 - 1).ok).toBe(true);
    expect(verifyToken(token, '/content/t1/a', keyring, EXP_S * 1000)).toEqual({
      ok: false,
      reason: 'expired',
    });
    expect(verifyToken(token, '/content/t1/a', keyring, EXP_S * 1000 + 1).ok).toBe(false);
    expect(verifyToken(sign('/content/t1/', 0), '/content/t1/a', keyring, 0)).toEqual({
      ok: false,
      reason: 'expired',
    });
  });

  it('fails on tampering with any single character of the token', () => {
    const token = sign();
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.';
    for (let i = 0; i < token.length; i++) {
      for (const replacement of alphabet) {
        if (replacement === token[i]) continue;
        const forged = token.slice(0, i) + replacement + token.slice(i + 1);
        const verdict = verifyToken(forged, '/content/t1/a.m4s', keyring, NOW_MS);
        expect(verdict.ok, `${i}: ${forged}`).toBe(false);
      }
    }
  });

  it('fails on a flipped bit anywhere in the signed fields or the MAC', () => {
    const token = sign();
    const [kid, exp, prefix, mac] = token.split('.') as [string, string, string, string];
    const prefixBytes = Buffer.from(prefix, 'base64url');
    const macBytes = Buffer.from(mac, 'base64url');
    for (let i = 0; i < prefixBytes.length * 8; i++) {
      const bytes = Buffer.from(prefixBytes);
      bytes[i >> 3]! ^= 1 << (i & 7);
      expect(
        verifyToken(`${kid}.${exp}.${bytes.toString('base64url')}.${mac}`, '/', keyring, NOW_MS).ok,
      ).toBe(false);
    }
    for (let i = 0; i < macBytes.length * 8; i++) {
      const bytes = Buffer.from(macBytes);
      bytes[i >> 3]! ^= 1 << (i & 7);
      expect(
        verifyToken(
          `${kid}.${exp}.${prefix}.${bytes.toString('base64url')}`,
          '/content/t1/a',
          keyring,
          NOW_MS,
        ),
      ).toEqual({
        ok: false,
        reason: 'bad-signature',
      });
    }
    // A later expiry with the old MAC, a wider prefix with the old MAC.
    expect(verifyToken(`${kid}.${EXP_S + 1}.${prefix}.${mac}`, '/content/t1/a', keyring, NOW_MS).ok).toBe(
      false,
    );
    const wider = Buffer.from('/').toString('base64url');
    expect(verifyToken(`${kid}.${exp}.${wider}.${mac}`, '/content/t2/a', keyring, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('says why a token fails: missing, malformed, unknown key, bad signature', () => {
    const token = sign();
    const [, exp, prefix, mac] = token.split('.') as [string, string, string, string];
    const verdict = (t: string | undefined) => verifyToken(t, '/content/t1/a', keyring, NOW_MS);
    expect(verdict(undefined)).toEqual({ ok: false, reason: 'missing' });
    expect(verdict('')).toEqual({ ok: false, reason: 'missing' });
    for (const bad of [
      'garbage',
      'a.b.c',
      `${token}.extra`,
      `k!.${exp}.${prefix}.${mac}`,
      `k2025a.-1.${prefix}.${mac}`,
      `k2025a.0${exp}.${prefix}.${mac}`,
      `k2025a.1e9.${prefix}.${mac}`,
      `k2025a.${exp}.${prefix}=.${mac}`,
      `k2025a.${exp}.${prefix}.${mac}=`,
      `k2025a.${exp}.${prefix}.${mac.slice(0, -1)}`,
      `k2025a.${exp}.${prefix}.${mac}AA`,
      `k2025a.${exp}.${Buffer.from('no-slash').toString('base64url')}.${mac}`,
      `k2025a.${exp}..${mac}`,
      `k2025a.${exp}.${prefix}.${'A'.repeat(3000)}`,
      '....',
    ]) {
      expect(verdict(bad), bad.slice(0, 60)).toEqual({ ok: false, reason: 'malformed' });
    }
    expect(verdict(token.replace('k2025a', 'k2024z'))).toEqual({ ok: false, reason: 'unknown-key' });
    expect(verdict(sign('/content/t1/', EXP_S, 'k2025a', KEY_B))).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
    // Signature is checked before expiry and path: a forged token learns nothing else.
    const forgedExpired = sign('/x/', 1, 'k2025a', KEY_B);
    expect(verifyToken(forgedExpired, '/content/t1/a', keyring, NOW_MS)).toEqual({
      ok: false,
      reason: 'bad-signature',
    });
  });

  it('refuses to sign what no verifier would accept', () => {
    const base = { keyId: 'k', key: KEY_A, pathPrefix: '/content/t1/', expiresAtS: EXP_S };
    expect(() => signToken({ ...base, keyId: 'bad.kid' })).toThrow(RangeError);
    expect(() => signToken({ ...base, keyId: '' })).toThrow(RangeError);
    expect(() => signToken({ ...base, key: Buffer.alloc(16) })).toThrow(RangeError);
    expect(() => signToken({ ...base, pathPrefix: 'content/' })).toThrow(RangeError);
    expect(() => signToken({ ...base, pathPrefix: '/a\u0000' })).toThrow(RangeError);
    expect(() => signToken({ ...base, expiresAtS: -1 })).toThrow(RangeError);
    expect(() => signToken({ ...base, expiresAtS: 1.5 })).toThrow(RangeError);
    expect(() => signToken({ ...base, expiresAtS: 1e12 })).toThrow(RangeError);
  });

  it('compares prefixes with canonical paths, whatever encoding the client used', () => {
    const prefix = canonicalPath('/content/t1/é/');
    expect(prefix).toBe('/content/t1/%C3%A9/');
    const token = sign(prefix);
    for (const target of [
      '/content/t1/é/a.m4s',
      '/content/t1/%c3%a9/a.m4s',
      '/content/%74%31/%C3%A9/a.m4s',
    ]) {
      const { path } = cacheKeyFor('GET', target, { queryWhitelist: [] });
      expect(verifyToken(token, path, keyring, NOW_MS).ok, target).toBe(true);
    }
  });
});

describe('prefixCovers', () => {
  it('matches on path boundaries only', () => {
    expect(prefixCovers('/content/t1/', '/content/t1/a')).toBe(true);
    expect(prefixCovers('/content/t1', '/content/t1/a')).toBe(true);
    expect(prefixCovers('/content/t1', '/content/t1')).toBe(true);
    expect(prefixCovers('/content/t1', '/content/t10')).toBe(false);
    expect(prefixCovers('/content/t1/', '/content/t10/a')).toBe(false);
  });
});

describe('tokenFailureError', () => {
  it('maps expiry to 410 and everything else to 403', () => {
    expect(tokenFailureError('expired')).toMatchObject({ code: 'EDGE_ERR_TOKEN_EXPIRED', statusCode: 410 });
    for (const reason of ['missing', 'malformed', 'unknown-key', 'bad-signature', 'path'] as const) {
      expect(tokenFailureError(reason)).toMatchObject({ code: 'EDGE_ERR_TOKEN_INVALID', statusCode: 403 });
    }
  });
});
