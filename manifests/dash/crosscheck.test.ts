/**
 * Cross-check with an independent reader: video.js's mpd-parser (the parser of VHS) must see the same
 * ladder, segments and URLs as this library, for shaka's MPD and for the MPDs this library writes.
 */
import { readFileSync } from 'node:fs';
import { parse, type MpdManifest, type MpdPlaylist } from 'mpd-parser';
import { describe, expect, it } from 'vitest';
import { parseMpd } from './parse.js';
import { rewriteMpd } from './rewrite.js';
import { mpdDurationS, representationsOf, segmentsOf } from './segments.js';
import type { Mpd } from './types.js';
import { writeMpd } from './write.js';

const fixtureText = readFileSync(new URL('../testdata/shaka/manifest.mpd', import.meta.url), 'utf8');
const MANIFEST_URL = 'https://e.example/t/manifest.mpd';

function allPlaylists(manifest: MpdManifest): MpdPlaylist[] {
  const audio = Object.values(manifest.mediaGroups.AUDIO).flatMap((group) =>
    Object.values(group).flatMap((rendition) => rendition.playlists),
  );
  return [...manifest.playlists, ...audio];
}

/** Both readers agree on the ladder, the segments (count, durations, resolved URLs) and the duration. */
function expectAgreement(text: string, serviceLocations: readonly string[] = []): MpdManifest {
  const theirs = parse(text, { manifestUri: MANIFEST_URL });
  const ours = parseMpd(text);
  const reps = representationsOf(ours);
  const playlists = allPlaylists(theirs);
  expect(playlists).toHaveLength(reps.length * Math.max(1, serviceLocations.length));
  expect(theirs.duration).toBe(mpdDurationS(ours));
  for (const playlist of playlists) {
    const rep = reps.find((r) => r.id === playlist.attributes.NAME);
    expect(rep, `Representation ${String(playlist.attributes.NAME)}`).toBeDefined();
    expect(playlist.attributes.BANDWIDTH).toBe(rep!.bandwidthBps);
    expect(playlist.attributes.CODECS).toBe(rep!.codecs);
    if (rep!.contentType === 'video') {
      expect(playlist.attributes.RESOLUTION).toEqual({ width: rep!.width, height: rep!.height });
    }
    const serviceLocation = playlist.attributes['serviceLocation'];
    if (serviceLocations.length > 0) expect(serviceLocations).toContain(serviceLocation);
    const expanded = segmentsOf(ours, rep!, {
      manifestUrl: MANIFEST_URL,
      ...(serviceLocation ? { serviceLocation } : {}),
    });
    expect(playlist.segments).toHaveLength(expanded.segments.length);
    playlist.segments.forEach((segment, i) => {
      const mine = expanded.segments[i]!;
      expect(segment.resolvedUri).toBe(mine.resolvedMediaUrl);
      expect(segment.duration).toBeCloseTo(mine.durationS, 9);
      expect(segment.map?.resolvedUri).toBe(expanded.resolvedInitUrl);
    });
  }
  return theirs;
}

