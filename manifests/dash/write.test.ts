import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../test/helpers/random.js';
import { isCdnError } from '../../common/errors.js';
import { CHILD_ORDER, sortBySchema, type ChildOrder } from './order.js';
import { parseMpd } from './parse.js';
import type {
  AdaptationSet,
  BaseUrl,
  ContentSteering,
  Descriptor,
  DescriptorElement,
  Mpd,
  Period,
  Representation,
  SegmentBase,
  SegmentList,
  SegmentTemplate,
  SegmentTimelineEntry,
  UrlRef,
  XmlElement,
  XmlNode,
} from './types.js';
import { opt } from './util.js';
import { DASH_NAMESPACE } from './validate.js';
import { writeMpd } from './write.js';

const fixtureText = readFileSync(new URL('../testdata/shaka/manifest.mpd', import.meta.url), 'utf8');

function roundTrip(mpd: Mpd): Mpd {
  return parseMpd(writeMpd(mpd));
}

function el(name: string, attributes: Record<string, string> = {}, children: XmlNode[] = []): XmlElement {
  return { name, attributes, children };
}

/** Every typed field of the model, plus kept unknown elements and attributes at every level. */
function fullModel(): Mpd {
  const template: SegmentTemplate = {
    timescale: 90000,
    durationTicks: 360000,
    startNumber: 0,
    endNumber: 99,
    presentationTimeOffsetTicks: 2 ** 53 - 1,
    media: '$RepresentationID$/$Number%05d$.m4s?x=$$',
    initialization: '$RepresentationID$/init.mp4',
    index: '$RepresentationID$/index.sidx',
    bitstreamSwitching: '$RepresentationID$/bs.mp4',
    extraAttributes: { availabilityTimeOffset: '1.5', 'ext:a': 'b' },
    extraElements: [el('FailoverContent', {}, [el('FCS', { t: '0' })])],
  };
  const timelineTemplate: SegmentTemplate = {
    timescale: 48000,
    media: 'a/$Time$.m4s',
    timeline: [
      { t: 0, d: 96000, r: -1, extraAttributes: { n: '3' } },
      { t: 960000, d: 1 },
      { d: 2, r: 4 },
    ],
    segmentTimelineExtras: {
      extraAttributes: { 'ext:tl': '1' },
      extraElements: [el('ext:Pattern', { id: '1' })],
    },
  };
  const urlRef: UrlRef = { sourceUrl: 'init.mp4', range: '0-99', extraAttributes: { 'ext:u': '1' } };
  const segmentBase: SegmentBase = {
    timescale: 1000,
    presentationTimeOffsetTicks: 5,
    indexRange: '100-199',
    indexRangeExact: true,
    initialization: urlRef,
    representationIndex: { sourceUrl: 'index.sidx' },
    extraAttributes: { availabilityTimeComplete: 'false' },
  };
  const segmentList: SegmentList = {
    timescale: 1000,
    durationTicks: 2000,
    startNumber: 7,
    presentationTimeOffsetTicks: 0,
    initialization: { sourceUrl: 'list-init.mp4' },
    timeline: [{ d: 2000, r: 1 }],
    segmentUrls: [
      {
        media: 's1.m4s',
        mediaRange: '0-9',
        index: 'i1',
        indexRange: '0-1',
        extraAttributes: { 'ext:s': '1' },
      },
      { media: 's2.m4s' },
    ],
    extraAttributes: { 'xlink:href': 'urn:x' },
  };
  const repDescriptors: Descriptor[] = [
    { element: 'FramePacking', schemeIdUri: 'urn:mpeg:mpegB:cicp:VideoFramePackingType', value: '3' },
    {
      element: 'AudioChannelConfiguration',
      schemeIdUri: 'urn:mpeg:mpegB:cicp:ChannelConfiguration',
      value: '2',
      id: 'acc',
    },
    {
      element: 'EssentialProperty',
      schemeIdUri: 'urn:ext:e',
      extraElements: [el('ext:Payload', {}, [{ text: 'x' }])],
    },
    {
      element: 'SupplementalProperty',
      schemeIdUri: 'urn:open-edge-cdn:quality:2026',
      value: 'vmaf=93.1',
      extraAttributes: { 'ext:q': '1' },
    },
  ];
  const rep: Representation = {
    id: 'video-1080',
    bandwidthBps: 4_294_967_295,
    qualityRanking: 1,
    profiles: 'urn:mpeg:dash:profile:isoff-live:2011',
    width: 1920,
    height: 1080,
    sar: '1:1',
    frameRate: '30000/1001',
    audioSamplingRate: '44100 48000',
    mimeType: 'video/mp4',
    codecs: 'avc1.640028',
    startWithSAP: 6,
    descriptors: repDescriptors,
    baseUrls: [{ url: 'v/', serviceLocation: 'a', byteRange: '0-1' }],
    segmentBase,
    segmentList,
    segmentTemplate: timelineTemplate,
    extraAttributes: { dependencyId: 'a b', 'ext:r': '"quoted" & <angled>' },
    extraElements: sortBySchema(
      [
        el('ext:Thing', { a: '1' }),
        el('ContentProtection', { schemeIdUri: 'urn:mpeg:dash:mp4protection:2011', 'cenc:default_KID': 'k' }),
        el('SubRepresentation', { level: '0' }),
      ],
      CHILD_ORDER.Representation,
      (e) => e.name,
    ),
  };
  const set: AdaptationSet = {
    id: '7',
    group: 1,
    lang: 'en-US',
    contentType: 'video',
    par: '16:9',
    maxWidth: 1920,
    maxHeight: 1080,
    maxFrameRate: '60',
    segmentAlignment: 2,
    subsegmentAlignment: false,
    subsegmentStartsWithSAP: 1,
    bitstreamSwitching: true,
    profiles: 'p',
    width: 1920,
    height: 1080,
    sar: '1:1',
    frameRate: '25',
    audioSamplingRate: '48000',
    mimeType: 'video/mp4',
    codecs: 'avc1.640028',
    startWithSAP: 1,
    descriptors: [
      ...repDescriptors.slice(0, 2),
      { element: 'Accessibility', schemeIdUri: 'urn:tva:metadata:cs:AudioPurposeCS:2007', value: '1' },
      { element: 'Role', schemeIdUri: 'urn:mpeg:dash:role:2011', value: 'main' },
      { element: 'Rating', schemeIdUri: 'urn:ext:rating', value: 'PG' },
      { element: 'Viewpoint', schemeIdUri: 'urn:ext:vp', value: 'left' },
    ],
    baseUrls: [{ url: 'set/' }],
    segmentTemplate: template,
    representations: [rep, { id: 'r2', descriptors: [], baseUrls: [] }],
    extraAttributes: { minBandwidth: '1', 'ext:s': 'x' },
    extraElements: sortBySchema(
      [
        el('ContentComponent', { id: '1' }),
        el('Label', { id: '1' }, [{ text: 'Main' }]),
        el('ext:X'),
        el('InbandEventStream', { schemeIdUri: 'urn:x' }),
      ],
      CHILD_ORDER.AdaptationSet,
      (e) => e.name,
    ),
  };
  const period: Period = {
    id: 'p0',
    startS: 0,
    durationS: 634.566,
    bitstreamSwitching: false,
    baseUrls: [{ url: 'period/', extraAttributes: { availabilityTimeOffset: 'INF' } }],
    segmentBase: { timescale: 1 },
    segmentTemplate: { timescale: 1000 },
    adaptationSets: [set],
    extraAttributes: { 'xlink:actuate': 'onLoad' },
    extraElements: [
      el('EventStream', { schemeIdUri: 'urn:scte:scte35:2013:xml' }, [
        el('Event', { presentationTime: '0' }, [
          { text: ' before ' },
          el('ext:Signal', { a: '1' }),
          { text: 'after' },
        ]),
      ]),
      el('Subset', { contains: '7' }),
    ],
  };
  const steering: ContentSteering = {
    serverUrl: 'https://steer.example/v1/steering-manifest?title=t&x=<1>',
    defaultServiceLocation: 'a b',
    queryBeforeStart: true,
    clientRequirement: false,
    proxyServerUrl: 'http://127.0.0.1:8080/steer',
    extraAttributes: { 'ext:c': '1' },
  };
  const baseUrls: BaseUrl[] = [
    { url: 'https://a.example/t/', serviceLocation: 'a', extraAttributes: { 'ext:w': '2' } },
    { url: 'https://b.example/t/', serviceLocation: 'b' },
  ];
  return {
    namespaces: {
      xmlns: DASH_NAMESPACE,
      'xmlns:cenc': 'urn:mpeg:cenc:2013',
      'xmlns:ext': 'urn:example:ext',
      'xmlns:xlink': 'http://www.w3.org/1999/xlink',
    },
    id: 'title-1',
    profiles: 'urn:mpeg:dash:profile:isoff-live:2011,urn:mpeg:dash:profile:cmaf:2019',
    type: 'dynamic',
    availabilityStartTime: '2026-01-01T00:00:00Z',
    availabilityEndTime: '2027-01-01T00:00:00Z',
    publishTime: '2026-01-01T00:00:01.5Z',
    mediaPresentationDurationS: 634.566,
    minimumUpdatePeriodS: 2,
    minBufferTimeS: 1.5,
    timeShiftBufferDepthS: 30,
    suggestedPresentationDelayS: 0.1,
    maxSegmentDurationS: 4,
    maxSubsegmentDurationS: 1e-7,
    baseUrls,
    contentSteering: steering,
    periods: [period, { baseUrls: [], adaptationSets: [] }],
    extraAttributes: { 'xsi:schemaLocation': 'urn:mpeg:dash:schema:mpd:2011 DASH-MPD.xsd' },
    extraElements: [
      el('ProgramInformation', { lang: 'en' }, [el('Title', {}, [{ text: 'A & B' }])]),
      el('Location', {}, [{ text: 'https://a.example/t/manifest.mpd' }]),
      el('UTCTiming', { schemeIdUri: 'urn:mpeg:dash:utc:http-iso:2014', value: 'https://time.example/' }),
      el('ext:Trailer'),
    ],
  };
}

