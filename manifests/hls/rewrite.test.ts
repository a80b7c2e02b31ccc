import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import {
  type HlsMasterPlaylist,
  type HlsMediaPlaylist,
  type HlsSteeringOptions,
  parseHlsMaster,
  parseHlsMedia,
  rewriteHlsMaster,
  rewriteHlsMedia,
  validateHlsPlaylist,
  withQueryParams,
  writeHlsPlaylist,
} from './index.js';

const fixture = (name: string): Buffer => readFileSync(join(import.meta.dirname, '../testdata/shaka', name));

const master = (): HlsMasterPlaylist =>
  parseHlsMaster(
    [
      '#EXTM3U',
      '#EXT-X-VERSION:5',
      '#EXT-X-SESSION-DATA:DATA-ID="com.example.meta",URI="meta.json"',
      '#EXT-X-SESSION-KEY:METHOD=SAMPLE-AES,URI="skd://key-server/k1",KEYFORMAT="com.apple.streamingkeydelivery"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="English",DEFAULT=YES,URI="audio/en.m3u8?token=old&lang=en"',
      '#EXT-X-MEDIA:TYPE=AUDIO,GROUP-ID="audio",NAME="Deutsch",URI="../shared/de.m3u8"',
      '#EXT-X-MEDIA:TYPE=SUBTITLES,GROUP-ID="subs",NAME="English",URI="subs/en.m3u8#frag"',
      '#EXT-X-MEDIA:TYPE=CLOSED-CAPTIONS,GROUP-ID="cc",NAME="CC1",INSTREAM-ID="CC1"',
      '#EXT-X-STREAM-INF:BANDWIDTH=1000000,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio",SUBTITLES="subs",CLOSED-CAPTIONS="cc"',
      'video/v0/playlist.m3u8',
      '#EXT-X-STREAM-INF:BANDWIDTH=2000000,CODECS="avc1.64001f,mp4a.40.2",AUDIO="audio",SUBTITLES="subs",CLOSED-CAPTIONS="cc"',
      'https://elsewhere.example/v1.m3u8?a=1',
      '#EXT-X-I-FRAME-STREAM-INF:BANDWIDTH=100000,CODECS="avc1.64001f",URI="video/v0/iframes.m3u8"',
    ].join('\n'),
  );

const media = (): HlsMediaPlaylist =>
  parseHlsMedia(
    [
      '#EXTM3U',
      '#EXT-X-VERSION:6',
      '#EXT-X-TARGETDURATION:4',
      '#EXT-X-KEY:METHOD=AES-128,URI="https://keys.example/k1"',
      '#EXT-X-MAP:URI="init.mp4"',
      '#EXTINF:4,',
      '00001.m4s',
      '#EXTINF:4,',
      '../other/00002.m4s?token=old&x=%20y',
      '#EXTINF:4,',
      'https://cdn.example/abs/00003.m4s',
      '#EXT-X-ENDLIST',
    ].join('\n'),
  );