describe('mpd-parser agrees with this library', () => {
  it('on the shaka fixture', () => {
    const theirs = expectAgreement(fixtureText);
    expect(theirs.playlists).toHaveLength(2);
    expect(allPlaylists(theirs)[2]!.segments.map((s) => s.resolvedUri)).toEqual([
      'https://e.example/t/audio/a0/00001.m4s',
      'https://e.example/t/audio/a0/00002.m4s',
      'https://e.example/t/audio/a0/00003.m4s',
    ]);
  });

  it('on the MPD written from the fixture', () => {
    expectAgreement(writeMpd(parseMpd(fixtureText)));
  });

  it('on a rewritten MPD with an edge BaseURL and tokens', () => {
    const out = rewriteMpd(parseMpd(fixtureText), {
      baseUrl: 'https://edge1.example/content/t1/v2',
      query: { token: 'a$b c', exp: '1700000000' },
    });
    const theirs = expectAgreement(writeMpd(out));
    const first = theirs.playlists[0]!;
    expect(first.segments[0]!.resolvedUri).toBe(
      'https://edge1.example/content/t1/v2/video/v0/00001.m4s?token=a%24b%20c&exp=1700000000',
    );
    expect(first.segments[0]!.map?.resolvedUri).toBe(
      'https://edge1.example/content/t1/v2/video/v0/init.mp4?token=a%24b%20c&exp=1700000000',
    );
  });

  it('on a steered MPD with three locations, and it reports the ContentSteering', () => {
    const out = rewriteMpd(parseMpd(fixtureText), {
      query: { token: 'abc' },
      steering: {
        serverUri: 'https://origin.example/v1/steering-manifest?title=t1',
        queryBeforeStart: true,
        locations: [
          { id: 'alpha', baseUrl: 'https://a.edge.example/t1/' },
          { id: 'beta', baseUrl: 'https://b.edge.example/t1/' },
          { id: 'gamma', baseUrl: 'https://c.edge.example/t1/' },
        ],
        defaultLocationIds: ['beta'],
      },
    });
    const theirs = expectAgreement(writeMpd(out), ['alpha', 'beta', 'gamma']);
    // mpd-parser 1.4 names the server URL `serverURL` (generateContentSteeringInformation).
    expect(theirs.contentSteering).toEqual({
      serverURL: 'https://origin.example/v1/steering-manifest?title=t1',
      defaultServiceLocation: 'beta',
      queryBeforeStart: true,
    });
    const beta = theirs.playlists.find(
      (p) => p.attributes['serviceLocation'] === 'beta' && p.attributes.NAME === '1',
    )!;
    expect(beta.segments[2]!.resolvedUri).toBe('https://b.edge.example/t1/video/v1/00003.m4s?token=abc');
  });

  it('on a written MPD with an inherited @duration template and $Bandwidth$/$RepresentationID$', () => {
    const mpd: Mpd = {
      namespaces: { xmlns: 'urn:mpeg:dash:schema:mpd:2011' },
      profiles: 'urn:mpeg:dash:profile:isoff-live:2011',
      type: 'static',
      minBufferTimeS: 2,
      mediaPresentationDurationS: 21.5,
      baseUrls: [{ url: 'https://cdn.example/title/' }],
      periods: [
        {
          id: 'p0',
          baseUrls: [],
          adaptationSets: [
            {
              contentType: 'video',
              mimeType: 'video/mp4',
              segmentAlignment: true,
              descriptors: [],
              baseUrls: [{ url: 'video/' }],
              segmentTemplate: {
                timescale: 90000,
                durationTicks: 360000,
                startNumber: 10,
                initialization: '$RepresentationID$/init-$Bandwidth$.mp4',
                media: '$RepresentationID$/seg-$Number%04d$.m4s',
              },
              representations: [1, 2, 3].map((k) => ({
                id: `v${k}`,
                bandwidthBps: k * 1_000_000,
                codecs: `avc1.64001${k}`,
                width: 640 * k,
                height: 360 * k,
                descriptors: [],
                baseUrls: [],
              })),
            },
          ],
        },
      ],
    };
    const theirs = expectAgreement(writeMpd(mpd));
    expect(theirs.playlists[2]!.segments.map((s) => [s.resolvedUri, s.duration])).toEqual([
      ['https://cdn.example/title/video/v3/seg-0010.m4s', 4],
      ['https://cdn.example/title/video/v3/seg-0011.m4s', 4],
      ['https://cdn.example/title/video/v3/seg-0012.m4s', 4],
      ['https://cdn.example/title/video/v3/seg-0013.m4s', 4],
      ['https://cdn.example/title/video/v3/seg-0014.m4s', 4],
      ['https://cdn.example/title/video/v3/seg-0015.m4s', 1.5],
    ]);
  });
});
