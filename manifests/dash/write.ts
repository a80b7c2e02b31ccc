/**
 * Model → MPD text. Children are written in schema order (23009-1 Annex B, see order.ts), attributes
 * typed first then the extras as they are. Throws CdnError MANIFEST_ERR_INVALID, with the element
 * path, for values the model's types allow but MPD cannot carry (NaN, a negative bandwidth, a
 * character XML forbids, an extra attribute that duplicates a typed one).
 */
import { ManifestErrorCode, manifestError } from '../errors.js';
import { CHILD_ORDER, sortBySchema, type ChildOrder } from './order.js';
import type {
  AdaptationSet,
  BaseUrl,
  ContentSteering,
  Descriptor,
  Mpd,
  Period,
  Representation,
  RepresentationBase,
  SegmentBase,
  SegmentList,
  SegmentTemplate,
  SegmentTimelineEntry,
  SegmentTimelineExtras,
  SegmentUrl,
  UrlRef,
  XmlElement,
} from './types.js';
import {
  BOOL,
  CONDITIONAL_UINT,
  DURATION,
  INT53,
  SAP,
  TEXT,
  UINT32,
  UINT53,
  oneOf,
  type ValueCodec,
} from './values.js';
import { serializeXml } from './xml.js';

/** The MPD as an XML document (UTF-8 declaration, 2-space indentation). */
export function writeMpd(mpd: Mpd): string {
  return serializeXml(mpdToXml(mpd));
}

/** The MPD as a generic element tree, children in schema order. */
export function mpdToXml(mpd: Mpd): XmlElement {
  const path = 'MPD';
  const a = new AttributeWriter(path);
  for (const [name, value] of Object.entries(mpd.namespaces)) {
    if (name !== 'xmlns' && !name.startsWith('xmlns:'))
      invalid(`${path}@${name}`, 'is not a namespace declaration');
    a.set(name, value, TEXT);
  }
  a.set('id', mpd.id, TEXT);
  a.set('profiles', mpd.profiles, TEXT);
  a.set('type', mpd.type, oneOf(['static', 'dynamic']));
  a.set('availabilityStartTime', mpd.availabilityStartTime, TEXT);
  a.set('availabilityEndTime', mpd.availabilityEndTime, TEXT);
  a.set('publishTime', mpd.publishTime, TEXT);
  a.set('mediaPresentationDuration', mpd.mediaPresentationDurationS, DURATION);
  a.set('minimumUpdatePeriod', mpd.minimumUpdatePeriodS, DURATION);
  a.set('minBufferTime', mpd.minBufferTimeS, DURATION);
  a.set('timeShiftBufferDepth', mpd.timeShiftBufferDepthS, DURATION);
  a.set('suggestedPresentationDelay', mpd.suggestedPresentationDelayS, DURATION);
  a.set('maxSegmentDuration', mpd.maxSegmentDurationS, DURATION);
  a.set('maxSubsegmentDuration', mpd.maxSubsegmentDurationS, DURATION);
  for (const name of Object.keys(mpd.extraAttributes ?? {})) {
    if (name === 'xmlns' || name.startsWith('xmlns:')) invalid(`${path}@${name}`, 'belongs in namespaces');
  }
  const children = [
    ...mpd.baseUrls.map((b, i) => baseUrlToXml(b, `${path}/BaseURL[${i}]`)),
    ...(mpd.contentSteering ? [steeringToXml(mpd.contentSteering, `${path}/ContentSteering[0]`)] : []),
    ...mpd.periods.map((p, i) => periodToXml(p, `${path}/Period[${i}]`)),
  ];
  return element('MPD', a.done(mpd.extraAttributes), children, mpd.extraElements, CHILD_ORDER.MPD);
}

function invalid(path: string, message: string): never {
  throw manifestError(ManifestErrorCode.Invalid, `${path} ${message}`);
}

