import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { parseMpd } from './parse.js';
import { rewriteMpd, setQueryParams, type RewriteOptions } from './rewrite.js';
import { representationsOf, segmentsOf } from './segments.js';
import { validateMpdModel } from './validate.js';
import { writeMpd } from './write.js';

const fixtureText = readFileSync(new URL('../testdata/shaka/manifest.mpd', import.meta.url), 'utf8');

function mpdWith(body: string): string {
  return `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="p" minBufferTime="PT2S" mediaPresentationDuration="PT8S">${body}</MPD>`;
}

describe('rewriteMpd: base URL', () => {
  it('sets the edge directory as the MPD-level BaseURL and leaves the input alone', () => {
    const mpd = parseMpd(fixtureText);
    const before = structuredClone(mpd);
    const out = rewriteMpd(mpd, { baseUrl: 'https://edge1.example/content/t1/v2' });
    expect(mpd).toStrictEqual(before);
    expect(out.baseUrls).toEqual([{ url: 'https://edge1.example/content/t1/v2/' }]);
    expect({ ...out, baseUrls: [] }).toStrictEqual(before);
    const rep = representationsOf(out)[0]!;
    expect(segmentsOf(out, rep).segments[0]!.resolvedMediaUrl).toBe(
      'https://edge1.example/content/t1/v2/video/v0/00001.m4s',
    );
    expect(parseMpd(writeMpd(out))).toStrictEqual(out);
  });

  it('resolves existing relative MPD-level BaseURLs against it and drops absolute ones', () => {
    const mpd = parseMpd(
      mpdWith(
        '<BaseURL serviceLocation="x" ext:a="1" xmlns:ext="urn:e">media/</BaseURL><BaseURL>https://other-cdn.example/t/</BaseURL><Period/>',
      ),
    );
    const out = rewriteMpd(mpd, { baseUrl: 'https://edge.example/t/?sig=1' });
    expect(out.baseUrls).toEqual([
      {
        url: 'https://edge.example/t/media/',
        serviceLocation: 'x',
        extraAttributes: { 'xmlns:ext': 'urn:e', 'ext:a': '1' },
      },
    ]);
  });
});

