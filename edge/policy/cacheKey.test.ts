import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/helpers/errors.js';
import { seededRandom } from '../../test/helpers/random.js';
import {
  CacheKeyer,
  KEY_MEMO_ENTRIES,
  cacheKeyFor,
  canonicalPath,
  objectTypeOf,
  titleKeyPrefix,
  titleOfPath,
} from './cacheKey.js';

const options = { queryWhitelist: ['lang', 'v'] };
const key = (target: string, method = 'GET'): string => cacheKeyFor(method, target, options).key;

describe('cacheKeyFor', () => {
  it('keys a plain content path by itself, with title and object type', () => {
    expect(cacheKeyFor('GET', '/content/t1/video/v0/00001.m4s', options)).toEqual({
      key: '/content/t1/video/v0/00001.m4s',
      path: '/content/t1/video/v0/00001.m4s',
      titleId: 't1',
      objectType: 'segment',
    });
  });

  it('gives every spelling of one URL one key', () => {
    const canonical = '/content/t1/a b/seg.m4s';
    const expected = '/content/t1/a%20b/seg.m4s';
    expect(canonicalPath('/content/t1/a%20b/seg.m4s')).toBe(expected);
    expect(key('/content/%74%31/a%20b/seg%2Em4s')).toBe(expected);
    expect(key(encodeURI(canonical))).toBe(expected);
    // sub-delims and ':' '@' stay literal, whatever the client escaped
    expect(key('/content/t1/a%3Ab%40c%2Cd%3De%2Bf%24%26%3B')).toBe('/content/t1/a:b@c,d=e+f$&;');
    expect(key('/content/t1/é.m4s')).toBe('/content/t1/%C3%A9.m4s');
  });

  it('keeps only whitelisted query parameters, sorted, never CMCD or the token', () => {
    expect(key('/m.mpd?v=2&utm=x&lang=en&CMCD=bl%3D2000&token=abc')).toBe('/m.mpd?lang=en&v=2');
    expect(key('/m.mpd?lang=en&v=2')).toBe(key('/m.mpd?v=2&lang=en'));
    expect(key('/m.mpd?v=2&v=1')).toBe('/m.mpd?v=1&v=2');
    expect(key('/m.mpd?lang=a+b')).toBe(key('/m.mpd?lang=a%20b'));
    expect(key('/m.mpd?utm=1&CMCD=x')).toBe('/m.mpd');
    expect(key('/m.mpd?')).toBe('/m.mpd');
    expect(cacheKeyFor('GET', '/m.mpd?token=t&CMCD=c', { queryWhitelist: ['token', 'CMCD'] }).key).toBe(
      '/m.mpd',
    );
    expect(key('/m.mpd?lang=%ZZ')).toBe('/m.mpd?lang=%25ZZ'); // malformed query escapes are data, not an error
  });

  it('shares the GET key with HEAD and sets other methods apart', () => {
    expect(key('/a.m4s', 'HEAD')).toBe('/a.m4s');
    expect(key('/a.m4s', 'POST')).toBe('POST /a.m4s');
  });

  it('refuses traversal and malformed paths with EDGE_ERR_BAD_PATH', () => {
    for (const target of [
      '/content/../etc/passwd',
      '/content/%2e%2e/etc/passwd',
      '/content/%2E%2E/x',
      '/content/.%2e/x',
      '/content/./x',
      '/content/t1/..',
      '/content/t1/%2e',
      '/content//t1/x',
      '//content/t1',
      '/content/t1%2F..%2Fx',
      '/content/t1/a%5Cb',
      '/content/t1\\x',
      '/content/t1/%00.m4s',
      '/content/t1/a\u0000',
      '/content/t1/%0d%0aSet-Cookie:x',
      '/content/t1/%',
      '/content/t1/%zz',
      '/content/t1/%C3%28',
      '/content/t1/%ED%A0%80',
      'content/t1/a',
      '',
      'http://example.com/content/t1/a',
      '/content/t1/a#frag',
      `/content/t1/${'a'.repeat(9000)}`,
    ]) {
      expect(
        codeOf(() => cacheKeyFor('GET', target, options)),
        JSON.stringify(target.slice(0, 40)),
      ).toBe('EDGE_ERR_BAD_PATH');
    }
  });

  it('allows the root and a trailing slash', () => {
    expect(key('/')).toBe('/');
    expect(key('/content/t1/')).toBe('/content/t1/');
  });

  it('never throws anything but EDGE_ERR_BAD_PATH, and canonical keys are fixed points (seeded fuzz)', () => {
    const random = seededRandom(3986);
    const alphabet = [
      '/',
      '%',
      '2',
      'e',
      'E',
      'f',
      'F',
      '.',
      'a',
      '\\',
      '?',
      '&',
      '=',
      '+',
      '#',
      'é',
      '\u0000',
      'C',
      '0',
    ];
    for (let i = 0; i < 5000; i++) {
      let target = '/';
      const length = Math.floor(random() * 24);
      for (let j = 0; j < length; j++) target += alphabet[Math.floor(random() * alphabet.length)];
      const code = codeOf(() => cacheKeyFor('GET', target, options));
      expect([undefined, 'EDGE_ERR_BAD_PATH']).toContain(code);
      if (code === undefined) {
        const first = cacheKeyFor('GET', target, options);
        expect(cacheKeyFor('GET', first.key, options).key).toBe(first.key);
        expect(first.path.split('/').slice(1, -1)).not.toContain('');
      }
    }
  });
});