/** Collects attributes; remembers typed names so that an extra attribute cannot shadow one. */
class AttributeWriter {
  private readonly out: Record<string, string> = {};
  private readonly typed = new Set<string>();

  constructor(private readonly path: string) {}

  set<T>(name: string, value: T | undefined, codec: ValueCodec<T>): void {
    this.typed.add(name);
    if (value === undefined) return;
    try {
      this.out[name] = codec.format(value);
    } catch (error) {
      invalid(`${this.path}@${name}`, error instanceof Error ? error.message : String(error));
    }
  }

  done(extra: Record<string, string> | undefined): Record<string, string> {
    for (const [name, value] of Object.entries(extra ?? {})) {
      if (this.typed.has(name))
        invalid(`${this.path}@${name}`, 'is a typed field; it cannot be an extra attribute');
      this.out[name] = value;
    }
    return this.out;
  }
}

/** An element whose typed and extra children are merged in schema order. */
function element(
  name: string,
  attributes: Record<string, string>,
  typedChildren: XmlElement[],
  extraElements: XmlElement[] | undefined,
  order: ChildOrder,
): XmlElement {
  const children = sortBySchema([...typedChildren, ...(extraElements ?? [])], order, (e) => e.name);
  return { name, attributes, children };
}

function textElement(
  name: string,
  attributes: Record<string, string>,
  text: string,
  path: string,
): XmlElement {
  if (typeof text !== 'string') invalid(path, 'text must be a string');
  return { name, attributes, children: text === '' ? [] : [{ text }] };
}

function baseUrlToXml(b: BaseUrl, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('serviceLocation', b.serviceLocation, TEXT);
  a.set('byteRange', b.byteRange, TEXT);
  return textElement('BaseURL', a.done(b.extraAttributes), b.url, path);
}

function steeringToXml(s: ContentSteering, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('defaultServiceLocation', s.defaultServiceLocation, TEXT);
  a.set('queryBeforeStart', s.queryBeforeStart, BOOL);
  a.set('clientRequirement', s.clientRequirement, BOOL);
  a.set('proxyServerURL', s.proxyServerUrl, TEXT);
  return textElement('ContentSteering', a.done(s.extraAttributes), s.serverUrl, path);
}

function periodToXml(p: Period, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('id', p.id, TEXT);
  a.set('start', p.startS, DURATION);
  a.set('duration', p.durationS, DURATION);
  a.set('bitstreamSwitching', p.bitstreamSwitching, BOOL);
  const children = [
    ...p.baseUrls.map((b, i) => baseUrlToXml(b, `${path}/BaseURL[${i}]`)),
    ...segmentInfoToXml(p, path),
    ...p.adaptationSets.map((s, i) => adaptationSetToXml(s, `${path}/AdaptationSet[${i}]`)),
  ];
  return element('Period', a.done(p.extraAttributes), children, p.extraElements, CHILD_ORDER.Period);
}

function segmentInfoToXml(
  owner: { segmentBase?: SegmentBase; segmentList?: SegmentList; segmentTemplate?: SegmentTemplate },
  path: string,
): XmlElement[] {
  const out: XmlElement[] = [];
  if (owner.segmentBase) out.push(segmentBaseToXml(owner.segmentBase, `${path}/SegmentBase[0]`));
  if (owner.segmentList) out.push(segmentListToXml(owner.segmentList, `${path}/SegmentList[0]`));
  if (owner.segmentTemplate)
    out.push(segmentTemplateToXml(owner.segmentTemplate, `${path}/SegmentTemplate[0]`));
  return out;
}

function commonAttributes(a: AttributeWriter, r: RepresentationBase): void {
  a.set('profiles', r.profiles, TEXT);
  a.set('width', r.width, UINT32);
  a.set('height', r.height, UINT32);
  a.set('sar', r.sar, TEXT);
  a.set('frameRate', r.frameRate, TEXT);
  a.set('audioSamplingRate', r.audioSamplingRate, TEXT);
  a.set('mimeType', r.mimeType, TEXT);
  a.set('codecs', r.codecs, TEXT);
  a.set('startWithSAP', r.startWithSAP, SAP);
}

