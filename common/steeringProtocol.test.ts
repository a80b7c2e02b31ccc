import { describe, expect, it } from 'vitest';
import { parseTokenPath, tokenPath } from './steeringProtocol.js';

describe('URL tokens in the path', () => {
  it('puts a token in front of a content path and takes it out again', () => {
    const token = 'k1.1767225600.L2NvbnRlbnQvbW92aWUv.' + 'A'.repeat(43);
    const path = tokenPath(token, '/content/movie/v/1/video/v0/00001.m4s');
    expect(path).toBe(`/t/${token}/content/movie/v/1/video/v0/00001.m4s`);
    expect(parseTokenPath(path)).toEqual({ token, target: '/content/movie/v/1/video/v0/00001.m4s' });
    // A relative URI resolved against a tokenised manifest URL keeps the token.
    const segment = new URL(
      'video/v0/00002.m4s',
      `http://edge${tokenPath(token, '/content/movie/manifest.mpd')}`,
    );
    expect(parseTokenPath(segment.pathname)).toEqual({ token, target: '/content/movie/video/v0/00002.m4s' });
    expect(parseTokenPath(`${path}?CMCD=sid%3D%22a%22`)!.target).toBe(
      '/content/movie/v/1/video/v0/00001.m4s?CMCD=sid%3D%22a%22',
    );
  });

  it('returns the token as sent, empty or not, for the token check to judge', () => {
    expect(parseTokenPath('/t//content/movie/a.m4s')).toEqual({ token: '', target: '/content/movie/a.m4s' });
    expect(parseTokenPath('/t/%2e%2e/content/movie/a.m4s')!.token).toBe('%2e%2e');
  });

  it('refuses targets that are not a token then /content/', () => {
    for (const target of [
      '/t/abc',
      '/t/abc/',
      '/t/abc/admin/drain',
      '/t/abc/metrics',
      '/t/abc/contentx/movie/a.m4s',
      '/t/a?b/content/movie/a.m4s',
      '/t/a/b/content/movie/a.m4s',
      '/content/movie/a.m4s',
      '/tt/abc/content/movie/a.m4s',
      '/t',
    ]) {
      expect(parseTokenPath(target), target).toBeUndefined();
    }
  });
});