describe('rewriteMpd: URL tokens', () => {
  it('puts the token on every template URL of the fixture', () => {
    const out = rewriteMpd(parseMpd(fixtureText), { query: { token: 'abc', exp: '1700000000' } });
    for (const rep of representationsOf(out)) {
      const { initUrl, segments } = segmentsOf(out, rep, { manifestUrl: 'https://e.example/t/manifest.mpd' });
      expect(initUrl).toMatch(/\/init\.mp4\?token=abc&exp=1700000000$/);
      for (const s of segments) expect(s.resolvedMediaUrl).toMatch(/\/\d{5}\.m4s\?token=abc&exp=1700000000$/);
    }
    expect(out.periods[0]!.adaptationSets[0]!.representations[0]!.segmentTemplate!.media).toBe(
      'video/v0/$Number%05d$.m4s?token=abc&exp=1700000000',
    );
  });

  it('replaces a same-name parameter, keeps the others and the $ identifiers, encodes values', () => {
    const mpd = parseMpd(
      mpdWith(`<Period><AdaptationSet mimeType="video/mp4" codecs="c">
        <SegmentTemplate timescale="1" duration="4" startNumber="1" initialization="init.mp4?token=old&amp;v=$RepresentationID$#frag" media="seg/$Number%05d$.m4s?a=1&amp;token=old&amp;token=older&amp;r=$RepresentationID$x"/>
        <Representation id="v1" bandwidth="1" width="1" height="1"/></AdaptationSet></Period>`),
    );
    const out = rewriteMpd(mpd, { query: { token: 'n$w&=?', exp: '5' } });
    const template = out.periods[0]!.adaptationSets[0]!.segmentTemplate!;
    expect(template.media).toBe('seg/$Number%05d$.m4s?a=1&token=n%24w%26%3D%3F&r=$RepresentationID$x&exp=5');
    expect(template.initialization).toBe('init.mp4?token=n%24w%26%3D%3F&v=$RepresentationID$&exp=5#frag');
    const { initUrl, segments } = segmentsOf(out, representationsOf(out)[0]!);
    expect(initUrl).toBe('init.mp4?token=n%24w%26%3D%3F&v=v1&exp=5#frag');
    expect(segments[1]!.mediaUrl).toBe('seg/00002.m4s?a=1&token=n%24w%26%3D%3F&r=v1x&exp=5');
  });

  it('tokens SegmentList and SegmentBase URLs, and the BaseURL a SegmentBase Representation plays from', () => {
    const mpd = parseMpd(
      mpdWith(`<Period><AdaptationSet mimeType="video/mp4">
        <Representation id="l" bandwidth="1"><SegmentList duration="4"><Initialization sourceURL="i.mp4"/><SegmentURL media="a.m4s" index="a.sidx"/><SegmentURL mediaRange="0-9"/></SegmentList></Representation>
        <Representation id="b" bandwidth="1"><BaseURL>b.mp4?x=1</BaseURL><SegmentBase indexRange="9-99"><Initialization range="0-8"/><RepresentationIndex sourceURL="b.sidx"/></SegmentBase></Representation>
      </AdaptationSet></Period>`),
    );
    const out = rewriteMpd(mpd, { query: { tok: 't' } });
    const [list, base] = out.periods[0]!.adaptationSets[0]!.representations;
    expect(list!.segmentList!.initialization).toEqual({ sourceUrl: 'i.mp4?tok=t' });
    expect(list!.segmentList!.segmentUrls).toEqual([
      { media: 'a.m4s?tok=t', index: 'a.sidx?tok=t' },
      { mediaRange: '0-9' },
    ]);
    expect(base!.baseUrls).toEqual([{ url: 'b.mp4?x=1&tok=t' }]);
    expect(base!.segmentBase!.initialization).toEqual({ range: '0-8' });
    expect(base!.segmentBase!.representationIndex).toEqual({ sourceUrl: 'b.sidx?tok=t' });
    expect(list!.baseUrls).toEqual([]);
  });

  it('is idempotent', () => {
    const once = rewriteMpd(parseMpd(fixtureText), { query: { token: 'abc' } });
    expect(rewriteMpd(once, { query: { token: 'abc' } })).toStrictEqual(once);
  });
});

describe('setQueryParams', () => {
  it.each([
    ['a.m4s', 'a.m4s?k=v'],
    ['a.m4s?', 'a.m4s?k=v'],
    ['a.m4s?x=1', 'a.m4s?x=1&k=v'],
    ['a.m4s?k=old&x=1&k=again', 'a.m4s?k=v&x=1'],
    ['a.m4s?%6B=old', 'a.m4s?k=v'],
    ['a.m4s?flag&k', 'a.m4s?flag&k=v'],
    ['a.m4s#f?x', 'a.m4s?k=v#f?x'],
    ['$Number$?n=$Number$', '$Number$?n=$Number$&k=v'],
  ])('%s → %s', (url, expected) => {
    expect(setQueryParams(url, { k: 'v' })).toBe(expected);
  });
});

