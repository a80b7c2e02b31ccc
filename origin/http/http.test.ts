import { describe, expect, it } from 'vitest';
import { parseMpd } from '../../manifests/dash/index.js';
import { parseHlsMaster } from '../../manifests/hls/index.js';
import { bearerChecker, bearerToken } from './auth.js';
import { cacheControlFor, classifyContent } from './cacheControl.js';
import {
  evaluatePreconditions,
  parseEntityTags,
  rangeAllowed,
  type Validators,
} from '../../common/http/conditional.js';
import { mimeTypeFor } from './mime.js';
import { isInside, parseContentPath, unsafeSegmentReason } from './paths.js';
import { isRelativePathUri, pinDashManifest, pinHlsMaster } from './pin.js';
import { contentRange, parseRange, unsatisfiedContentRange } from '../../common/http/range.js';

describe('parseRange (RFC 9110 §14)', () => {
  const cases: [string | undefined, number, ReturnType<typeof parseRange>][] = [
    [undefined, 100, { kind: 'full' }],
    ['bytes=0-9', 100, { kind: 'partial', start: 0, end: 9 }],
    ['bytes=90-', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=90-500', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-10', 100, { kind: 'partial', start: 90, end: 99 }],
    ['bytes=-500', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=99-99', 100, { kind: 'partial', start: 99, end: 99 }],
    ['BYTES = 5-6', 100, { kind: 'partial', start: 5, end: 6 }],
    ['bytes=5-6,', 100, { kind: 'partial', start: 5, end: 6 }],
    ['bytes=100-', 100, { kind: 'unsatisfiable' }],
    ['bytes=100-200', 100, { kind: 'unsatisfiable' }],
    ['bytes=-0', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-', 0, { kind: 'unsatisfiable' }],
    ['bytes=-5', 0, { kind: 'unsatisfiable' }],
    ['bytes=99999999999999999999-', 100, { kind: 'unsatisfiable' }],
    ['bytes=0-99999999999999999999', 100, { kind: 'partial', start: 0, end: 99 }],
    ['bytes=9-5', 100, { kind: 'full' }],
    ['bytes=0-1,5-6', 100, { kind: 'full' }],
    ['items=0-5', 100, { kind: 'full' }],
    ['bytes=abc', 100, { kind: 'full' }],
    ['bytes=', 100, { kind: 'full' }],
    ['bytes=1.5-2', 100, { kind: 'full' }],
    ['bytes=--5', 100, { kind: 'full' }],
    ['', 100, { kind: 'full' }],
  ];
  for (const [header, size, expected] of cases) {
    it(`${JSON.stringify(header)} of ${size} bytes → ${expected.kind}`, () => {
      expect(parseRange(header, size)).toEqual(expected);
    });
  }
  it('formats Content-Range for 206 and 416', () => {
    expect(contentRange(0, 9, 100)).toBe('bytes 0-9/100');
    expect(unsatisfiedContentRange(100)).toBe('bytes */100');
  });
});

describe('conditional requests (RFC 9110 §13.2.2)', () => {
  const v: Validators = { etag: '"abc"', lastModifiedMs: Date.parse('2025-01-02T03:04:05.678Z') };
  const lm = 'Thu, 02 Jan 2025 03:04:05 GMT';
  const earlier = 'Thu, 02 Jan 2025 03:04:04 GMT';
  const later = 'Thu, 02 Jan 2025 03:04:06 GMT';
  const cases: [string, string, Parameters<typeof evaluatePreconditions>[1], string][] = [
    ['no conditions', 'GET', {}, 'proceed'],
    ['If-None-Match matching', 'GET', { ifNoneMatch: '"abc"' }, 'not-modified'],
    ['If-None-Match in a list, weakly', 'GET', { ifNoneMatch: '"x", W/"abc"' }, 'not-modified'],
    ['If-None-Match *', 'HEAD', { ifNoneMatch: '*' }, 'not-modified'],
    ['If-None-Match other', 'GET', { ifNoneMatch: '"x"' }, 'proceed'],
    ['If-None-Match matching on POST', 'POST', { ifNoneMatch: '"abc"' }, 'precondition-failed'],
    ['If-Modified-Since equal', 'GET', { ifModifiedSince: lm }, 'not-modified'],
    ['If-Modified-Since later', 'GET', { ifModifiedSince: later }, 'not-modified'],
    ['If-Modified-Since earlier', 'GET', { ifModifiedSince: earlier }, 'proceed'],
    ['If-Modified-Since invalid date is ignored', 'GET', { ifModifiedSince: 'yesterday-ish' }, 'proceed'],
    [
      'If-Modified-Since ignored when If-None-Match is present',
      'GET',
      { ifNoneMatch: '"x"', ifModifiedSince: later },
      'proceed',
    ],
    ['If-Modified-Since ignored for POST', 'POST', { ifModifiedSince: later }, 'proceed'],
    ['If-Match strong', 'GET', { ifMatch: '"abc"' }, 'proceed'],
    ['If-Match *', 'GET', { ifMatch: '*' }, 'proceed'],
    ['If-Match weak never matches', 'GET', { ifMatch: 'W/"abc"' }, 'precondition-failed'],
    ['If-Match other', 'GET', { ifMatch: '"x"' }, 'precondition-failed'],
    ['If-Unmodified-Since earlier', 'GET', { ifUnmodifiedSince: earlier }, 'precondition-failed'],
    ['If-Unmodified-Since equal', 'GET', { ifUnmodifiedSince: lm }, 'proceed'],
    [
      'If-Unmodified-Since ignored under If-Match',
      'GET',
      { ifMatch: '"abc"', ifUnmodifiedSince: earlier },
      'proceed',
    ],
    [
      'If-Match failing before If-None-Match',
      'GET',
      { ifMatch: '"x"', ifNoneMatch: '"abc"' },
      'precondition-failed',
    ],
  ];
  for (const [name, method, headers, expected] of cases) {
    it(name, () => expect(evaluatePreconditions(method, headers, v).kind).toBe(expected));
  }
  it('If-Range: a strong ETag match or the exact Last-Modified date lets the range apply', () => {
    expect(rangeAllowed(undefined, v)).toBe(true);
    expect(rangeAllowed('"abc"', v)).toBe(true);
    expect(rangeAllowed('W/"abc"', v)).toBe(false);
    expect(rangeAllowed('"x"', v)).toBe(false);
    expect(rangeAllowed(lm, v)).toBe(true);
    expect(rangeAllowed(earlier, v)).toBe(false);
    expect(rangeAllowed('garbage', v)).toBe(false);
  });
  it('parses entity-tag lists, skipping malformed members', () => {
    expect(parseEntityTags(' * ')).toBe('*');
    expect(parseEntityTags('"a", W/"b", c, "d')).toEqual([
      { weak: false, opaque: 'a' },
      { weak: true, opaque: 'b' },
    ]);
  });
});

describe('cache control', () => {
  const policy = { manifestMaxAgeS: 2, manifestStaleWhileRevalidateS: 30 };
  it('classifies package paths', () => {
    expect(classifyContent('manifest.mpd')).toBe('manifest');
    expect(classifyContent('master.m3u8')).toBe('manifest');
    expect(classifyContent('video/v0/playlist.m3u8')).toBe('playlist');
    expect(classifyContent('video/v0/init.mp4')).toBe('init');
    expect(classifyContent('video/v0/00001.m4s')).toBe('segment');
    expect(classifyContent('title.json')).toBe('metadata');
  });
  it('makes everything versioned immutable for a year and everything current short-lived', () => {
    for (const kind of ['manifest', 'playlist', 'init', 'segment', 'metadata'] as const) {
      expect(cacheControlFor({ versioned: true, kind }, policy)).toBe('public, max-age=31536000, immutable');
      expect(cacheControlFor({ versioned: false, kind }, policy)).toBe(
        'public, max-age=2, stale-while-revalidate=30, stale-if-error=86400',
      );
    }
  });
});

describe('media types', () => {
  it.each([
    ['manifest.mpd', 'application/dash+xml'],
    ['master.m3u8', 'application/vnd.apple.mpegurl'],
    ['video/v0/00001.m4s', 'video/mp4'],
    ['video/v0/init.mp4', 'video/mp4'],
    ['audio/a0/00001.m4s', 'audio/mp4'],
    ['audio/a0/init.mp4', 'audio/mp4'],
    ['title.json', 'application/json; charset=utf-8'],
    ['weird.bin', 'application/octet-stream'],
    ['VIDEO/V0/SEG.M4S', 'video/mp4'],
  ])('%s → %s', (path, type) => expect(mimeTypeFor(path)).toBe(type));
});

describe('content paths', () => {
  it('parses current and versioned paths', () => {
    expect(parseContentPath('movie/manifest.mpd')).toEqual({
      kind: 'current',
      titleId: 'movie',
      path: 'manifest.mpd',
    });
    expect(parseContentPath('movie/video/v0/00001.m4s')).toEqual({
      kind: 'current',
      titleId: 'movie',
      path: 'video/v0/00001.m4s',
    });
    expect(parseContentPath('movie/v/20250101T000000Z-abc/video/v0/init.mp4')).toEqual({
      kind: 'versioned',
      titleId: 'movie',
      version: '20250101T000000Z-abc',
      path: 'video/v0/init.mp4',
    });
    expect(parseContentPath('movie/video%2Dx/a.m4s')).toMatchObject({
      kind: 'current',
      path: 'video-x/a.m4s',
    });
  });
  it.each([
    ['', 'empty path segment'],
    ['movie', 'no file named'],
    ['movie/', 'empty path segment'],
    ['movie/v/abc', 'versioned path without a file'],
    ['Movie/manifest.mpd', 'bad title id'],
    ['movie/../x', 'dot segment'],
    ['movie/./x', 'dot segment'],
    ['movie/%2e%2e/x', 'dot segment'],
    ['movie/%2E%2e/x', 'dot segment'],
    ['movie/a%2fb', 'encoded separator'],
    ['movie/a%5cb', 'encoded separator'],
    ['movie/a\\b', 'encoded separator'],
    ['movie//etc/passwd', 'empty path segment'],
    ['/etc/passwd', 'empty path segment'],
    ['movie/a%00b', 'control character'],
    ['movie/a%0ab', 'control character'],
    ['movie/.hidden', 'hidden name'],
    ['movie/%ZZ', 'malformed percent-encoding'],
    ['movie/v/bad%20version/x', 'bad version'],
    [`movie/${'a'.repeat(1100)}`, 'path too long'],
  ])('refuses %j (%s)', (raw, reason) => {
    expect(parseContentPath(raw)).toEqual({ kind: 'bad', reason });
  });
  it('names the unsafe segment reasons', () => {
    expect(unsafeSegmentReason('ok.m4s')).toBeUndefined();
    expect(unsafeSegmentReason('..')).toBe('dot segment');
  });
  it('tells whether a path is strictly inside a root', () => {
    expect(isInside('/data/ingest', '/data/ingest/a.mp4')).toBe(true);
    expect(isInside('/data/ingest', '/data/ingest/sub/a.mp4')).toBe(true);
    expect(isInside('/data/ingest', '/data/ingest')).toBe(false);
    expect(isInside('/data/ingest', '/data/ingest-other/a.mp4')).toBe(false);
    expect(isInside('/data/ingest', '/data/a.mp4')).toBe(false);
    expect(isInside('/data/ingest', '/etc/passwd')).toBe(false);
    expect(isInside('/data/ingest', '/data/ingest/..foo')).toBe(true);
  });
});

describe('pinning manifests to a version', () => {
  const mpd = `<?xml version="1.0" encoding="UTF-8"?>
<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="urn:mpeg:dash:profile:isoff-live:2011" minBufferTime="PT2S" type="static" mediaPresentationDuration="PT8S">
  <Period id="0">
    <AdaptationSet id="0" contentType="video">
      <Representation id="v0" bandwidth="1000" codecs="avc1.64001e" mimeType="video/mp4" width="320" height="180">
        <SegmentTemplate timescale="1000" initialization="video/v0/init.mp4" media="video/v0/$Number%05d$.m4s" startNumber="1" duration="4000"/>
      </Representation>
    </AdaptationSet>
  </Period>
</MPD>
`;
  it('adds an MPD-level BaseURL and keeps the rest of the MPD', () => {
    const pinned = parseMpd(pinDashManifest(mpd, 'v/123-abc/'));
    expect(pinned.baseUrls).toEqual([{ url: 'v/123-abc/' }]);
    expect(pinned.periods).toEqual(parseMpd(mpd).periods);
  });
  it('prefixes existing relative MPD BaseURLs and keeps absolute ones', () => {
    const withBase = mpd.replace(
      '<Period',
      '<BaseURL>media/</BaseURL>\n  <BaseURL>https://cdn.example/t/</BaseURL>\n  <Period',
    );
    expect(parseMpd(pinDashManifest(withBase, 'v/1/')).baseUrls.map((b) => b.url)).toEqual([
      'v/1/media/',
      'https://cdn.example/t/',
    ]);
    const absoluteOnly = mpd.replace('<Period', '<BaseURL>https://cdn.example/t/</BaseURL>\n  <Period');
    expect(parseMpd(pinDashManifest(absoluteOnly, 'v/1/')).baseUrls.map((b) => b.url)).toEqual([
      'https://cdn.example/t/',
    ]);
  });
  it('prefixes every relative URI of an HLS master, leaving absolute ones', () => {
    const master = [
      '#EXTM3U',
      '#EXT-X-INDEPENDENT-SEGMENTS',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="en",URI="audio/a0/playlist.m3u8"',
      '#EXT-X-STREAM-INF:BANDWIDTH=200000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=320x180,AUDIO="audio"',
      'video/v0/playlist.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=400000,CODECS="avc1.64001e,mp4a.40.2",RESOLUTION=640x360,AUDIO="audio"',
      'https://other.example/v1.m3u8',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=50000,CODECS="avc1.64001e",URI="video/v0/iframes.m3u8"',
      '',
    ].join('\n');
    const pinned = parseHlsMaster(pinHlsMaster(master, 'v/9/'));
    expect(pinned.variants.map((v) => v.uri)).toEqual([
      'v/9/video/v0/playlist.m3u8',
      'https://other.example/v1.m3u8',
    ]);
    expect(pinned.renditions.map((r) => r.uri)).toEqual(['v/9/audio/a0/playlist.m3u8']);
    expect(pinned.iFrameVariants.map((r) => r.uri)).toEqual(['v/9/video/v0/iframes.m3u8']);
  });
  it('refuses what does not parse', () => {
    expect(() => pinHlsMaster('not a playlist', 'v/1/')).toThrow();
    expect(() => pinDashManifest('<html/>', 'v/1/')).toThrow();
  });
  it('tells relative-path URIs (RFC 3986 §4.2)', () => {
    expect(isRelativePathUri('video/a.m3u8')).toBe(true);
    expect(isRelativePathUri('/abs/a.m3u8')).toBe(false);
    expect(isRelativePathUri('//host/a.m3u8')).toBe(false);
    expect(isRelativePathUri('https://h/a')).toBe(false);
    expect(isRelativePathUri('data:abc')).toBe(false);
    expect(isRelativePathUri('')).toBe(false);
  });
});

describe('bearer tokens', () => {
  const check = bearerChecker(['secret-token-1234567890', 'read-token-1234567890']);
  it('extracts a bearer token (RFC 6750 §2.1)', () => {
    expect(bearerToken('Bearer abc.def')).toBe('abc.def');
    expect(bearerToken('bearer abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });
  it('accepts any allowed token, tells missing from wrong', () => {
    expect(check('Bearer secret-token-1234567890')).toEqual({ kind: 'ok' });
    expect(check('Bearer read-token-1234567890')).toEqual({ kind: 'ok' });
    expect(check('Bearer secret-token-123456789')).toEqual({ kind: 'wrong' });
    expect(check('Bearer secret-token-12345678901')).toEqual({ kind: 'wrong' });
    expect(check(undefined)).toEqual({ kind: 'missing' });
    expect(check('Token secret-token-1234567890')).toEqual({ kind: 'missing' });
    expect(bearerChecker([])('Bearer anything')).toEqual({ kind: 'wrong' });
  });
});
