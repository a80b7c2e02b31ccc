import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { parseMpd } from './parse.js';
import {
  fillTemplate,
  mpdDurationS,
  periodDurationS,
  periodStartS,
  representationsOf,
  segmentsOf,
  templateProblems,
} from './segments.js';

const fixtureText = readFileSync(new URL('../testdata/shaka/manifest.mpd', import.meta.url), 'utf8');
const MANIFEST_URL = 'https://e.example/t/manifest.mpd';

function mpdWith(body: string, rootAttributes = 'mediaPresentationDuration="PT10S"'): string {
  return `<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="p" minBufferTime="PT2S" ${rootAttributes}>${body}</MPD>`;
}

function thrown(run: () => unknown): unknown {
  try {
    run();
  } catch (error) {
    return error;
  }
  return undefined;
}

describe('segmentsOf on the shaka fixture', () => {
  const mpd = parseMpd(fixtureText);
  const reps = representationsOf(mpd);

  it('gives 3 video segments of 4, 4 and 2 s per Representation', () => {
    for (const [i, rep] of reps.slice(0, 2).entries()) {
      const { initUrl, segments } = segmentsOf(mpd, rep);
      expect(initUrl).toBe(`video/v${i}/init.mp4`);
      expect(segments.map((s) => [s.number, s.startS, s.durationS, s.mediaUrl])).toEqual([
        [1, 0, 4, `video/v${i}/00001.m4s`],
        [2, 4, 4, `video/v${i}/00002.m4s`],
        [3, 8, 2, `video/v${i}/00003.m4s`],
      ]);
    }
  });

  it('gives 3 audio segments whose durations add up to the timeline', () => {
    const { segments } = segmentsOf(mpd, reps[2]!);
    expect(segments.map((s) => s.durationTicks)).toEqual([192512, 191488, 96375]);
    expect(segments.map((s) => s.durationS)).toEqual([192512 / 48000, 191488 / 48000, 96375 / 48000]);
    expect(segments.map((s) => s.mediaUrl)).toEqual([
      'audio/a0/00001.m4s',
      'audio/a0/00002.m4s',
      'audio/a0/00003.m4s',
    ]);
  });

  it('accepts the Period index and the Representation object or id', () => {
    const rep = mpd.periods[0]!.adaptationSets[1]!.representations[0]!;
    expect(segmentsOf(mpd, 0, rep)).toStrictEqual(segmentsOf(mpd, reps[2]!));
    expect(segmentsOf(mpd, 0, '2')).toStrictEqual(segmentsOf(mpd, reps[2]!));
    expect(
      isCdnError(
        thrown(() => segmentsOf(mpd, 0, 'nope')),
        'MANIFEST_ERR_INVALID_OPTIONS',
      ),
    ).toBe(true);
    expect(
      isCdnError(
        thrown(() => segmentsOf(mpd, 1, rep)),
        'MANIFEST_ERR_INVALID_OPTIONS',
      ),
    ).toBe(true);
  });

  it('resolves URLs against the manifest URL', () => {
    const out = segmentsOf(mpd, reps[0]!, { manifestUrl: MANIFEST_URL });
    expect(out.resolvedInitUrl).toBe('https://e.example/t/video/v0/init.mp4');
    expect(out.segments[2]!.resolvedMediaUrl).toBe('https://e.example/t/video/v0/00003.m4s');
    expect(segmentsOf(mpd, reps[0]!).segments[0]!.resolvedMediaUrl).toBeUndefined();
  });
});

