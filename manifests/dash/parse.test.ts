import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../../common/errors.js';
import type { ManifestProblem } from '../errors.js';
import { parseMpd, readMpd } from './parse.js';
import { writeMpd } from './write.js';

const FIXTURE_URL = new URL('../testdata/shaka/manifest.mpd', import.meta.url);
const fixtureText = readFileSync(FIXTURE_URL, 'utf8');

/** The problems parseMpd throws with (fails the test when it does not throw). */
function parseProblems(input: string | Uint8Array): ManifestProblem[] {
  try {
    parseMpd(input);
  } catch (error) {
    expect(isCdnError(error, 'MANIFEST_ERR_PARSE')).toBe(true);
    return (error as { details: { problems: ManifestProblem[] } }).details.problems;
  }
  throw new Error('expected parseMpd to throw');
}

function mpdWith(body: string, rootAttributes = ''): string {
  return `<?xml version="1.0"?>\n<MPD xmlns="urn:mpeg:dash:schema:mpd:2011" profiles="p" minBufferTime="PT2S" ${rootAttributes}>${body}</MPD>`;
}

describe('parseMpd on the shaka-packager 3.4.2 fixture', () => {
  const mpd = parseMpd(fixtureText);

  it('reads the MPD attributes and namespaces', () => {
    expect(mpd.namespaces).toEqual({
      xmlns: 'urn:mpeg:dash:schema:mpd:2011',
      'xmlns:xsi': 'http://www.w3.org/2001/XMLSchema-instance',
    });
    expect(mpd.extraAttributes).toEqual({
      'xsi:schemaLocation': 'urn:mpeg:dash:schema:mpd:2011 DASH-MPD.xsd',
    });
    expect(mpd.profiles).toBe('urn:mpeg:dash:profile:isoff-live:2011');
    expect(mpd.type).toBe('static');
    expect(mpd.minBufferTimeS).toBe(2);
    expect(mpd.mediaPresentationDurationS).toBe(10);
    expect(mpd.baseUrls).toEqual([]);
    expect(mpd.periods).toHaveLength(1);
    expect(mpd.periods[0]!.id).toBe('0');
  });

  it('reads the video AdaptationSet and its two Representations', () => {
    const [video, audio] = mpd.periods[0]!.adaptationSets;
    expect(mpd.periods[0]!.adaptationSets).toHaveLength(2);
    expect(video).toMatchObject({
      id: '0',
      contentType: 'video',
      maxWidth: 640,
      maxHeight: 360,
      frameRate: '12800/512',
      segmentAlignment: true,
      par: '16:9',
    });
    expect(
      video!.representations.map((r) => [r.id, r.bandwidthBps, r.codecs, r.width, r.height, r.sar]),
    ).toEqual([
      ['0', 193496, 'avc1.640015', 480, 270, '1:1'],
      ['1', 364616, 'avc1.64001e', 640, 360, '1:1'],
    ]);
    expect(video!.representations[1]!.segmentTemplate).toStrictEqual({
      timescale: 12800,
      initialization: 'video/v1/init.mp4',
      media: 'video/v1/$Number%05d$.m4s',
      startNumber: 1,
      timeline: [
        { t: 0, d: 51200, r: 1 },
        { t: 102400, d: 25600 },
      ],
    });
    expect(audio).toMatchObject({ id: '1', contentType: 'audio', startWithSAP: 1, segmentAlignment: true });
  });

  it('reads the audio Representation with its AudioChannelConfiguration', () => {
    const rep = mpd.periods[0]!.adaptationSets[1]!.representations[0]!;
    expect(rep).toStrictEqual({
      id: '2',
      bandwidthBps: 96978,
      codecs: 'mp4a.40.2',
      mimeType: 'audio/mp4',
      audioSamplingRate: '48000',
      descriptors: [
        {
          element: 'AudioChannelConfiguration',
          schemeIdUri: 'urn:mpeg:dash:23003:3:audio_channel_configuration:2011',
          value: '2',
        },
      ],
      baseUrls: [],
      segmentTemplate: {
        timescale: 48000,
        initialization: 'audio/a0/init.mp4',
        media: 'audio/a0/$Number%05d$.m4s',
        startNumber: 1,
        timeline: [
          { t: 0, d: 192512 },
          { t: 192512, d: 191488 },
          { t: 384000, d: 96375 },
        ],
      },
    });
  });

  it('reads bytes as UTF-8, with or without a byte order mark', () => {
    const bytes = new TextEncoder().encode(fixtureText);
    expect(parseMpd(bytes)).toStrictEqual(mpd);
    expect(parseMpd(new Uint8Array([0xef, 0xbb, 0xbf, ...bytes]))).toStrictEqual(mpd);
    expect(parseMpd(`\uFEFF${fixtureText}`)).toStrictEqual(mpd);
    expect(parseMpd(Buffer.from(fixtureText))).toStrictEqual(mpd);
  });
});