function errorOf(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('withQueryParams', () => {
  it.each([
    ['a.m4s', 'a.m4s?token=t'],
    ['a.m4s?x=1', 'a.m4s?x=1&token=t'],
    ['a.m4s?token=old&x=1', 'a.m4s?x=1&token=t'],
    ['a.m4s?tok%65n=old', 'a.m4s?token=t'],
    ['a.m4s?x=%zz&&y', 'a.m4s?x=%zz&y&token=t'],
    ['a.m4s#t=10', 'a.m4s?token=t#t=10'],
    ['a.m4s?x=1#f?g', 'a.m4s?x=1&token=t#f?g'],
    ['https://h.example/p?token=1&token=2', 'https://h.example/p?token=t'],
  ])('%s → %s', (uri, expected) => {
    expect(withQueryParams(uri, { token: 't' })).toBe(expected);
  });

  it('percent-encodes names and values (no quote can reach a quoted-string)', () => {
    expect(withQueryParams('a', { 'k y': 'v"&=' })).toBe('a?k%20y=v%22%26%3D');
    expect(withQueryParams('a?b=1', {})).toBe('a?b=1');
  });
});

describe('rewriteHlsMedia', () => {
  it('resolves relative URIs (including ../) against baseUrl, keeps absolute ones, tokens segments and EXT-X-MAP, not keys', () => {
    const input = media();
    const before = structuredClone(input);
    const out = rewriteHlsMedia(input, {
      baseUrl: 'https://edge.example/content/t1/v1/video/v0/playlist.m3u8',
      query: { token: 'T' },
    });
    expect(input).toStrictEqual(before); // never mutated
    expect(out.segments.map((s) => s.uri)).toEqual([
      'https://edge.example/content/t1/v1/video/v0/00001.m4s?token=T',
      'https://edge.example/content/t1/v1/video/other/00002.m4s?x=%20y&token=T',
      'https://cdn.example/abs/00003.m4s?token=T',
    ]);
    for (const s of out.segments) {
      expect(s.map).toStrictEqual({ uri: 'https://edge.example/content/t1/v1/video/v0/init.mp4?token=T' });
      expect(s.keys).toStrictEqual([{ method: 'AES-128', uri: 'https://keys.example/k1' }]);
    }
    expect(out.segments[0]!.map).toBe(out.segments[2]!.map); // still one EXT-X-MAP
    expect(out.segments[0]!.map).not.toBe(input.segments[0]!.map);
    expect(validateHlsPlaylist(writeHlsPlaylist(out))).toEqual([]);
    expect(writeHlsPlaylist(out).match(/#EXT-X-MAP/g)).toHaveLength(1);
  });

  it('with only a query, relative URIs stay relative', () => {
    const out = rewriteHlsMedia(parseHlsMedia(fixture('video-playlist.m3u8')), { query: { token: 'T' } });
    expect(out.segments.map((s) => s.uri)).toEqual([
      '00001.m4s?token=T',
      '00002.m4s?token=T',
      '00003.m4s?token=T',
    ]);
    expect(out.segments[0]!.map!.uri).toBe('init.mp4?token=T');
  });

  it('refuses a relative baseUrl with MANIFEST_ERR_INVALID', () => {
    const error = errorOf(() => rewriteHlsMedia(media(), { baseUrl: '/content/t1/' }));
    expect(isCdnError(error, 'MANIFEST_ERR_INVALID')).toBe(true);
  });
});

describe('rewriteHlsMaster', () => {
  it('tokens every URI kind (variants, renditions, I-frames, session data), replacing an old token; keys untouched', () => {
    const out = rewriteHlsMaster(master(), {
      baseUrl: 'https://edge.example/t1/v1/master.m3u8',
      query: { token: 'T' },
    });
    expect(out.variants.map((v) => v.uri)).toEqual([
      'https://edge.example/t1/v1/video/v0/playlist.m3u8?token=T',
      'https://elsewhere.example/v1.m3u8?a=1&token=T',
    ]);
    expect(out.renditions.map((r) => r.uri)).toEqual([
      'https://edge.example/t1/v1/audio/en.m3u8?lang=en&token=T',
      'https://edge.example/t1/shared/de.m3u8?token=T',
      'https://edge.example/t1/v1/subs/en.m3u8?token=T#frag',
      undefined,
    ]);
    expect(out.iFrameVariants[0]!.uri).toBe('https://edge.example/t1/v1/video/v0/iframes.m3u8?token=T');
    expect(out.sessionData[0]!.uri).toBe('https://edge.example/t1/v1/meta.json?token=T');
    expect(out.sessionKeys[0]!.uri).toBe('skd://key-server/k1');
    expect(validateHlsPlaylist(writeHlsPlaylist(out))).toEqual([]);
  });

  const steering: HlsSteeringOptions = {
    serverUri: '/v1/steering-manifest?title=t1&token=old',
    pathways: [
      { id: 'edge-a', baseUrl: 'https://a.edge.example/t1/v1/' },
      { id: 'edge_b.2', baseUrl: 'https://b.edge.example/t1/v1/' },
      { id: 'EDGE-C', baseUrl: 'https://c.edge.example/t1/v1/' },
    ],
    defaultPathwayId: 'edge_b.2',
  };

  it('content steering with 3 pathways: variants × 3, groups × 3, EXT-X-CONTENT-STEERING, URIs on their pathway host', () => {
    const input = master();
    const before = structuredClone(input);
    const out = rewriteHlsMaster(input, {
      baseUrl: 'https://origin.example/t1/v1/master.m3u8',
      query: { token: 'T' },
      steering,
    });
    expect(input).toStrictEqual(before);
    expect(out.contentSteering).toStrictEqual({
      serverUri: 'https://origin.example/v1/steering-manifest?title=t1&token=T',
      pathwayId: 'edge_b.2',
    });
    expect(out.variants).toHaveLength(6);
    expect(out.iFrameVariants).toHaveLength(3);
    const hosts = { 'edge-a': 'a', 'edge_b.2': 'b', 'EDGE-C': 'c' } as const;
    for (const v of [...out.variants, ...out.iFrameVariants]) {
      const host = hosts[v.pathwayId as keyof typeof hosts];
      if (!v.uri.startsWith('https://elsewhere.example/'))
        expect(v.uri).toMatch(new RegExp(`^https://${host}\\.edge\\.example/`));
      expect(v.uri).toMatch(/[?&]token=T(#|$)/);
    }
    for (const v of out.variants) {
      expect(v.audioGroupId).toBe(`audio-${v.pathwayId}`);
      expect(v.subtitlesGroupId).toBe(`subs-${v.pathwayId}`);
      expect(v.closedCaptions).toStrictEqual({ groupId: 'cc' }); // in-band captions: one shared group
    }
    // Groups × 3 (CLOSED-CAPTIONS shared), each rendition on its pathway's host.
    expect(out.renditions).toHaveLength(1 + 3 * 3);
    for (const [id, host] of Object.entries(hosts)) {
      const group = out.renditions.filter((r) => r.groupId === `audio-${id}`);
      expect(group.map((r) => r.name)).toEqual(['English', 'Deutsch']);
      expect(group.map((r) => r.uri)).toEqual([
        `https://${host}.edge.example/t1/v1/audio/en.m3u8?lang=en&token=T`,
        `https://${host}.edge.example/t1/shared/de.m3u8?token=T`,
      ]);
      expect(group.map((r) => r.default)).toEqual([true, undefined]);
    }
    const text = writeHlsPlaylist(out);
    expect(text).toContain(
      '#EXT-X-CONTENT-STEERING:SERVER-URI="https://origin.example/v1/steering-manifest?title=t1&token=T",PATHWAY-ID="edge_b.2"\n',
    );
    expect(validateHlsPlaylist(text)).toEqual([]);
  });

  it('the default pathway is the first one unless named', () => {
    const out = rewriteHlsMaster(parseHlsMaster(fixture('master.m3u8')), {
      steering: { serverUri: 'https://s.example/steer', pathways: steering.pathways },
    });
    expect(out.contentSteering).toStrictEqual({ serverUri: 'https://s.example/steer', pathwayId: 'edge-a' });
    expect(out.variants.map((v) => v.uri)).toContain('https://c.edge.example/t1/v1/video/v1/playlist.m3u8');
  });

  it.each([
    ['a pathway id with a space', [{ id: 'edge a', baseUrl: 'https://a.example/' }]],
    ['a pathway id with a slash', [{ id: 'edge/a', baseUrl: 'https://a.example/' }]],
    ['a pathway id with a quote', [{ id: 'edge"a', baseUrl: 'https://a.example/' }]],
    ['an empty pathway id', [{ id: '', baseUrl: 'https://a.example/' }]],
    ['a non-ASCII pathway id', [{ id: 'édge', baseUrl: 'https://a.example/' }]],
    [
      'a pathway listed twice',
      [
        { id: 'a', baseUrl: 'https://a.example/' },
        { id: 'a', baseUrl: 'https://b.example/' },
      ],
    ],
    ['no pathway', []],
    ['a relative pathway base without baseUrl', [{ id: 'a', baseUrl: '/t1/' }]],
  ])('refuses %s with MANIFEST_ERR_INVALID', (_, pathways) => {
    const error = errorOf(() =>
      rewriteHlsMaster(master(), { steering: { serverUri: 'https://s.example/', pathways } }),
    );
    expect(isCdnError(error, 'MANIFEST_ERR_INVALID')).toBe(true);
  });

  it('refuses an unknown default pathway, and steering an already steered master', () => {
    const pathways = [{ id: 'a', baseUrl: 'https://a.example/' }];
    const unknown = errorOf(() =>
      rewriteHlsMaster(master(), {
        steering: { serverUri: 'https://s.example/', pathways, defaultPathwayId: 'b' },
      }),
    );
    expect(isCdnError(unknown, 'MANIFEST_ERR_INVALID')).toBe(true);
    const steered = rewriteHlsMaster(master(), { steering: { serverUri: 'https://s.example/', pathways } });
    const again = errorOf(() =>
      rewriteHlsMaster(steered, { steering: { serverUri: 'https://s.example/', pathways } }),
    );
    expect(isCdnError(again, 'MANIFEST_ERR_INVALID')).toBe(true);
  });

  it('refuses pathway group ids that would collide', () => {
    const m = master();
    m.renditions.push({ type: 'AUDIO', groupId: 'audio-x', name: 'Other' });
    const pathways = [
      { id: 'x-y', baseUrl: 'https://a.example/' },
      { id: 'y', baseUrl: 'https://b.example/' },
    ];
    const error = errorOf(() =>
      rewriteHlsMaster(m, { steering: { serverUri: 'https://s.example/', pathways } }),
    );
    expect(isCdnError(error, 'MANIFEST_ERR_INVALID')).toBe(true);
  });
});
