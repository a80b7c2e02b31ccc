import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import { parseMpd } from './parse.js';
import type { Mpd } from './types.js';
import { assertValidMpd, validateMpd, validateMpdModel } from './validate.js';

const fixtureText = readFileSync(new URL('../testdata/shaka/manifest.mpd', import.meta.url), 'utf8');

const P = 'MPD/Period[0]';
const VIDEO = `${P}/AdaptationSet[0]`;
const REP0 = `${VIDEO}/Representation[0]`;
const AUDIO_REP = `${P}/AdaptationSet[1]/Representation[0]`;

/** The paths of the problems of the fixture once `spoil` has changed it; every problem must be MANIFEST_ERR_INVALID. */
function pathsAfter(spoil: (mpd: Mpd) => void): string[] {
  const mpd = parseMpd(fixtureText);
  spoil(mpd);
  const problems = validateMpdModel(mpd);
  for (const p of problems) {
    expect(p.code).toBe('MANIFEST_ERR_INVALID');
    expect(p.message.length).toBeGreaterThan(0);
  }
  return problems.map((p) => p.path ?? '');
}

const video = (m: Mpd) => m.periods[0]!.adaptationSets[0]!;
const rep0 = (m: Mpd) => video(m).representations[0]!;
const audioRep = (m: Mpd) => m.periods[0]!.adaptationSets[1]!.representations[0]!;

describe('validateMpd', () => {
  it('finds nothing wrong with the shaka fixture', () => {
    expect(validateMpd(fixtureText)).toEqual([]);
    expect(assertValidMpd(fixtureText)).toStrictEqual(parseMpd(fixtureText));
  });

  it('returns the parse problems of text that does not parse', () => {
    expect(validateMpd('<MPD><Period></MPD>')).toEqual([
      { code: 'MANIFEST_ERR_PARSE', line: 1, message: expect.stringContaining('XML syntax') },
    ]);
    expect(validateMpd(new Uint8Array([0xff, 0xfe]))).toEqual([
      { code: 'MANIFEST_ERR_PARSE', line: 1, message: 'input is not valid UTF-8' },
    ]);
    expect(validateMpd(fixtureText.replace('bandwidth="193496"', 'bandwidth="lots"'))).toEqual([
      {
        code: 'MANIFEST_ERR_PARSE',
        path: `${REP0}@bandwidth`,
        message: '"lots" is not an unsigned 32-bit integer',
      },
    ]);
  });

  it('never throws, even for values that are not text or bytes', () => {
    expect(validateMpd(42 as unknown as string)[0]).toMatchObject({ code: 'MANIFEST_ERR_PARSE' });
    expect(validateMpd(undefined as unknown as string)[0]).toMatchObject({ code: 'MANIFEST_ERR_PARSE' });
  });
});

describe('assertValidMpd', () => {
  it('throws MANIFEST_ERR_INVALID listing semantic problems and MANIFEST_ERR_PARSE for broken text', () => {
    const invalid = fixtureText.replace(' codecs="avc1.640015"', '');
    let caught: unknown;
    try {
      assertValidMpd(invalid);
    } catch (error) {
      caught = error;
    }
    expect(isCdnError(caught, 'MANIFEST_ERR_INVALID')).toBe(true);
    expect((caught as Error).message).toContain(`${REP0}@codecs`);
    expect(() => assertValidMpd('<MPD')).toThrow(expect.objectContaining({ code: 'MANIFEST_ERR_PARSE' }));
  });
});

describe('MPD rules', () => {
  it('needs the DASH namespace (23009-1 Annex B)', () => {
    expect(pathsAfter((m) => (m.namespaces = {}))).toEqual(['MPD@xmlns']);
  });

  it('needs @profiles and @minBufferTime (23009-1 5.3.1.2)', () => {
    expect(pathsAfter((m) => delete m.profiles)).toEqual(['MPD@profiles']);
    expect(pathsAfter((m) => delete m.minBufferTimeS)).toEqual(['MPD@minBufferTime']);
  });

  it('needs a duration for a static MPD, from the MPD or the Periods', () => {
    expect(pathsAfter((m) => delete m.mediaPresentationDurationS)).toEqual(['MPD@mediaPresentationDuration']);
    expect(
      pathsAfter((m) => {
        delete m.mediaPresentationDurationS;
        m.periods[0]!.durationS = 10;
      }),
    ).toEqual([]);
  });

  it('needs @availabilityStartTime for a dynamic MPD', () => {
    expect(pathsAfter((m) => (m.type = 'dynamic'))).toEqual(['MPD@availabilityStartTime']);
  });

  it('checks xs:dateTime values', () => {
    expect(pathsAfter((m) => (m.publishTime = 'yesterday'))).toEqual(['MPD@publishTime']);
    expect(pathsAfter((m) => (m.publishTime = '2026-01-01T00:00:00.5+01:00'))).toEqual([]);
  });

  it('needs a Period, with unique ids', () => {
    expect(pathsAfter((m) => (m.periods = []))).toEqual(['MPD']);
    expect(
      pathsAfter((m) => m.periods.push({ id: '0', durationS: 1, baseUrls: [], adaptationSets: [] })),
    ).toEqual(['MPD/Period[1]@id']);
  });
});