describe('rewriteMpd: content steering', () => {
  const steering: RewriteOptions = {
    query: { token: 'abc' },
    steering: {
      serverUri: 'https://origin.example/v1/steering-manifest?title=t1',
      queryBeforeStart: true,
      locations: [
        { id: 'edge-a', baseUrl: 'https://a.edge.example/content/t1' },
        { id: 'edge-b', baseUrl: 'https://b.edge.example/content/t1/' },
        { id: 'edge-c', baseUrl: 'http://[2001:db8::1]:8080/content/t1/' },
      ],
      defaultLocationIds: ['edge-b', 'edge-a'],
    },
  };

  it('writes one BaseURL per location and a ContentSteering element', () => {
    const out = rewriteMpd(parseMpd(fixtureText), steering);
    expect(out.baseUrls).toEqual([
      { url: 'https://a.edge.example/content/t1/', serviceLocation: 'edge-a' },
      { url: 'https://b.edge.example/content/t1/', serviceLocation: 'edge-b' },
      { url: 'http://[2001:db8::1]:8080/content/t1/', serviceLocation: 'edge-c' },
    ]);
    expect(out.contentSteering).toEqual({
      serverUrl: 'https://origin.example/v1/steering-manifest?title=t1',
      defaultServiceLocation: 'edge-b edge-a',
      queryBeforeStart: true,
    });
    expect(validateMpdModel(out)).toEqual([]);
    const text = writeMpd(out);
    expect(text).toContain(
      '<ContentSteering defaultServiceLocation="edge-b edge-a" queryBeforeStart="true">https://origin.example/v1/steering-manifest?title=t1</ContentSteering>\n  <Period id="0">',
    );
    expect(parseMpd(text)).toStrictEqual(out);
    const rep = representationsOf(out)[0]!;
    expect(segmentsOf(out, rep, { serviceLocation: 'edge-c' }).segments[0]!.resolvedMediaUrl).toBe(
      'http://[2001:db8::1]:8080/content/t1/video/v0/00001.m4s?token=abc',
    );
  });

  it('defaults to the first location and queryBeforeStart="false"', () => {
    const out = rewriteMpd(parseMpd(fixtureText), {
      steering: { serverUri: '/v1/steer', locations: [{ id: 'x', baseUrl: 'https://x.example/t/' }] },
    });
    expect(out.contentSteering).toEqual({
      serverUrl: '/v1/steer',
      defaultServiceLocation: 'x',
      queryBeforeStart: false,
    });
  });

  it.each<[string, RewriteOptions]>([
    ['baseUrl and steering together', { baseUrl: 'https://a/', steering: steering.steering! }],
    ['a relative baseUrl', { baseUrl: '/content/t1/' }],
    ['an empty query parameter name', { query: { '': 'x' } }],
    ['no locations', { steering: { serverUri: 'https://s/', locations: [] } }],
    [
      'an empty location id',
      { steering: { serverUri: 'https://s/', locations: [{ id: '', baseUrl: 'https://a/' }] } },
    ],
    [
      'a location id with a space',
      { steering: { serverUri: 'https://s/', locations: [{ id: 'a b', baseUrl: 'https://a/' }] } },
    ],
    [
      'a location id with a tab',
      { steering: { serverUri: 'https://s/', locations: [{ id: 'a\tb', baseUrl: 'https://a/' }] } },
    ],
    [
      'a duplicated location id',
      {
        steering: {
          serverUri: 'https://s/',
          locations: [
            { id: 'a', baseUrl: 'https://a/' },
            { id: 'a', baseUrl: 'https://b/' },
          ],
        },
      },
    ],
    [
      'a relative location baseUrl',
      { steering: { serverUri: 'https://s/', locations: [{ id: 'a', baseUrl: 'a/' }] } },
    ],
    [
      'an unknown default location',
      {
        steering: {
          serverUri: 'https://s/',
          locations: [{ id: 'a', baseUrl: 'https://a/' }],
          defaultLocationIds: ['b'],
        },
      },
    ],
    [
      'an empty default list',
      {
        steering: {
          serverUri: 'https://s/',
          locations: [{ id: 'a', baseUrl: 'https://a/' }],
          defaultLocationIds: [],
        },
      },
    ],
    [
      'an empty server URI',
      { steering: { serverUri: ' ', locations: [{ id: 'a', baseUrl: 'https://a/' }] } },
    ],
  ])('refuses %s with MANIFEST_ERR_INVALID', (_what, options) => {
    let caught: unknown;
    try {
      rewriteMpd(parseMpd(fixtureText), options);
    } catch (error) {
      caught = error;
    }
    expect(isCdnError(caught, 'MANIFEST_ERR_INVALID')).toBe(true);
  });
});