describe('parseMpd keeps what it does not type', () => {
  const text = mpdWith(
    `
  <ProgramInformation moreInformationURL="https://x.example/"><Title>A &amp; B</Title></ProgramInformation>
  <BaseURL serviceLocation="a" ext:weight="2">https://a.example/t/</BaseURL>
  <Location>https://a.example/t/manifest.mpd</Location>
  <Period id="p0" start="PT0S">
    <EventStream schemeIdUri="urn:scte:scte35:2013:xml" timescale="90000">
      <Event presentationTime="0" duration="90000" id="1">splice <b>now</b></Event>
    </EventStream>
    <AdaptationSet id="3" mimeType="video/mp4" codecs="avc1.640028" ext:tag="x">
      <ContentProtection schemeIdUri="urn:mpeg:dash:mp4protection:2011" value="cenc" cenc:default_KID="0123"/>
      <ContentProtection schemeIdUri="urn:uuid:edef8ba9-79d6-4ace-a3c8-27dcd51d21ed">
        <cenc:pssh>AAAAQ3Bzc2g=</cenc:pssh>
      </ContentProtection>
      <Role schemeIdUri="urn:mpeg:dash:role:2011" value="main"/>
      <Accessibility schemeIdUri="urn:tva:metadata:cs:AudioPurposeCS:2007" value="1"/>
      <Label>English</Label>
      <SupplementalProperty value="no scheme"/>
      <Representation id="v1" bandwidth="1000" width="1" height="1">
        <ext:Extra a="1"/>
        <SegmentBase indexRange="0-99" timescale="1000"><Initialization range="0-10"/></SegmentBase>
      </Representation>
    </AdaptationSet>
  </Period>
  <UTCTiming schemeIdUri="urn:mpeg:dash:utc:http-iso:2014" value="https://time.example/"/>`,
    'xmlns:cenc="urn:mpeg:cenc:2013" xmlns:ext="urn:example:ext"',
  );

  it('keeps unknown elements and attributes, in schema order, with namespaces', () => {
    const mpd = parseMpd(text);
    expect(mpd.namespaces['xmlns:cenc']).toBe('urn:mpeg:cenc:2013');
    expect(mpd.extraElements?.map((e) => e.name)).toEqual(['ProgramInformation', 'Location', 'UTCTiming']);
    expect(mpd.extraElements?.[0]?.children).toEqual([
      { name: 'Title', attributes: {}, children: [{ text: 'A & B' }] },
    ]);
    expect(mpd.baseUrls).toEqual([
      { url: 'https://a.example/t/', serviceLocation: 'a', extraAttributes: { 'ext:weight': '2' } },
    ]);
    const period = mpd.periods[0]!;
    expect(period.extraElements?.[0]?.children[0]).toEqual({
      name: 'Event',
      attributes: { presentationTime: '0', duration: '90000', id: '1' },
      children: [{ text: 'splice ' }, { name: 'b', attributes: {}, children: [{ text: 'now' }] }],
    });
    const set = period.adaptationSets[0]!;
    expect(set.extraAttributes).toEqual({ 'ext:tag': 'x' });
    // ContentProtection (RepresentationBase) comes before Label; the SupplementalProperty without
    // schemeIdUri stays an extra element at its schema place (after ContentProtection, before Label).
    expect(set.extraElements?.map((e) => e.name)).toEqual([
      'ContentProtection',
      'ContentProtection',
      'SupplementalProperty',
      'Label',
    ]);
    // Descriptors come back in schema order: Accessibility before Role.
    expect(set.descriptors.map((d) => d.element)).toEqual(['Accessibility', 'Role']);
    const rep = set.representations[0]!;
    expect(rep.extraElements).toEqual([{ name: 'ext:Extra', attributes: { a: '1' }, children: [] }]);
    expect(rep.segmentBase).toStrictEqual({
      indexRange: '0-99',
      timescale: 1000,
      initialization: { range: '0-10' },
    });
  });

  it('writes them back so that they parse the same', () => {
    const mpd = parseMpd(text);
    const written = writeMpd(mpd);
    expect(written).toContain('<cenc:pssh>AAAAQ3Bzc2g=</cenc:pssh>');
    expect(written).toContain(
      '<Event presentationTime="0" duration="90000" id="1">splice <b>now</b></Event>',
    );
    expect(parseMpd(written)).toStrictEqual(mpd);
  });
});