describe('AdaptationSet rules', () => {
  it('wants unsigned-integer ids unique in the Period (23009-1 5.3.3.2)', () => {
    expect(pathsAfter((m) => (video(m).id = 'v'))).toEqual([`${VIDEO}@id`]);
    expect(pathsAfter((m) => (m.periods[0]!.adaptationSets[1]!.id = '0'))).toEqual([
      `${P}/AdaptationSet[1]@id`,
    ]);
  });

  it('wants a contentType of the schema', () => {
    expect(pathsAfter((m) => (video(m).contentType = 'movie'))).toEqual([`${VIDEO}@contentType`]);
  });

  it('wants segmentAlignment on a video ladder with several Representations (IOP 3.2.2)', () => {
    expect(pathsAfter((m) => delete video(m).segmentAlignment)).toEqual([`${VIDEO}@segmentAlignment`]);
    expect(pathsAfter((m) => (video(m).segmentAlignment = false))).toEqual([`${VIDEO}@segmentAlignment`]);
    expect(pathsAfter((m) => (video(m).segmentAlignment = 0))).toEqual([`${VIDEO}@segmentAlignment`]);
    expect(pathsAfter((m) => (video(m).segmentAlignment = 1))).toEqual([]);
    expect(
      pathsAfter((m) => {
        delete video(m).segmentAlignment;
        video(m).subsegmentAlignment = true;
      }),
    ).toEqual([]);
    expect(
      pathsAfter((m) => {
        delete video(m).segmentAlignment;
        video(m).representations.pop();
      }),
    ).toEqual([]);
    // Not for audio.
    expect(pathsAfter((m) => delete m.periods[0]!.adaptationSets[1]!.segmentAlignment)).toEqual([]);
  });

  it('wants @schemeIdUri on descriptors (23009-1 5.8.2)', () => {
    const text = fixtureText.replace(
      '<AudioChannelConfiguration',
      '<SupplementalProperty value="x"/><EssentialProperty schemeIdUri="urn:x"/><EssentialProperty value="y"/><AudioChannelConfiguration',
    );
    expect(validateMpd(text).map((p) => [p.code, p.path])).toEqual([
      ['MANIFEST_ERR_INVALID', `${AUDIO_REP}/EssentialProperty[1]@schemeIdUri`],
      ['MANIFEST_ERR_INVALID', `${AUDIO_REP}/SupplementalProperty[0]@schemeIdUri`],
    ]);
  });
});

describe('Representation rules', () => {
  it('needs an id without whitespace, unique in the Period (23009-1 5.3.5.2)', () => {
    expect(pathsAfter((m) => delete rep0(m).id)).toEqual([`${REP0}@id`]);
    expect(pathsAfter((m) => (rep0(m).id = 'a b'))).toEqual([`${REP0}@id`]);
    expect(pathsAfter((m) => (audioRep(m).id = '1'))).toEqual([`${AUDIO_REP}@id`]);
  });

  it('needs @bandwidth', () => {
    expect(pathsAfter((m) => delete rep0(m).bandwidthBps)).toEqual([`${REP0}@bandwidth`]);
  });

  it('needs @codecs and @mimeType, inherited or its own', () => {
    expect(pathsAfter((m) => delete rep0(m).codecs)).toEqual([`${REP0}@codecs`]);
    expect(pathsAfter((m) => delete rep0(m).mimeType)).toEqual([`${REP0}@mimeType`]);
    expect(
      pathsAfter((m) => {
        delete rep0(m).codecs;
        delete rep0(m).mimeType;
        video(m).codecs = 'avc1.640015';
        video(m).mimeType = 'video/mp4';
      }),
    ).toEqual([]);
  });

  it('needs @width and @height on video', () => {
    expect(pathsAfter((m) => delete rep0(m).width)).toEqual([`${REP0}@width`]);
    expect(pathsAfter((m) => delete rep0(m).height)).toEqual([`${REP0}@height`]);
  });

  it('needs segment information, its own or inherited (23009-1 5.3.9.1)', () => {
    expect(pathsAfter((m) => delete rep0(m).segmentTemplate)).toEqual([REP0]);
    expect(
      pathsAfter((m) => {
        video(m).segmentTemplate = rep0(m).segmentTemplate!;
        delete rep0(m).segmentTemplate;
      }),
    ).toEqual([]);
    expect(
      pathsAfter((m) => {
        delete rep0(m).segmentTemplate;
        rep0(m).baseUrls = [{ url: 'video.mp4' }];
      }),
    ).toEqual([]);
  });

  it('needs a SegmentTemplate that can list its segments (23009-1 5.3.9.4.4)', () => {
    expect(pathsAfter((m) => delete rep0(m).segmentTemplate!.media)).toEqual([REP0]);
    expect(pathsAfter((m) => delete rep0(m).segmentTemplate!.timeline)).toEqual([REP0]);
    expect(
      pathsAfter((m) => {
        delete rep0(m).segmentTemplate!.timeline;
        rep0(m).segmentTemplate!.durationTicks = 51200;
        rep0(m).segmentTemplate!.media = 'v/$Time$.m4s';
      }),
    ).toEqual([REP0]);
  });
});