/** What cacheKeyFor answers: the info, or the error's code and message. */
function outcome(compute: () => unknown): unknown {
  try {
    return { ok: compute() };
  } catch (err) {
    const e = err as { code?: string; message: string };
    return { code: e.code, message: e.message };
  }
}

/** Random request targets from an alphabet that mixes canonical, escaped, dot and hostile pieces. */
function randomTargets(seed: number, count: number): string[] {
  const random = seededRandom(seed);
  const pieces = [
    '/',
    '/content/',
    '/content/t1/',
    'video/v0/',
    '00001.m4s',
    'init.mp4',
    'master.m3u8',
    'a',
    'Z',
    '9',
    '.',
    '..',
    '-',
    '_',
    '~',
    '%2e',
    '%2F',
    '%41',
    '%20',
    '%',
    '%zz',
    'é',
    '%C3%A9',
    '\\',
    '\u0000',
    ':',
    '@',
    '$',
    '+',
    '?',
    '?lang=en',
    '&v=2',
    '&CMCD=bl%3D1',
    '&token=x',
    '#',
  ];
  return Array.from({ length: count }, () => {
    let target = random() < 0.9 ? '/' : '';
    const length = Math.floor(random() * 10);
    for (let j = 0; j < length; j++) target += pieces[Math.floor(random() * pieces.length)];
    return target;
  });
}

describe('CacheKeyer', () => {
  it('answers exactly what cacheKeyFor answers, first time and remembered (seeded property)', () => {
    const keyer = new CacheKeyer(options);
    const targets = randomTargets(9111, 4000);
    for (const round of [1, 2]) {
      for (const [i, target] of targets.entries()) {
        const method = ['GET', 'HEAD', 'POST'][i % 3]!;
        expect(
          outcome(() => keyer.keyFor(method, target)),
          `round ${round}: ${JSON.stringify(target)}`,
        ).toEqual(outcome(() => cacheKeyFor(method, target, options)));
      }
    }
    expect(keyer.memoSize).toBeGreaterThan(100);
  });

  it('keeps its memo bounded, forgets the oldest first, and never remembers refused or overlong paths', () => {
    const keyer = new CacheKeyer(options, 3);
    for (const n of [1, 2, 3, 4]) keyer.keyFor('GET', `/content/t1/${n}.m4s`);
    expect(keyer.memoSize).toBe(3);
    expect(keyer.keyFor('GET', '/content/t1/1.m4s').key).toBe('/content/t1/1.m4s');
    expect(codeOf(() => keyer.keyFor('GET', '/content/../x'))).toBe('EDGE_ERR_BAD_PATH');
    expect(codeOf(() => keyer.keyFor('GET', '/content/../x'))).toBe('EDGE_ERR_BAD_PATH');
    const fresh = new CacheKeyer(options);
    fresh.keyFor('GET', `/content/t1/${'a'.repeat(600)}`);
    expect(codeOf(() => fresh.keyFor('GET', '/content//x'))).toBe('EDGE_ERR_BAD_PATH');
    expect(fresh.memoSize).toBe(0);
    expect(KEY_MEMO_ENTRIES).toBeGreaterThanOrEqual(1024);
  });

  it('builds the whitelist once: later changes to the options array do not reach it', () => {
    const whitelist = ['lang'];
    const keyer = new CacheKeyer({ queryWhitelist: whitelist });
    whitelist.push('v');
    expect(keyer.keyFor('GET', '/m.mpd?v=2&lang=en').key).toBe('/m.mpd?lang=en');
  });

  it('shares a remembered result between GET and HEAD and sets other methods and queries apart', () => {
    const keyer = new CacheKeyer(options);
    const get = keyer.keyFor('GET', '/content/t1/a.m4s');
    expect(keyer.keyFor('HEAD', '/content/t1/a.m4s')).toBe(get);
    expect(Object.isFrozen(get)).toBe(true);
    expect(keyer.keyFor('POST', '/content/t1/a.m4s').key).toBe('POST /content/t1/a.m4s');
    expect(keyer.keyFor('GET', '/content/t1/a.m4s?v=1&CMCD=x').key).toBe('/content/t1/a.m4s?v=1');
    expect(keyer.keyFor('GET', '/content/t1/a.m4s?CMCD=x')).toBe(get);
  });
});