describe('parse problems', () => {
  it('reports XML syntax errors with their line', () => {
    const problems = parseProblems('<?xml version="1.0"?>\n<MPD>\n  <Period>\n</MPD>');
    expect(problems).toHaveLength(1);
    expect(problems[0]).toMatchObject({ code: 'MANIFEST_ERR_PARSE', line: 4 });
  });

  it('reports a root that is not MPD', () => {
    expect(parseProblems('<html><body/></html>')).toEqual([
      { code: 'MANIFEST_ERR_PARSE', path: 'MPD', message: 'the root element is <html>, not <MPD>' },
    ]);
  });

  it('reports empty input and text around the root', () => {
    expect(parseProblems('')[0]).toMatchObject({ code: 'MANIFEST_ERR_PARSE', line: 1 });
    expect(parseProblems('<MPD/><MPD/>')[0]).toMatchObject({ path: 'MPD' });
  });

  it('reports invalid UTF-8 with its line', () => {
    const bytes = new Uint8Array([...new TextEncoder().encode('<MPD>\n<Period>\n'), 0xc3, 0x28, 0x0a]);
    expect(parseProblems(bytes)).toEqual([
      { code: 'MANIFEST_ERR_PARSE', line: 3, message: 'input is not valid UTF-8' },
    ]);
  });

  it('reports characters XML does not allow', () => {
    expect(parseProblems('<MPD a="\u0001"/>')[0]).toMatchObject({
      line: 1,
      message: expect.stringContaining('U+0001'),
    });
    expect(parseProblems('<MPD>\n\uD800</MPD>')[0]).toMatchObject({ line: 2 });
  });

  it('collects every unparseable typed value, each with its path', () => {
    const problems = parseProblems(
      mpdWith(
        `<Period duration="soon"><AdaptationSet segmentAlignment="maybe"><Representation id="a" bandwidth="1"/>` +
          `<Representation id="b" bandwidth="-5" width="1.5"><SegmentTemplate><SegmentTimeline><S t="0"/><S d="x"/></SegmentTimeline></SegmentTemplate></Representation>` +
          `</AdaptationSet></Period>`,
        'type="live" mediaPresentationDuration="10s"',
      ),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'MPD@type',
      'MPD@mediaPresentationDuration',
      'MPD/Period[0]@duration',
      'MPD/Period[0]/AdaptationSet[0]@segmentAlignment',
      'MPD/Period[0]/AdaptationSet[0]/Representation[1]@bandwidth',
      'MPD/Period[0]/AdaptationSet[0]/Representation[1]@width',
      'MPD/Period[0]/AdaptationSet[0]/Representation[1]/SegmentTemplate[0]/SegmentTimeline[0]/S[0]@d',
      'MPD/Period[0]/AdaptationSet[0]/Representation[1]/SegmentTemplate[0]/SegmentTimeline[0]/S[1]@d',
    ]);
    expect(problems.every((p) => p.code === 'MANIFEST_ERR_PARSE')).toBe(true);
    expect(problems[4]!.message).toBe('"-5" is not an unsigned 32-bit integer');
    expect(problems[6]!.message).toBe('required attribute d is missing');
  });

  it('refuses integers that a number cannot hold exactly', () => {
    const problems = parseProblems(
      mpdWith('<Period><SegmentTemplate presentationTimeOffset="18446744073709551615"/></Period>'),
    );
    expect(problems).toEqual([
      {
        code: 'MANIFEST_ERR_PARSE',
        path: 'MPD/Period[0]/SegmentTemplate[0]@presentationTimeOffset',
        message: '"18446744073709551615" is not an unsigned integer up to 2^53 - 1',
      },
    ]);
  });

  it('reports a second SegmentTemplate or ContentSteering where the schema allows one', () => {
    const problems = parseProblems(
      mpdWith(
        '<ContentSteering>a</ContentSteering><ContentSteering>b</ContentSteering><Period><SegmentTemplate/><SegmentTemplate/></Period>',
      ),
    );
    expect(problems.map((p) => p.path)).toEqual([
      'MPD/ContentSteering[1]',
      'MPD/Period[0]/SegmentTemplate[1]',
    ]);
  });

  it('decodes predefined entities and character references, and refuses others', () => {
    const mpd = parseMpd(mpdWith('<BaseURL>a&amp;b&#x26;c&#38;&lt;&gt;&quot;&apos;&#x1F600;</BaseURL>'));
    expect(mpd.baseUrls[0]!.url).toBe(`a&b&c&<>"'\u{1F600}`);
    expect(parseProblems(mpdWith('<BaseURL>a&nbsp;b</BaseURL>'))).toEqual([
      {
        code: 'MANIFEST_ERR_PARSE',
        path: 'MPD/BaseURL[0]',
        message: "'&nbsp;' is not a predefined entity or character reference (no DTD entities are expanded)",
      },
    ]);
    expect(parseProblems(mpdWith('', 'id="a & b"'))[0]).toMatchObject({ path: 'MPD@id' });
    expect(parseProblems(mpdWith('', 'id="&#0;"'))[0]).toMatchObject({ path: 'MPD@id' });
    expect(parseProblems(mpdWith('', 'id="a<b"'))[0]).toMatchObject({ path: 'MPD@id' });
  });

  it('normalizes whitespace in attribute values but keeps character references (XML 1.0 §3.3.3)', () => {
    const mpd = parseMpd(mpdWith('', 'id="a\tb\nc&#10;d"'));
    expect(mpd.id).toBe('a b c\nd');
  });

  it('never expands DTD entities (no billion laughs)', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE MPD [',
      '<!ENTITY a "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa">',
      ...Array.from(
        { length: 9 },
        (_, i) =>
          `<!ENTITY ${String.fromCharCode(98 + i)} "${`&${String.fromCharCode(97 + i)};`.repeat(10)}">`,
      ),
      ']>',
      '<MPD profiles="&j;" minBufferTime="PT2S"><BaseURL>&j;</BaseURL></MPD>',
    ].join('\n');
    const started = performance.now();
    const problems = parseProblems(lol);
    expect(performance.now() - started).toBeLessThan(1000);
    expect(problems.map((p) => p.path)).toEqual(['MPD@profiles', 'MPD/BaseURL[0]']);
  });

  it('stops at deep nesting without overflowing the stack', () => {
    const depth = 100_000;
    const text = `<MPD>${'<a>'.repeat(depth)}${'</a>'.repeat(depth)}</MPD>`;
    expect(parseProblems(text)[0]).toMatchObject({ code: 'MANIFEST_ERR_PARSE' });
  });

  it('readMpd returns the problems instead of throwing', () => {
    expect(readMpd('<MPD').problems[0]).toMatchObject({ code: 'MANIFEST_ERR_PARSE', line: 1 });
    expect(readMpd(fixtureText).problems).toEqual([]);
  });
});