describe('SegmentTemplate and SegmentTimeline rules', () => {
  const T = `${REP0}/SegmentTemplate[0]`;
  const S = `${T}/SegmentTimeline[0]/S`;

  it('wants well-formed identifiers (23009-1 5.3.9.4.4, Table 16)', () => {
    expect(pathsAfter((m) => (rep0(m).segmentTemplate!.media = 'v/$Number%5d$.m4s'))).toEqual([`${T}@media`]);
    expect(pathsAfter((m) => (rep0(m).segmentTemplate!.media = 'v/$Number$$.m4s'))).toEqual([`${T}@media`]);
    expect(pathsAfter((m) => (rep0(m).segmentTemplate!.media = 'v/$Bandwidth%03d$-$Number$-$$.m4s'))).toEqual(
      [],
    );
    expect(pathsAfter((m) => (rep0(m).segmentTemplate!.initialization = 'v/$Number$.mp4'))).toEqual([
      `${T}@initialization`,
    ]);
  });

  it('checks templates where they are written, at any level', () => {
    expect(pathsAfter((m) => (m.periods[0]!.segmentTemplate = { media: '$Foo$' }))).toEqual([
      `${P}/SegmentTemplate[0]@media`,
    ]);
  });

  it('refuses @duration together with a SegmentTimeline, and a zero timescale', () => {
    expect(pathsAfter((m) => (rep0(m).segmentTemplate!.durationTicks = 51200))).toEqual([`${T}@duration`]);
    expect(pathsAfter((m) => (rep0(m).segmentTemplate!.timescale = 0))).toEqual([`${T}@timescale`]);
  });

  it('wants S@d > 0, S@r ≥ -1, no overlap, and r=-1 only before an S@t (23009-1 5.3.9.6)', () => {
    const timeline = (m: Mpd) => rep0(m).segmentTemplate!.timeline!;
    expect(pathsAfter((m) => (timeline(m)[1]!.d = 0))).toEqual([`${S}[1]@d`]);
    expect(pathsAfter((m) => (timeline(m)[0]!.r = -2))).toEqual([`${S}[0]@r`]);
    expect(pathsAfter((m) => (timeline(m)[1]!.t = 102399))).toEqual([`${S}[1]@t`]);
    expect(pathsAfter((m) => (timeline(m)[1]!.t = 102401))).toEqual([]);
    expect(
      pathsAfter((m) => {
        timeline(m)[0]!.r = -1;
        delete timeline(m)[1]!.t;
      }),
    ).toEqual([`${S}[0]@r`]);
    expect(pathsAfter((m) => (timeline(m)[0]!.r = -1))).toEqual([]);
  });
});

describe('BaseURL and content steering rules', () => {
  it('wants serviceLocation values unique per element', () => {
    expect(
      pathsAfter((m) => {
        m.baseUrls = [
          { url: 'https://a/', serviceLocation: 'a' },
          { url: 'https://b/', serviceLocation: 'a' },
        ];
      }),
    ).toEqual(['MPD/BaseURL[1]@serviceLocation']);
    expect(
      pathsAfter((m) => {
        rep0(m).baseUrls = [
          { url: 'a/', serviceLocation: 'x' },
          { url: 'b/', serviceLocation: 'x' },
        ];
      }),
    ).toEqual([`${REP0}/BaseURL[1]@serviceLocation`]);
  });

  const steered = (m: Mpd): void => {
    m.baseUrls = [
      { url: 'https://a/', serviceLocation: 'a' },
      { url: 'https://b/', serviceLocation: 'b' },
    ];
    m.contentSteering = {
      serverUrl: 'https://steer/',
      defaultServiceLocation: 'b a',
      queryBeforeStart: true,
    };
  };

  it('accepts a consistent ContentSteering (CTS)', () => {
    expect(pathsAfter(steered)).toEqual([]);
  });

  it('wants defaultServiceLocation to name existing serviceLocations', () => {
    expect(
      pathsAfter((m) => {
        steered(m);
        m.contentSteering!.defaultServiceLocation = 'a c';
      }),
    ).toEqual(['MPD/ContentSteering[0]@defaultServiceLocation']);
  });

  it('wants every MPD-level BaseURL to carry a serviceLocation when steering', () => {
    expect(
      pathsAfter((m) => {
        steered(m);
        m.baseUrls.push({ url: 'https://c/' });
      }),
    ).toEqual(['MPD/BaseURL[2]@serviceLocation']);
  });

  it('wants something to steer between and a server URL', () => {
    expect(pathsAfter((m) => (m.contentSteering = { serverUrl: 'https://steer/' }))).toEqual([
      'MPD/ContentSteering[0]',
    ]);
    expect(
      pathsAfter((m) => {
        steered(m);
        m.contentSteering!.serverUrl = '';
      }),
    ).toEqual(['MPD/ContentSteering[0]']);
  });
});