describe('representationsOf', () => {
  it('resolves inherited attributes, descriptors and segment information', () => {
    const mpd = parseMpd(
      mpdWith(`
      <Period>
        <SegmentTemplate timescale="1000" startNumber="0"/>
        <AdaptationSet mimeType="video/mp4" codecs="avc1.4d401f" width="1280" height="720" lang="en">
          <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>
          <SegmentTemplate duration="4000" media="$RepresentationID$/$Number%03d$-$Bandwidth$.m4s" initialization="$RepresentationID$/init.mp4"/>
          <Representation id="hi" bandwidth="3000000" codecs="avc1.640028" width="1920" height="1080">
            <SupplementalProperty schemeIdUri="urn:x" value="1"/>
          </Representation>
          <Representation id="lo" bandwidth="800000"><SegmentTemplate startNumber="5"/></Representation>
        </AdaptationSet>
      </Period>`),
    );
    const [hi, lo] = representationsOf(mpd);
    expect(hi).toMatchObject({
      path: 'MPD/Period[0]/AdaptationSet[0]/Representation[0]',
      id: 'hi',
      contentType: 'video',
      mimeType: 'video/mp4',
      codecs: 'avc1.640028',
      width: 1920,
      lang: 'en',
    });
    expect(hi!.descriptors.map((d) => d.element)).toEqual(['Role', 'SupplementalProperty']);
    expect(lo).toMatchObject({ codecs: 'avc1.4d401f', width: 1280, height: 720 });
    expect(lo!.addressing).toEqual({
      kind: 'template',
      template: {
        timescale: 1000,
        startNumber: 5,
        durationTicks: 4000,
        media: '$RepresentationID$/$Number%03d$-$Bandwidth$.m4s',
        initialization: '$RepresentationID$/init.mp4',
      },
    });
    expect(hi!.representation).toBe(mpd.periods[0]!.adaptationSets[0]!.representations[0]);
    const segments = segmentsOf(mpd, lo!);
    expect(segments.initUrl).toBe('lo/init.mp4');
    expect(segments.segments.map((s) => [s.number, s.startS, s.durationS, s.mediaUrl])).toEqual([
      [5, 0, 4, 'lo/005-800000.m4s'],
      [6, 4, 4, 'lo/006-800000.m4s'],
      [7, 8, 2, 'lo/007-800000.m4s'],
    ]);
  });
});

describe('segment expansion', () => {
  it('expands $Time$ with r=-1 up to the Period end and removes presentationTimeOffset', () => {
    const mpd = parseMpd(
      mpdWith(`<Period><AdaptationSet mimeType="audio/mp4"><Representation id="a" bandwidth="1">
        <SegmentTemplate timescale="10" presentationTimeOffset="100" media="t-$Time$.m4s">
          <SegmentTimeline><S t="100" d="30" r="-1"/></SegmentTimeline>
        </SegmentTemplate></Representation></AdaptationSet></Period>`),
    );
    const { segments } = segmentsOf(mpd, representationsOf(mpd)[0]!);
    expect(segments.map((s) => [s.mediaUrl, s.startS, s.durationS])).toEqual([
      ['t-100.m4s', 0, 3],
      ['t-130.m4s', 3, 3],
      ['t-160.m4s', 6, 3],
      ['t-190.m4s', 9, 3],
    ]);
  });

  it('continues S without @t after the previous one and stops r=-1 at the next @t', () => {
    const mpd = parseMpd(
      mpdWith(`<Period><AdaptationSet mimeType="audio/mp4"><Representation id="a" bandwidth="1">
        <SegmentTemplate media="$Number$"><SegmentTimeline><S d="2" r="-1"/><S t="5" d="1"/><S d="1" r="1"/></SegmentTimeline></SegmentTemplate>
        </Representation></AdaptationSet></Period>`),
    );
    const { segments } = segmentsOf(mpd, representationsOf(mpd)[0]!);
    expect(segments.map((s) => [s.number, s.timeTicks, s.durationTicks])).toEqual([
      [1, 0, 2],
      [2, 2, 2],
      [3, 4, 2],
      [4, 5, 1],
      [5, 6, 1],
      [6, 7, 1],
    ]);
  });

  it('reads SegmentList and SegmentBase', () => {
    const mpd = parseMpd(
      mpdWith(`<Period><AdaptationSet mimeType="video/mp4">
        <Representation id="l" bandwidth="1"><SegmentList timescale="1000" duration="4000">
          <Initialization sourceURL="init.mp4"/><SegmentURL media="a.m4s"/><SegmentURL media="b.m4s" mediaRange="0-9"/><SegmentURL media="c.m4s"/>
        </SegmentList></Representation>
        <Representation id="b" bandwidth="1"><BaseURL>b.mp4</BaseURL><SegmentBase indexRange="800-999"><Initialization range="0-799"/></SegmentBase></Representation>
      </AdaptationSet></Period>`),
    );
    const [list, base] = representationsOf(mpd);
    const listed = segmentsOf(mpd, list!);
    expect(listed.initUrl).toBe('init.mp4');
    expect(listed.segments.map((s) => [s.number, s.startS, s.durationS, s.mediaUrl, s.mediaRange])).toEqual([
      [1, 0, 4, 'a.m4s', undefined],
      [2, 4, 4, 'b.m4s', '0-9'],
      [3, 8, 2, 'c.m4s', undefined],
    ]);
    const single = segmentsOf(mpd, base!, { manifestUrl: MANIFEST_URL });
    expect(single).toStrictEqual({
      initUrl: '',
      initRange: '0-799',
      resolvedInitUrl: 'https://e.example/t/b.mp4',
      baseUrl: 'https://e.example/t/b.mp4',
      segments: [
        { number: 1, startS: 0, durationS: 10, mediaUrl: '', resolvedMediaUrl: 'https://e.example/t/b.mp4' },
      ],
    });
  });

  it('follows the BaseURL chain, picking the requested serviceLocation', () => {
    const mpd = parseMpd(
      mpdWith(`<BaseURL serviceLocation="a">https://a.example/t/</BaseURL><BaseURL serviceLocation="b">https://b.example/t/</BaseURL>
      <Period><BaseURL>p/</BaseURL><AdaptationSet mimeType="video/mp4"><Representation id="r" bandwidth="1">
        <SegmentTemplate media="s$Number$.m4s" duration="5"/></Representation></AdaptationSet></Period>`),
    );
    const rep = representationsOf(mpd)[0]!;
    expect(segmentsOf(mpd, rep).segments[0]!.resolvedMediaUrl).toBe('https://a.example/t/p/s1.m4s');
    expect(segmentsOf(mpd, rep, { serviceLocation: 'b' }).segments[1]!.resolvedMediaUrl).toBe(
      'https://b.example/t/p/s2.m4s',
    );
  });

  it('refuses expansions it cannot bound', () => {
    const huge = parseMpd(
      mpdWith(`<Period><AdaptationSet mimeType="video/mp4"><Representation id="r" bandwidth="1">
        <SegmentTemplate media="$Number$"><SegmentTimeline><S d="1" r="9007199254740990"/></SegmentTimeline></SegmentTemplate>
        </Representation></AdaptationSet></Period>`),
    );
    expect(
      isCdnError(
        thrown(() => segmentsOf(huge, representationsOf(huge)[0]!)),
        'MANIFEST_ERR_INVALID',
      ),
    ).toBe(true);
    const open = parseMpd(
      mpdWith(
        `<Period><AdaptationSet mimeType="video/mp4"><Representation id="r" bandwidth="1"><SegmentTemplate media="$Number$" duration="2"/></Representation></AdaptationSet></Period>`,
        'type="dynamic" availabilityStartTime="2026-01-01T00:00:00Z"',
      ),
    );
    expect(
      isCdnError(
        thrown(() => segmentsOf(open, representationsOf(open)[0]!)),
        'MANIFEST_ERR_INVALID',
      ),
    ).toBe(true);
  });
});

