/** Our parser against an independent one (video.js m3u8-parser) on the fixtures and on what we write. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Parser } from 'm3u8-parser';
import { describe, expect, it } from 'vitest';
import {
  type HlsMasterPlaylist,
  type HlsMediaPlaylist,
  parseHlsMaster,
  parseHlsMedia,
  rewriteHlsMaster,
  rewriteHlsMedia,
  validateHlsPlaylist,
  writeHlsPlaylist,
} from './index.js';

const fixtureText = (name: string): string =>
  readFileSync(join(import.meta.dirname, '../testdata/shaka', name), 'utf8');

function m3u8Parse(text: string): Parser['manifest'] {
  const parser = new Parser();
  parser.push(text);
  parser.end();
  return parser.manifest;
}

/** Both parsers agree on variant URIs and bandwidths, and on the rendition URIs per group. */
function expectMasterAgreement(text: string, ours: HlsMasterPlaylist): void {
  const theirs = m3u8Parse(text);
  expect(theirs.playlists?.map((p) => p.uri)).toEqual(ours.variants.map((v) => v.uri));
  expect(theirs.playlists?.map((p) => p.attributes.BANDWIDTH)).toEqual(
    ours.variants.map((v) => v.bandwidthBps),
  );
  for (const r of ours.renditions.filter((x) => x.type === 'AUDIO')) {
    expect(theirs.mediaGroups?.AUDIO?.[r.groupId!]?.[r.name!]?.uri).toBe(r.uri);
  }
}

/** Both parsers agree on segment count, URIs, durations, map URIs, target duration and end list. */
function expectMediaAgreement(text: string, ours: HlsMediaPlaylist): void {
  const theirs = m3u8Parse(text);
  expect(theirs.segments.map((s) => s.uri)).toEqual(ours.segments.map((s) => s.uri));
  expect(theirs.segments.map((s) => s.duration)).toEqual(ours.segments.map((s) => s.durationS));
  expect(theirs.segments.map((s) => s.map?.uri)).toEqual(ours.segments.map((s) => s.map?.uri));
  expect(theirs.targetDuration).toBe(ours.targetDurationS);
  expect(theirs.endList ?? false).toBe(ours.endList);
  expect(theirs.playlistType).toBe(ours.playlistType);
}

const steering = {
  serverUri: 'https://steer.example/v1/steering-manifest?title=t1',
  pathways: [
    { id: 'edge-a', baseUrl: 'https://a.edge.example/content/t1/v1/' },
    { id: 'edge-b', baseUrl: 'https://b.edge.example/content/t1/v1/' },
    { id: 'edge-c', baseUrl: 'https://c.edge.example/content/t1/v1/' },
  ],
};

describe('m3u8-parser agrees', () => {
  it('on the shaka master, as read and as written', () => {
    const text = fixtureText('master.m3u8');
    const master = parseHlsMaster(text);
    expect(master.variants).toHaveLength(2);
    expectMasterAgreement(text, master);
    expectMasterAgreement(writeHlsPlaylist(master), master);
  });

  it.each(['video-playlist.m3u8', 'audio-playlist.m3u8'])('on %s, as read and as written', (name) => {
    const text = fixtureText(name);
    const media = parseHlsMedia(text);
    expect(media.segments).toHaveLength(3);
    expectMediaAgreement(text, media);
    expectMediaAgreement(writeHlsPlaylist(media), media);
  });

  it('on a rewritten media playlist (base URL + token)', () => {
    const media = rewriteHlsMedia(parseHlsMedia(fixtureText('audio-playlist.m3u8')), {
      baseUrl: 'https://edge.example/content/t1/v1/audio/a0/playlist.m3u8',
      query: { token: 'abc' },
    });
    const text = writeHlsPlaylist(media);
    expectMediaAgreement(text, media);
    expect(m3u8Parse(text).segments[0]?.map?.uri).toBe(
      'https://edge.example/content/t1/v1/audio/a0/init.mp4?token=abc',
    );
  });

  it('on a steered master: variants × 3, groups × 3, contentSteering visible', () => {
    const master = rewriteHlsMaster(parseHlsMaster(fixtureText('master.m3u8')), {
      query: { token: 'abc' },
      steering,
    });
    const text = writeHlsPlaylist(master);
    expect(validateHlsPlaylist(text)).toEqual([]);
    expectMasterAgreement(text, master);
    const theirs = m3u8Parse(text);
    expect(theirs.contentSteering).toEqual({
      serverUri: 'https://steer.example/v1/steering-manifest?title=t1&token=abc',
      pathwayId: 'edge-a',
    });
    expect(theirs.playlists).toHaveLength(6);
    expect(theirs.playlists?.map((p) => p.attributes['PATHWAY-ID'])).toEqual([
      'edge-a',
      'edge-a',
      'edge-b',
      'edge-b',
      'edge-c',
      'edge-c',
    ]);
    expect(Object.keys(theirs.mediaGroups?.AUDIO ?? {})).toEqual([
      'audio-edge-a',
      'audio-edge-b',
      'audio-edge-c',
    ]);
    for (const p of theirs.playlists ?? []) {
      const pathway = String(p.attributes['PATHWAY-ID']);
      expect(p.uri.startsWith(`https://${pathway.slice(-1)}.edge.example/`)).toBe(true);
      expect(p.attributes.AUDIO).toBe(`audio-${pathway}`);
    }
  });
});