describe('canonicalPath', () => {
  it('gives a path and any percent-encoded spelling of it the same answer (seeded property)', () => {
    const random = seededRandom(3986_2);
    const alphabet = "abcXYZ019-_.~!*'()$&+,;=:@/";
    for (let i = 0; i < 3000; i++) {
      let path = '/';
      const length = 1 + Math.floor(random() * 20);
      for (let j = 0; j < length; j++) path += alphabet[Math.floor(random() * alphabet.length)];
      // One character (not a separator) written as %XX: the escaped spelling takes the decoding path.
      const at = 1 + Math.floor(random() * (path.length - 1));
      const char = path[at]!;
      const escaped =
        char === '/'
          ? path
          : `${path.slice(0, at)}%${char.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}${path.slice(at + 1)}`;
      const plain = outcome(() => canonicalPath(path)) as { ok?: string; code?: string };
      const spelled = outcome(() => canonicalPath(escaped)) as { ok?: string; code?: string };
      expect(spelled.ok ?? spelled.code, `${path} vs ${escaped}`).toBe(plain.ok ?? plain.code);
    }
  });
});

describe('titleOfPath and titleKeyPrefix', () => {
  it('finds the title of content paths only', () => {
    expect(titleOfPath('/content/t1/manifest.mpd')).toBe('t1');
    expect(titleOfPath('/content/t1/v/20250301-abc/video/v0/1.m4s')).toBe('t1');
    expect(titleOfPath('/content/t1')).toBeUndefined();
    expect(titleOfPath('/other/t1/x')).toBeUndefined();
    expect(titleOfPath('/content/BAD%20ID/x')).toBeUndefined();
    expect(titleOfPath('/content/-x/y')).toBeUndefined();
  });

  it('builds a purge prefix that does not cover a longer title id', () => {
    expect(titleKeyPrefix('t1')).toBe('/content/t1/');
    expect('/content/t10/a.m4s'.startsWith(titleKeyPrefix('t1'))).toBe(false);
  });
});

describe('objectTypeOf', () => {
  it('classifies manifests, init segments, media segments and the rest', () => {
    expect(objectTypeOf('/content/t1/manifest.mpd')).toBe('manifest');
    expect(objectTypeOf('/content/t1/master.m3u8')).toBe('manifest');
    expect(objectTypeOf('/content/t1/video/v0/init.mp4')).toBe('init');
    expect(objectTypeOf('/content/t1/audio/a0/init.m4s')).toBe('init');
    expect(objectTypeOf('/content/t1/video/v0/00001.m4s')).toBe('segment');
    expect(objectTypeOf('/content/t1/progressive.mp4')).toBe('segment');
    expect(objectTypeOf('/content/t1/title.json')).toBe('other');
    expect(objectTypeOf('/content/t1/mpd')).toBe('other');
    expect(objectTypeOf('/')).toBe('other');
  });
});