/** Descriptors a Representation may carry (RepresentationBaseType); an AdaptationSet also takes Accessibility, Role, Rating, Viewpoint. */
const REPRESENTATION_DESCRIPTORS: ReadonlySet<string> = new Set([
  'FramePacking',
  'AudioChannelConfiguration',
  'EssentialProperty',
  'SupplementalProperty',
]);
const ADAPTATION_SET_DESCRIPTORS: ReadonlySet<string> = new Set([
  ...REPRESENTATION_DESCRIPTORS,
  'Accessibility',
  'Role',
  'Rating',
  'Viewpoint',
]);

function commonChildren(r: RepresentationBase, path: string, allowed: ReadonlySet<string>): XmlElement[] {
  const counts = new Map<string, number>();
  const descriptors = r.descriptors.map((d) => {
    if (!allowed.has(d.element)) invalid(`${path}/${String(d.element)}`, 'is not a descriptor allowed here');
    const index = counts.get(d.element) ?? 0;
    counts.set(d.element, index + 1);
    return descriptorToXml(d, `${path}/${d.element}[${index}]`);
  });
  return [
    ...descriptors,
    ...r.baseUrls.map((b, i) => baseUrlToXml(b, `${path}/BaseURL[${i}]`)),
    ...segmentInfoToXml(r, path),
  ];
}

function adaptationSetToXml(s: AdaptationSet, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('id', s.id, TEXT);
  a.set('group', s.group, UINT32);
  a.set('lang', s.lang, TEXT);
  a.set('contentType', s.contentType, TEXT);
  a.set('par', s.par, TEXT);
  a.set('maxWidth', s.maxWidth, UINT32);
  a.set('maxHeight', s.maxHeight, UINT32);
  a.set('maxFrameRate', s.maxFrameRate, TEXT);
  commonAttributes(a, s);
  a.set('segmentAlignment', s.segmentAlignment, CONDITIONAL_UINT);
  a.set('subsegmentAlignment', s.subsegmentAlignment, CONDITIONAL_UINT);
  a.set('subsegmentStartsWithSAP', s.subsegmentStartsWithSAP, SAP);
  a.set('bitstreamSwitching', s.bitstreamSwitching, BOOL);
  const children = [
    ...commonChildren(s, path, ADAPTATION_SET_DESCRIPTORS),
    ...s.representations.map((r, i) => representationToXml(r, `${path}/Representation[${i}]`)),
  ];
  return element(
    'AdaptationSet',
    a.done(s.extraAttributes),
    children,
    s.extraElements,
    CHILD_ORDER.AdaptationSet,
  );
}

function representationToXml(r: Representation, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('id', r.id, TEXT);
  a.set('bandwidth', r.bandwidthBps, UINT32);
  a.set('qualityRanking', r.qualityRanking, UINT32);
  commonAttributes(a, r);
  const order = CHILD_ORDER.Representation;
  return element(
    'Representation',
    a.done(r.extraAttributes),
    commonChildren(r, path, REPRESENTATION_DESCRIPTORS),
    r.extraElements,
    order,
  );
}

function descriptorToXml(d: Descriptor, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('schemeIdUri', d.schemeIdUri, TEXT);
  a.set('value', d.value, TEXT);
  a.set('id', d.id, TEXT);
  return element(d.element, a.done(d.extraAttributes), [], d.extraElements, CHILD_ORDER.Open);
}

function urlRefToXml(name: string, u: UrlRef, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('sourceURL', u.sourceUrl, TEXT);
  a.set('range', u.range, TEXT);
  return element(name, a.done(u.extraAttributes), [], u.extraElements, CHILD_ORDER.Open);
}

