import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { sha256Hex } from '../cache/body.js';
import { matchesSha256Prefix, sha256PrefixOfEtag } from './etag.js';
import { FILL_TOKEN_TTL_S, fillTokenAuthorises, keyPath, signFillToken } from './fillAuth.js';

const key = randomBytes(32);
const keyring = new Map([['f1', key]]);
const signer = { keyId: 'f1', key };
const nowMs = 1_750_000_000_000;

describe('fill tokens', () => {
  it('authorise exactly the signed path, within their lifetime, under a known key', () => {
    const path = '/content/t1/video/v0/00001.m4s';
    const token = signFillToken(signer, `${path}?lang=en`, nowMs);
    expect(fillTokenAuthorises(token, path, keyring, nowMs)).toBe(true);
    expect(fillTokenAuthorises(token, path, keyring, nowMs + FILL_TOKEN_TTL_S * 1000 - 1)).toBe(true);
    expect(fillTokenAuthorises(token, path, keyring, nowMs + FILL_TOKEN_TTL_S * 1000)).toBe(false);
    expect(fillTokenAuthorises(token, `${path}/x`, keyring, nowMs)).toBe(false);
    expect(fillTokenAuthorises(token, '/content/t1/video/v0/00002.m4s', keyring, nowMs)).toBe(false);
    expect(fillTokenAuthorises(token, path, new Map([['f1', randomBytes(32)]]), nowMs)).toBe(false);
    expect(fillTokenAuthorises(token, path, new Map(), nowMs)).toBe(false);
    expect(fillTokenAuthorises(undefined, path, keyring, nowMs)).toBe(false);
    expect(fillTokenAuthorises([token, token], path, keyring, nowMs)).toBe(false);
    expect(fillTokenAuthorises(`${token.slice(0, -2)}AA`, path, keyring, nowMs)).toBe(false);
    expect(keyPath('/a/b?x=1')).toBe('/a/b');
  });
});

describe('ETag SHA-256', () => {
  it('reads the origin strong tag and nothing else', () => {
    const body = randomBytes(100);
    const sha = sha256Hex(body);
    const prefix = sha256PrefixOfEtag(`"${sha.slice(0, 32)}"`)!;
    expect(matchesSha256Prefix(sha, prefix)).toBe(true);
    expect(matchesSha256Prefix(sha256Hex(randomBytes(100)), prefix)).toBe(false);
    for (const tag of [
      undefined,
      '"v1"',
      `W/"${sha.slice(0, 32)}"`,
      `"${sha.slice(0, 31)}"`,
      `"${sha.slice(0, 32).toUpperCase()}"`,
      `"${sha}"`,
    ]) {
      expect(sha256PrefixOfEtag(tag), String(tag)).toBeUndefined();
    }
  });
});