describe('writeMpd', () => {
  it('round-trips the shaka fixture', () => {
    const mpd = parseMpd(fixtureText);
    expect(roundTrip(mpd)).toStrictEqual(mpd);
    expect(writeMpd(roundTrip(mpd))).toBe(writeMpd(mpd));
  });

  it('round-trips a model with every typed field and kept unknowns', () => {
    const mpd = fullModel();
    expect(roundTrip(mpd)).toStrictEqual(mpd);
  });

  it('writes the declaration, 2-space indentation and self-closed empty elements', () => {
    const text = writeMpd(parseMpd(fixtureText));
    const lines = text.split('\n');
    expect(lines[0]).toBe('<?xml version="1.0" encoding="UTF-8"?>');
    expect(lines[1]).toMatch(/^<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" /);
    expect(lines[2]).toBe('  <Period id="0">');
    expect(text).toContain('\n            <S t="0" d="51200" r="1"/>\n');
    expect(text.endsWith('</MPD>\n')).toBe(true);
  });

  it('escapes &, <, >, quotes and whitespace in attributes, and &, <, >, CR in text', () => {
    const mpd: Mpd = {
      namespaces: { xmlns: DASH_NAMESPACE },
      id: `a&b<c>d"e'f\tg\nh\ri`,
      baseUrls: [{ url: 'x?a=1&b=<2>\r]]>y' }],
      periods: [],
    };
    const text = writeMpd(mpd);
    expect(text).toContain('id="a&amp;b&lt;c&gt;d&quot;e&apos;f&#9;g&#10;h&#13;i"');
    expect(text).toContain('<BaseURL>x?a=1&amp;b=&lt;2&gt;&#13;]]&gt;y</BaseURL>');
    expect(roundTrip(mpd)).toStrictEqual(mpd);
  });

  it('writes children in schema order whatever the order of the arrays', () => {
    const mpd: Mpd = {
      namespaces: { xmlns: DASH_NAMESPACE },
      baseUrls: [{ url: 'https://a/' }],
      contentSteering: { serverUrl: 'https://s/' },
      periods: [
        {
          baseUrls: [],
          adaptationSets: [
            {
              descriptors: [
                { element: 'Role', schemeIdUri: 'urn:mpeg:dash:role:2011', value: 'main' },
                { element: 'SupplementalProperty', schemeIdUri: 'urn:x' },
                { element: 'Accessibility', schemeIdUri: 'urn:y' },
              ],
              baseUrls: [],
              representations: [
                {
                  id: '1',
                  descriptors: [],
                  baseUrls: [{ url: 'r/' }],
                  segmentTemplate: { media: 'm' },
                  extraElements: [el('ext:Z'), el('Label')],
                },
              ],
              extraElements: [el('Label'), el('ContentProtection', { schemeIdUri: 'urn:z' })],
            },
          ],
        },
      ],
      extraElements: [el('UTCTiming'), el('ProgramInformation')],
    };
    const names = [...writeMpd(mpd).matchAll(/<([A-Za-z:]+)[\s/>]/g)].map((m) => m[1]);
    expect(names).toEqual([
      'MPD',
      'ProgramInformation',
      'BaseURL',
      'ContentSteering',
      'Period',
      'AdaptationSet',
      'ContentProtection',
      'SupplementalProperty',
      'Label',
      'Accessibility',
      'Role',
      'Representation',
      'Label',
      'ext:Z',
      'BaseURL',
      'SegmentTemplate',
      'UTCTiming',
    ]);
  });

  it.each<[string, (m: Mpd) => void]>([
    [
      'NaN bandwidth',
      (m) => (m.periods[0]!.adaptationSets[0]!.representations[0]!.bandwidthBps = Number.NaN),
    ],
    ['negative width', (m) => (m.periods[0]!.adaptationSets[0]!.representations[0]!.width = -1)],
    [
      'fractional timescale',
      (m) => (m.periods[0]!.adaptationSets[0]!.representations[0]!.segmentTemplate!.timescale = 1.5),
    ],
    [
      'bandwidth beyond 32 bits',
      (m) => (m.periods[0]!.adaptationSets[0]!.representations[0]!.bandwidthBps = 2 ** 32),
    ],
    ['startWithSAP 7', (m) => (m.periods[0]!.adaptationSets[0]!.startWithSAP = 7)],
    ['infinite duration', (m) => (m.mediaPresentationDurationS = Number.POSITIVE_INFINITY)],
    ['a control character', (m) => (m.id = 'a\u0000b')],
    ['an extra attribute shadowing a typed one', (m) => (m.extraAttributes = { profiles: 'x' })],
    ['a namespace entry that is not xmlns', (m) => (m.namespaces = { foo: 'bar' })],
    ['an invalid element name', (m) => (m.extraElements = [el('1bad')])],
    ['an invalid attribute name', (m) => (m.extraAttributes = { 'a b': '1' })],
    [
      'a namespace declaration among the extra attributes',
      (m) => (m.extraAttributes = { 'xmlns:x': 'urn:x' }),
    ],
    [
      'a Role on a Representation',
      (m) =>
        m.periods[0]!.adaptationSets[0]!.representations[0]!.descriptors.push({
          element: 'Role',
          schemeIdUri: 'urn:x',
        }),
    ],
  ])('refuses %s with MANIFEST_ERR_INVALID', (_what, spoil) => {
    const mpd = parseMpd(fixtureText);
    spoil(mpd);
    let caught: unknown;
    try {
      writeMpd(mpd);
    } catch (error) {
      caught = error;
    }
    expect(isCdnError(caught, 'MANIFEST_ERR_INVALID')).toBe(true);
  });
});

/* ------------------------------------------------------------------------------------------------
 * Seeded random models: every model the generator makes is canonical (arrays in schema order,
 * fallbacks absent when empty, trimmed URL texts), so parse(write(x)) must deep-equal x.
 * ---------------------------------------------------------------------------------------------- */

class Gen {
  constructor(readonly random: () => number) {}

  int(min: number, max: number): number {
    return min + Math.floor(this.random() * (max - min + 1));
  }

  pick<T>(items: readonly T[]): T {
    return items[this.int(0, items.length - 1)]!;
  }

  maybe<T>(make: () => T, probability = 0.5): T | undefined {
    return this.random() < probability ? make() : undefined;
  }

  many<T>(make: (i: number) => T, max: number): T[] {
    return Array.from({ length: this.int(0, max) }, (_, i) => make(i));
  }

  /** Any text XML can carry, special characters included. */
  text(): string {
    const chars = [
      'a',
      'Z',
      '0',
      ' ',
      '&',
      '<',
      '>',
      '"',
      "'",
      '\t',
      '\n',
      '\r',
      'é',
      '😀',
      '$',
      '%',
      '/',
      ':',
      '?',
      '=',
      ';',
      '#',
      ']]>',
    ];
    return this.many(() => this.pick(chars), 10).join('');
  }

  /** Text as BaseURL holds it: trimmed. */
  urlText(): string {
    return this.text().trim();
  }

  uint32(): number {
    return this.pick([0, 1, this.int(0, 100_000), 4_294_967_295, this.int(0, 4_294_967_295)]);
  }

  uint53(): number {
    return this.pick([
      0,
      1,
      this.int(0, 1_000_000),
      Number.MAX_SAFE_INTEGER,
      Math.floor(this.random() * Number.MAX_SAFE_INTEGER),
    ]);
  }

  seconds(): number {
    const value = this.pick([
      0,
      2,
      10,
      0.1,
      1e-7,
      1e21,
      this.random() * 10_000,
      -this.random() * 100,
      this.int(0, 1e9),
    ]);
    return value === 0 ? 0 : value;
  }

  extraAttributes(): Record<string, string> | undefined {
    const names = this.many(() => this.pick(['ext:a', 'ext:b', 'ext:c-d', 'ext:_e', 'toString']), 3);
    const out: Record<string, string> = {};
    for (const name of names) out[name] = this.text();
    return Object.keys(out).length > 0 ? out : undefined;
  }

  element(name: string, depth: number): XmlElement {
    const children: XmlNode[] = [];
    if (depth < 2) {
      let lastWasText = false;
      for (let i = this.int(0, 3); i > 0; i--) {
        if (!lastWasText && this.random() < 0.4) {
          children.push({ text: `${this.text()}x${this.text()}` });
          lastWasText = true;
        } else {
          children.push(this.element(this.pick(['ext:Child', 'ext:b', 'Title']), depth + 1));
          lastWasText = false;
        }
      }
    }
    return { name, attributes: this.extraAttributes() ?? {}, children };
  }

  extraElements(names: readonly string[], order: ChildOrder): XmlElement[] | undefined {
    const items = this.many(() => this.element(this.pick(names), 0), 3);
    return items.length > 0 ? sortBySchema(items, order, (e) => e.name) : undefined;
  }

  fallbacks(names: readonly string[], order: ChildOrder) {
    return {
      ...opt(
        'extraAttributes',
        this.maybe(() => this.extraAttributes(), 0.3),
      ),
      ...opt(
        'extraElements',
        this.maybe(() => this.extraElements(names, order), 0.3),
      ),
    };
  }
}

function randomBaseUrl(g: Gen): BaseUrl {
  return {
    url: g.urlText(),
    ...opt(
      'serviceLocation',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'byteRange',
      g.maybe(() => g.text(), 0.2),
    ),
    ...opt(
      'extraAttributes',
      g.maybe(() => g.extraAttributes(), 0.3),
    ),
  };
}

function randomTimeline(g: Gen): Pick<SegmentTemplate, 'timeline' | 'segmentTimelineExtras'> {
  const timeline = g.maybe(() =>
    g.many(
      (): SegmentTimelineEntry => ({
        ...opt(
          't',
          g.maybe(() => g.uint53()),
        ),
        d: g.uint53(),
        ...opt(
          'r',
          g.maybe(() => g.int(-1, 10)),
        ),
        ...opt(
          'extraAttributes',
          g.maybe(() => ({ n: String(g.int(0, 9)) }), 0.2),
        ),
      }),
      4,
    ),
  );
  if (timeline === undefined) return {};
  const extras = g.maybe(() => g.fallbacks(['Pattern', 'ext:T'], CHILD_ORDER.SegmentTimeline), 0.3);
  return {
    timeline,
    ...opt('segmentTimelineExtras', extras && Object.keys(extras).length > 0 ? extras : undefined),
  };
}

function randomUrlRef(g: Gen): UrlRef {
  return {
    ...opt(
      'sourceUrl',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'range',
      g.maybe(() => g.text()),
    ),
    ...g.fallbacks(['ext:U'], CHILD_ORDER.Open),
  };
}

function randomTemplate(g: Gen): SegmentTemplate {
  return {
    ...opt(
      'timescale',
      g.maybe(() => g.uint32()),
    ),
    ...opt(
      'durationTicks',
      g.maybe(() => g.uint32()),
    ),
    ...opt(
      'startNumber',
      g.maybe(() => g.uint53()),
    ),
    ...opt(
      'endNumber',
      g.maybe(() => g.uint53(), 0.2),
    ),
    ...opt(
      'presentationTimeOffsetTicks',
      g.maybe(() => g.uint53()),
    ),
    ...opt(
      'media',
      g.maybe(() => `${g.text()}$Number%0${g.int(1, 9)}d$`),
    ),
    ...opt(
      'initialization',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'index',
      g.maybe(() => g.text(), 0.2),
    ),
    ...opt(
      'bitstreamSwitching',
      g.maybe(() => g.text(), 0.2),
    ),
    ...randomTimeline(g),
    ...g.fallbacks(['FailoverContent', 'BitstreamSwitching', 'ext:S'], CHILD_ORDER.SegmentTemplate),
  };
}

function randomList(g: Gen): SegmentList {
  return {
    ...opt(
      'timescale',
      g.maybe(() => g.uint32()),
    ),
    ...opt(
      'durationTicks',
      g.maybe(() => g.uint32()),
    ),
    ...opt(
      'startNumber',
      g.maybe(() => g.uint53()),
    ),
    ...opt(
      'presentationTimeOffsetTicks',
      g.maybe(() => g.uint53()),
    ),
    ...opt(
      'initialization',
      g.maybe(() => randomUrlRef(g)),
    ),
    ...randomTimeline(g),
    segmentUrls: g.many(
      () => ({
        ...opt(
          'media',
          g.maybe(() => g.text()),
        ),
        ...opt(
          'mediaRange',
          g.maybe(() => g.text()),
        ),
        ...opt(
          'index',
          g.maybe(() => g.text(), 0.2),
        ),
        ...opt(
          'indexRange',
          g.maybe(() => g.text(), 0.2),
        ),
        ...g.fallbacks(['ext:L'], CHILD_ORDER.Open),
      }),
      3,
    ),
    ...g.fallbacks(['BitstreamSwitching', 'ext:L'], CHILD_ORDER.SegmentList),
  };
}

function randomBase(g: Gen): SegmentBase {
  return {
    ...opt(
      'timescale',
      g.maybe(() => g.uint32()),
    ),
    ...opt(
      'presentationTimeOffsetTicks',
      g.maybe(() => g.uint53()),
    ),
    ...opt(
      'indexRange',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'indexRangeExact',
      g.maybe(() => g.random() < 0.5),
    ),
    ...opt(
      'initialization',
      g.maybe(() => randomUrlRef(g)),
    ),
    ...opt(
      'representationIndex',
      g.maybe(() => randomUrlRef(g)),
    ),
    ...g.fallbacks(['FailoverContent', 'ext:B'], CHILD_ORDER.SegmentBase),
  };
}

function randomSegmentInfo(g: Gen) {
  return {
    ...opt(
      'segmentBase',
      g.maybe(() => randomBase(g), 0.2),
    ),
    ...opt(
      'segmentList',
      g.maybe(() => randomList(g), 0.2),
    ),
    ...opt(
      'segmentTemplate',
      g.maybe(() => randomTemplate(g), 0.6),
    ),
  };
}

function randomDescriptors(g: Gen, names: readonly DescriptorElement[], order: ChildOrder): Descriptor[] {
  const items = g.many(
    (): Descriptor => ({
      element: g.pick(names),
      schemeIdUri: g.text(),
      ...opt(
        'value',
        g.maybe(() => g.text()),
      ),
      ...opt(
        'id',
        g.maybe(() => g.text(), 0.2),
      ),
      ...g.fallbacks(['ext:D'], CHILD_ORDER.Open),
    }),
    4,
  );
  return sortBySchema(items, order, (d) => d.element);
}

function randomCommon(g: Gen) {
  return {
    ...opt(
      'profiles',
      g.maybe(() => g.text(), 0.2),
    ),
    ...opt(
      'width',
      g.maybe(() => g.uint32()),
    ),
    ...opt(
      'height',
      g.maybe(() => g.uint32()),
    ),
    ...opt(
      'sar',
      g.maybe(() => g.text(), 0.3),
    ),
    ...opt(
      'frameRate',
      g.maybe(() => g.text(), 0.3),
    ),
    ...opt(
      'audioSamplingRate',
      g.maybe(() => g.text(), 0.3),
    ),
    ...opt(
      'mimeType',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'codecs',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'startWithSAP',
      g.maybe(() => g.int(0, 6), 0.3),
    ),
    baseUrls: g.many(() => randomBaseUrl(g), 2),
    ...randomSegmentInfo(g),
  };
}

const REP_DESCRIPTORS: DescriptorElement[] = [
  'FramePacking',
  'AudioChannelConfiguration',
  'EssentialProperty',
  'SupplementalProperty',
];
const SET_DESCRIPTORS: DescriptorElement[] = [
  ...REP_DESCRIPTORS,
  'Accessibility',
  'Role',
  'Rating',
  'Viewpoint',
];
const COMMON_EXTRAS = ['ContentProtection', 'Label', 'InbandEventStream', 'ext:E', 'Switching'];

function randomRepresentation(g: Gen): Representation {
  return {
    ...opt(
      'id',
      g.maybe(() => g.text(), 0.8),
    ),
    ...opt(
      'bandwidthBps',
      g.maybe(() => g.uint32(), 0.8),
    ),
    ...opt(
      'qualityRanking',
      g.maybe(() => g.uint32(), 0.2),
    ),
    ...randomCommon(g),
    descriptors: randomDescriptors(g, REP_DESCRIPTORS, CHILD_ORDER.Representation),
    ...g.fallbacks([...COMMON_EXTRAS, 'SubRepresentation'], CHILD_ORDER.Representation),
  };
}

function randomAdaptationSet(g: Gen): AdaptationSet {
  const conditional = (): boolean | number => (g.random() < 0.5 ? g.random() < 0.5 : g.uint32());
  return {
    ...opt(
      'id',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'group',
      g.maybe(() => g.uint32(), 0.2),
    ),
    ...opt(
      'lang',
      g.maybe(() => g.text(), 0.3),
    ),
    ...opt(
      'contentType',
      g.maybe(() => g.pick(['video', 'audio', 'text', g.text()])),
    ),
    ...opt(
      'par',
      g.maybe(() => g.text(), 0.3),
    ),
    ...opt(
      'maxWidth',
      g.maybe(() => g.uint32(), 0.3),
    ),
    ...opt(
      'maxHeight',
      g.maybe(() => g.uint32(), 0.3),
    ),
    ...opt(
      'maxFrameRate',
      g.maybe(() => g.text(), 0.3),
    ),
    ...opt('segmentAlignment', g.maybe(conditional)),
    ...opt('subsegmentAlignment', g.maybe(conditional, 0.2)),
    ...opt(
      'subsegmentStartsWithSAP',
      g.maybe(() => g.int(0, 6), 0.2),
    ),
    ...opt(
      'bitstreamSwitching',
      g.maybe(() => g.random() < 0.5, 0.2),
    ),
    ...randomCommon(g),
    descriptors: randomDescriptors(g, SET_DESCRIPTORS, CHILD_ORDER.AdaptationSet),
    representations: g.many(() => randomRepresentation(g), 3),
    ...g.fallbacks([...COMMON_EXTRAS, 'ContentComponent'], CHILD_ORDER.AdaptationSet),
  };
}

function randomPeriod(g: Gen): Period {
  return {
    ...opt(
      'id',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'startS',
      g.maybe(() => g.seconds()),
    ),
    ...opt(
      'durationS',
      g.maybe(() => g.seconds()),
    ),
    ...opt(
      'bitstreamSwitching',
      g.maybe(() => g.random() < 0.5, 0.2),
    ),
    baseUrls: g.many(() => randomBaseUrl(g), 2),
    ...randomSegmentInfo(g),
    adaptationSets: g.many(() => randomAdaptationSet(g), 3),
    ...g.fallbacks(['EventStream', 'AssetIdentifier', 'SupplementalProperty', 'ext:P'], CHILD_ORDER.Period),
  };
}

function randomSteering(g: Gen): ContentSteering {
  return {
    serverUrl: g.urlText(),
    ...opt(
      'defaultServiceLocation',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'queryBeforeStart',
      g.maybe(() => g.random() < 0.5),
    ),
    ...opt(
      'clientRequirement',
      g.maybe(() => g.random() < 0.5),
    ),
    ...opt(
      'proxyServerUrl',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'extraAttributes',
      g.maybe(() => g.extraAttributes(), 0.3),
    ),
  };
}

function randomMpd(g: Gen): Mpd {
  const seconds = (): number | undefined => g.maybe(() => g.seconds());
  return {
    namespaces: {
      ...opt(
        'xmlns',
        g.maybe(() => DASH_NAMESPACE, 0.9),
      ),
      ...opt(
        'xmlns:ext',
        g.maybe(() => 'urn:example:ext', 0.7),
      ),
    },
    ...opt(
      'id',
      g.maybe(() => g.text(), 0.2),
    ),
    ...opt(
      'profiles',
      g.maybe(() => g.text()),
    ),
    ...opt(
      'type',
      g.maybe(() => g.pick(['static', 'dynamic'] as const)),
    ),
    ...opt(
      'availabilityStartTime',
      g.maybe(() => g.text(), 0.2),
    ),
    ...opt(
      'availabilityEndTime',
      g.maybe(() => g.text(), 0.2),
    ),
    ...opt(
      'publishTime',
      g.maybe(() => g.text(), 0.2),
    ),
    ...opt('mediaPresentationDurationS', seconds()),
    ...opt('minimumUpdatePeriodS', seconds()),
    ...opt('minBufferTimeS', seconds()),
    ...opt('timeShiftBufferDepthS', seconds()),
    ...opt('suggestedPresentationDelayS', seconds()),
    ...opt('maxSegmentDurationS', seconds()),
    ...opt('maxSubsegmentDurationS', seconds()),
    baseUrls: g.many(() => randomBaseUrl(g), 3),
    ...opt(
      'contentSteering',
      g.maybe(() => randomSteering(g), 0.3),
    ),
    periods: g.many(() => randomPeriod(g), 2),
    ...g.fallbacks(
      ['ProgramInformation', 'Location', 'UTCTiming', 'EssentialProperty', 'ext:M'],
      CHILD_ORDER.MPD,
    ),
  };
}

describe('round trip of seeded random models', () => {
  it('parse(write(x)) deep-equals x for 300 models', () => {
    const g = new Gen(seededRandom(20_260_101));
    for (let i = 0; i < 300; i++) {
      const mpd = randomMpd(g);
      const text = writeMpd(mpd);
      let back: Mpd;
      try {
        back = parseMpd(text);
      } catch (error) {
        throw new Error(`model ${i} does not parse back: ${String(error)}\n${text}`);
      }
      expect(back, `model ${i}`).toStrictEqual(mpd);
    }
  });
});