describe('Period timing', () => {
  it('derives starts and durations (23009-1 5.3.2.1)', () => {
    const mpd = parseMpd(
      mpdWith(
        '<Period duration="PT4S"/><Period/><Period start="PT7S"/>',
        'mediaPresentationDuration="PT12S"',
      ),
    );
    expect([0, 1, 2].map((i) => periodStartS(mpd, i))).toEqual([0, 4, 7]);
    expect([0, 1, 2].map((i) => periodDurationS(mpd, i))).toEqual([4, 3, 5]);
    expect(mpdDurationS(mpd)).toBe(12);
    expect(mpdDurationS(parseMpd(mpdWith('<Period start="PT2S" duration="PT3S"/>', '')))).toBe(5);
    expect(mpdDurationS(parseMpd(mpdWith('<Period/>', '')))).toBeUndefined();
  });
});

describe('templates', () => {
  it('fills identifiers with zero padding and $$', () => {
    const values = { RepresentationID: 'v1', Number: 7, Bandwidth: 800000, Time: 90000 };
    expect(fillTemplate('$RepresentationID$/$Number%05d$_$Time$_$Bandwidth%010d$$$.m4s', values)).toBe(
      'v1/00007_90000_0000800000$.m4s',
    );
    expect(fillTemplate('$Number%02d$', { Number: 1234 })).toBe('1234');
    expect(fillTemplate('$Unknown$ $SubNumber$ $', values)).toBe('$Unknown$ $SubNumber$ $');
  });

  it('reports malformed templates (23009-1 5.3.9.4.4)', () => {
    expect(templateProblems('v/$Number%05d$.m4s', 'media')).toEqual([]);
    expect(templateProblems('$Nmber$', 'media')).toEqual(['$Nmber$ is not a template identifier']);
    expect(templateProblems('$Number%5d$', 'media')).toEqual(['$Number%5d$ is not a template identifier']);
    expect(templateProblems('$RepresentationID%03d$', 'media')).toEqual([
      '$RepresentationID$ takes no format tag',
    ]);
    expect(templateProblems('a$b', 'media')).toEqual(["a '$' is not paired (write $$ for a literal dollar)"]);
    expect(templateProblems('$Number$$Time$', 'media')).toEqual(['$Number$ and $Time$ cannot both be used']);
    expect(templateProblems('$Number$', 'initialization')).toEqual([
      '$Number$ cannot be used in @initialization',
    ]);
  });
});