function segmentBaseToXml(b: SegmentBase, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('timescale', b.timescale, UINT32);
  a.set('presentationTimeOffset', b.presentationTimeOffsetTicks, UINT53);
  a.set('indexRange', b.indexRange, TEXT);
  a.set('indexRangeExact', b.indexRangeExact, BOOL);
  const children: XmlElement[] = [];
  if (b.initialization)
    children.push(urlRefToXml('Initialization', b.initialization, `${path}/Initialization[0]`));
  if (b.representationIndex) {
    children.push(
      urlRefToXml('RepresentationIndex', b.representationIndex, `${path}/RepresentationIndex[0]`),
    );
  }
  return element(
    'SegmentBase',
    a.done(b.extraAttributes),
    children,
    b.extraElements,
    CHILD_ORDER.SegmentBase,
  );
}

function timelineToXml(
  timeline: SegmentTimelineEntry[] | undefined,
  extras: SegmentTimelineExtras | undefined,
  path: string,
): XmlElement[] {
  if (timeline === undefined && extras === undefined) return [];
  const entries = (timeline ?? []).map((s, i) => {
    const sPath = `${path}/S[${i}]`;
    const a = new AttributeWriter(sPath);
    a.set('t', s.t, UINT53);
    a.set('d', s.d, UINT53);
    a.set('r', s.r, INT53);
    return element('S', a.done(s.extraAttributes), [], undefined, CHILD_ORDER.Open);
  });
  const attributes = new AttributeWriter(path).done(extras?.extraAttributes);
  return [
    element('SegmentTimeline', attributes, entries, extras?.extraElements, CHILD_ORDER.SegmentTimeline),
  ];
}

function segmentTemplateToXml(t: SegmentTemplate, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('timescale', t.timescale, UINT32);
  a.set('duration', t.durationTicks, UINT32);
  a.set('startNumber', t.startNumber, UINT53);
  a.set('endNumber', t.endNumber, UINT53);
  a.set('presentationTimeOffset', t.presentationTimeOffsetTicks, UINT53);
  a.set('initialization', t.initialization, TEXT);
  a.set('media', t.media, TEXT);
  a.set('index', t.index, TEXT);
  a.set('bitstreamSwitching', t.bitstreamSwitching, TEXT);
  const children = timelineToXml(t.timeline, t.segmentTimelineExtras, `${path}/SegmentTimeline[0]`);
  return element(
    'SegmentTemplate',
    a.done(t.extraAttributes),
    children,
    t.extraElements,
    CHILD_ORDER.SegmentTemplate,
  );
}

function segmentListToXml(l: SegmentList, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('timescale', l.timescale, UINT32);
  a.set('duration', l.durationTicks, UINT32);
  a.set('startNumber', l.startNumber, UINT53);
  a.set('presentationTimeOffset', l.presentationTimeOffsetTicks, UINT53);
  const children: XmlElement[] = [];
  if (l.initialization)
    children.push(urlRefToXml('Initialization', l.initialization, `${path}/Initialization[0]`));
  children.push(...timelineToXml(l.timeline, l.segmentTimelineExtras, `${path}/SegmentTimeline[0]`));
  children.push(...l.segmentUrls.map((u, i) => segmentUrlToXml(u, `${path}/SegmentURL[${i}]`)));
  return element(
    'SegmentList',
    a.done(l.extraAttributes),
    children,
    l.extraElements,
    CHILD_ORDER.SegmentList,
  );
}

function segmentUrlToXml(u: SegmentUrl, path: string): XmlElement {
  const a = new AttributeWriter(path);
  a.set('media', u.media, TEXT);
  a.set('mediaRange', u.mediaRange, TEXT);
  a.set('index', u.index, TEXT);
  a.set('indexRange', u.indexRange, TEXT);
  return element('SegmentURL', a.done(u.extraAttributes), [], u.extraElements, CHILD_ORDER.Open);
}
