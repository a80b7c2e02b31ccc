/**
 * MPD text → model. Collects every problem it can (syntax with a line, values with an element path
 * such as `MPD/Period[0]/AdaptationSet[1]/Representation[2]@bandwidth`) and throws them together.
 */
import { ManifestErrorCode, problemsError, type ManifestProblem } from '../errors.js';
import { CHILD_ORDER, sortBySchema, type ChildOrder } from './order.js';
import type {
  AdaptationSet,
  BaseUrl,
  ContentSteering,
  Descriptor,
  DescriptorElement,
  Extensible,
  Mpd,
  MpdType,
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
import { nonEmpty, nonEmptyRecord, opt, shorten } from './util.js';
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
import { decodeInput, isElement, isText, parseXml } from './xml.js';

export interface MpdReadResult {
  /** The model; absent when the document is not an MPD at all. Only trust it when `problems` is empty. */
  mpd?: Mpd;
  /** Parse problems (MANIFEST_ERR_PARSE), each with a line or a path. */
  problems: ManifestProblem[];
}

/**
 * Parses an MPD. Bytes are decoded as UTF-8 (fatal; a BOM is tolerated). Throws CdnError
 * MANIFEST_ERR_PARSE (from `problemsError`) listing every problem found.
 */
export function parseMpd(input: string | Uint8Array): Mpd {
  const { mpd, problems } = readMpd(input);
  if (mpd === undefined || problems.length > 0) {
    throw problemsError('DASH MPD', problems.length > 0 ? problems : [noRoot()]);
  }
  return mpd;
}

function noRoot(): ManifestProblem {
  return { code: ManifestErrorCode.Parse, path: 'MPD', message: 'no MPD element' };
}

/** Like `parseMpd` but returns the problems instead of throwing; never throws. */
export function readMpd(input: string | Uint8Array): MpdReadResult {
  const decoded = decodeInput(input);
  if (!decoded.ok) return { problems: [decoded.problem] };
  const { root, problems } = parseXml(decoded.text);
  if (root === undefined) return { problems };
  const ctx = new Context(problems);
  const mpd = readMpdElement(root, ctx);
  return mpd === undefined ? { problems } : { mpd, problems };
}

class Context {
  constructor(readonly problems: ManifestProblem[]) {}

  problem(path: string, message: string): void {
    this.problems.push({ code: ManifestErrorCode.Parse, path, message });
  }
}

interface Item {
  el: XmlElement;
  path: string;
}

/**
 * One element being read: typed attributes and children are taken by name; what is left becomes
 * `extraAttributes` / `extraElements` (in schema order). Call `extras()` last.
 */
class ElementReader {
  private readonly usedAttributes = new Set<string>();
  private readonly usedChildren = new Set<XmlElement>();
  private readonly items: Item[] = [];

  constructor(
    readonly el: XmlElement,
    readonly path: string,
    private readonly ctx: Context,
    private readonly order: ChildOrder,
  ) {
    const counts = new Map<string, number>();
    for (const child of el.children) {
      if (!isElement(child)) continue;
      const index = counts.get(child.name) ?? 0;
      counts.set(child.name, index + 1);
      this.items.push({ el: child, path: `${path}/${child.name}[${index}]` });
    }
  }

  attr<T>(name: string, codec: ValueCodec<T>): T | undefined {
    this.usedAttributes.add(name);
    if (!Object.hasOwn(this.el.attributes, name)) return undefined;
    const text = this.el.attributes[name] ?? '';
    const value = codec.parse(text);
    if (value === undefined) {
      this.ctx.problem(`${this.path}@${name}`, `"${shorten(text)}" is not ${codec.description}`);
    }
    return value;
  }

  required<T>(name: string, codec: ValueCodec<T>): T | undefined {
    if (!Object.hasOwn(this.el.attributes, name)) {
      this.ctx.problem(`${this.path}@${name}`, `required attribute ${name} is missing`);
    }
    return this.attr(name, codec);
  }

  /** The root's namespace declarations (`xmlns`, `xmlns:*`). */
  namespaces(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.el.attributes)) {
      if (name !== 'xmlns' && !name.startsWith('xmlns:')) continue;
      this.usedAttributes.add(name);
      out[name] = value;
    }
    return out;
  }

  children(name: string): Item[] {
    const found = this.items.filter((i) => i.el.name === name);
    for (const i of found) this.usedChildren.add(i.el);
    return found;
  }

  /** The one child of that name (the schema allows at most one); more is a problem. */
  child(name: string): Item | undefined {
    const found = this.children(name);
    for (const extra of found.slice(1)) this.ctx.problem(extra.path, `at most one ${name} is allowed here`);
    return found[0];
  }

  /** Gives a taken child back, to be kept as an extra element. */
  release(item: Item): void {
    this.usedChildren.delete(item.el);
  }

  extraAttributes(): Record<string, string> | undefined {
    const out: Record<string, string> = {};
    for (const [name, value] of Object.entries(this.el.attributes)) {
      if (!this.usedAttributes.has(name)) out[name] = value;
    }
    return nonEmptyRecord(out);
  }

  extraElements(): XmlElement[] | undefined {
    const left = this.items.filter((i) => !this.usedChildren.has(i.el)).map((i) => i.el);
    return nonEmpty(sortBySchema(left, this.order, (e) => e.name));
  }

  extras(): Extensible {
    return {
      ...opt('extraAttributes', this.extraAttributes()),
      ...opt('extraElements', this.extraElements()),
    };
  }
}

const MPD_TYPE = oneOf<MpdType>(['static', 'dynamic']);

function readMpdElement(root: XmlElement, ctx: Context): Mpd | undefined {
  if (root.name !== 'MPD') {
    ctx.problem('MPD', `the root element is <${shorten(root.name)}>, not <MPD>`);
    return undefined;
  }
  const n = new ElementReader(root, 'MPD', ctx, CHILD_ORDER.MPD);
  const steering = n.child('ContentSteering');
  return {
    namespaces: n.namespaces(),
    ...opt('id', n.attr('id', TEXT)),
    ...opt('profiles', n.attr('profiles', TEXT)),
    ...opt('type', n.attr('type', MPD_TYPE)),
    ...opt('availabilityStartTime', n.attr('availabilityStartTime', TEXT)),
    ...opt('availabilityEndTime', n.attr('availabilityEndTime', TEXT)),
    ...opt('publishTime', n.attr('publishTime', TEXT)),
    ...opt('mediaPresentationDurationS', n.attr('mediaPresentationDuration', DURATION)),
    ...opt('minimumUpdatePeriodS', n.attr('minimumUpdatePeriod', DURATION)),
    ...opt('minBufferTimeS', n.attr('minBufferTime', DURATION)),
    ...opt('timeShiftBufferDepthS', n.attr('timeShiftBufferDepth', DURATION)),
    ...opt('suggestedPresentationDelayS', n.attr('suggestedPresentationDelay', DURATION)),
    ...opt('maxSegmentDurationS', n.attr('maxSegmentDuration', DURATION)),
    ...opt('maxSubsegmentDurationS', n.attr('maxSubsegmentDuration', DURATION)),
    baseUrls: n.children('BaseURL').map((i) => readBaseUrl(i, ctx)),
    ...opt('contentSteering', steering && readContentSteering(steering, ctx)),
    periods: n.children('Period').map((i) => readPeriod(i, ctx)),
    ...n.extras(),
  };
}

function textContent(el: XmlElement): string {
  return el.children
    .filter(isText)
    .map((t) => t.text)
    .join('');
}

/** Elements whose content is a URL (BaseURL, ContentSteering) hold text only. */
function urlText(item: Item, ctx: Context): string {
  if (item.el.children.some(isElement)) ctx.problem(item.path, `${item.el.name} must hold only a URL`);
  return textContent(item.el).trim();
}

function readBaseUrl(item: Item, ctx: Context): BaseUrl {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Open);
  return {
    url: urlText(item, ctx),
    ...opt('serviceLocation', n.attr('serviceLocation', TEXT)),
    ...opt('byteRange', n.attr('byteRange', TEXT)),
    ...opt('extraAttributes', n.extraAttributes()),
  };
}

function readContentSteering(item: Item, ctx: Context): ContentSteering {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Open);
  return {
    serverUrl: urlText(item, ctx),
    ...opt('defaultServiceLocation', n.attr('defaultServiceLocation', TEXT)),
    ...opt('queryBeforeStart', n.attr('queryBeforeStart', BOOL)),
    ...opt('clientRequirement', n.attr('clientRequirement', BOOL)),
    ...opt('proxyServerUrl', n.attr('proxyServerURL', TEXT)),
    ...opt('extraAttributes', n.extraAttributes()),
  };
}

function readPeriod(item: Item, ctx: Context): Period {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Period);
  return {
    ...opt('id', n.attr('id', TEXT)),
    ...opt('startS', n.attr('start', DURATION)),
    ...opt('durationS', n.attr('duration', DURATION)),
    ...opt('bitstreamSwitching', n.attr('bitstreamSwitching', BOOL)),
    baseUrls: n.children('BaseURL').map((i) => readBaseUrl(i, ctx)),
    ...readSegmentInfo(n, ctx),
    adaptationSets: n.children('AdaptationSet').map((i) => readAdaptationSet(i, ctx)),
    ...n.extras(),
  };
}

interface SegmentInfo {
  segmentBase?: SegmentBase;
  segmentList?: SegmentList;
  segmentTemplate?: SegmentTemplate;
}

function readSegmentInfo(n: ElementReader, ctx: Context): SegmentInfo {
  const base = n.child('SegmentBase');
  const list = n.child('SegmentList');
  const template = n.child('SegmentTemplate');
  return {
    ...opt('segmentBase', base && readSegmentBase(base, ctx)),
    ...opt('segmentList', list && readSegmentList(list, ctx)),
    ...opt('segmentTemplate', template && readSegmentTemplate(template, ctx)),
  };
}

/** Descriptors allowed on a Representation (RepresentationBaseType), in schema order. */
const REPRESENTATION_DESCRIPTORS: readonly DescriptorElement[] = [
  'FramePacking',
  'AudioChannelConfiguration',
  'EssentialProperty',
  'SupplementalProperty',
];

/** AdaptationSet adds Accessibility, Role, Rating and Viewpoint after the common ones. */
const ADAPTATION_SET_DESCRIPTORS: readonly DescriptorElement[] = [
  ...REPRESENTATION_DESCRIPTORS,
  'Accessibility',
  'Role',
  'Rating',
  'Viewpoint',
];

/** The common attributes and elements (23009-1 5.3.7), except the segment information and descriptors. */
function readCommon(n: ElementReader, ctx: Context, descriptorNames: readonly DescriptorElement[]) {
  return {
    ...opt('profiles', n.attr('profiles', TEXT)),
    ...opt('width', n.attr('width', UINT32)),
    ...opt('height', n.attr('height', UINT32)),
    ...opt('sar', n.attr('sar', TEXT)),
    ...opt('frameRate', n.attr('frameRate', TEXT)),
    ...opt('audioSamplingRate', n.attr('audioSamplingRate', TEXT)),
    ...opt('mimeType', n.attr('mimeType', TEXT)),
    ...opt('codecs', n.attr('codecs', TEXT)),
    ...opt('startWithSAP', n.attr('startWithSAP', SAP)),
    descriptors: readDescriptors(n, descriptorNames, ctx),
    baseUrls: n.children('BaseURL').map((i) => readBaseUrl(i, ctx)),
    ...readSegmentInfo(n, ctx),
  } satisfies Omit<RepresentationBase, keyof Extensible>;
}

function readAdaptationSet(item: Item, ctx: Context): AdaptationSet {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.AdaptationSet);
  return {
    ...opt('id', n.attr('id', TEXT)),
    ...opt('group', n.attr('group', UINT32)),
    ...opt('lang', n.attr('lang', TEXT)),
    ...opt('contentType', n.attr('contentType', TEXT)),
    ...opt('par', n.attr('par', TEXT)),
    ...opt('maxWidth', n.attr('maxWidth', UINT32)),
    ...opt('maxHeight', n.attr('maxHeight', UINT32)),
    ...opt('maxFrameRate', n.attr('maxFrameRate', TEXT)),
    ...opt('segmentAlignment', n.attr('segmentAlignment', CONDITIONAL_UINT)),
    ...opt('subsegmentAlignment', n.attr('subsegmentAlignment', CONDITIONAL_UINT)),
    ...opt('subsegmentStartsWithSAP', n.attr('subsegmentStartsWithSAP', SAP)),
    ...opt('bitstreamSwitching', n.attr('bitstreamSwitching', BOOL)),
    ...readCommon(n, ctx, ADAPTATION_SET_DESCRIPTORS),
    representations: n.children('Representation').map((i) => readRepresentation(i, ctx)),
    ...n.extras(),
  };
}

function readRepresentation(item: Item, ctx: Context): Representation {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Representation);
  return {
    ...opt('id', n.attr('id', TEXT)),
    ...opt('bandwidthBps', n.attr('bandwidth', UINT32)),
    ...opt('qualityRanking', n.attr('qualityRanking', UINT32)),
    ...readCommon(n, ctx, REPRESENTATION_DESCRIPTORS),
    ...n.extras(),
  };
}

/**
 * Typed descriptors in schema order. One without the required schemeIdUri (DescriptorType,
 * 23009-1 5.8.2) stays an extra element, so it is kept as written; validation reports it.
 */
function readDescriptors(n: ElementReader, names: readonly DescriptorElement[], ctx: Context): Descriptor[] {
  const out: Descriptor[] = [];
  for (const element of names) {
    for (const item of n.children(element)) {
      const descriptor = readDescriptor(item, element, ctx);
      if (descriptor === undefined) n.release(item);
      else out.push(descriptor);
    }
  }
  return out;
}

function readDescriptor(item: Item, element: DescriptorElement, ctx: Context): Descriptor | undefined {
  const schemeIdUri = item.el.attributes['schemeIdUri'];
  if (schemeIdUri === undefined || !Object.hasOwn(item.el.attributes, 'schemeIdUri')) return undefined;
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Open);
  return {
    element,
    schemeIdUri: n.attr('schemeIdUri', TEXT) ?? schemeIdUri,
    ...opt('value', n.attr('value', TEXT)),
    ...opt('id', n.attr('id', TEXT)),
    ...n.extras(),
  };
}

function readUrlRef(item: Item, ctx: Context): UrlRef {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Open);
  return {
    ...opt('sourceUrl', n.attr('sourceURL', TEXT)),
    ...opt('range', n.attr('range', TEXT)),
    ...n.extras(),
  };
}

function readSegmentBase(item: Item, ctx: Context): SegmentBase {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.SegmentBase);
  const initialization = n.child('Initialization');
  const representationIndex = n.child('RepresentationIndex');
  return {
    ...opt('timescale', n.attr('timescale', UINT32)),
    ...opt('presentationTimeOffsetTicks', n.attr('presentationTimeOffset', UINT53)),
    ...opt('indexRange', n.attr('indexRange', TEXT)),
    ...opt('indexRangeExact', n.attr('indexRangeExact', BOOL)),
    ...opt('initialization', initialization && readUrlRef(initialization, ctx)),
    ...opt('representationIndex', representationIndex && readUrlRef(representationIndex, ctx)),
    ...n.extras(),
  };
}

interface TimelineParts {
  timeline?: SegmentTimelineEntry[];
  segmentTimelineExtras?: SegmentTimelineExtras;
}

function readTimelineOf(n: ElementReader, ctx: Context): TimelineParts {
  const item = n.child('SegmentTimeline');
  if (item === undefined) return {};
  const t = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.SegmentTimeline);
  const timeline = t.children('S').flatMap((s) => readS(s, ctx) ?? []);
  const extras = t.extras();
  return { timeline, ...opt('segmentTimelineExtras', Object.keys(extras).length > 0 ? extras : undefined) };
}

/** One S (23009-1 5.3.9.6). Child elements of S are not kept (the schema gives S none). */
function readS(item: Item, ctx: Context): SegmentTimelineEntry | undefined {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Open);
  const t = n.attr('t', UINT53);
  const d = n.required('d', UINT53);
  const r = n.attr('r', INT53);
  const extraAttributes = n.extraAttributes();
  if (d === undefined) return undefined;
  return { ...opt('t', t), d, ...opt('r', r), ...opt('extraAttributes', extraAttributes) };
}

function readSegmentTemplate(item: Item, ctx: Context): SegmentTemplate {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.SegmentTemplate);
  return {
    ...opt('timescale', n.attr('timescale', UINT32)),
    ...opt('durationTicks', n.attr('duration', UINT32)),
    ...opt('startNumber', n.attr('startNumber', UINT53)),
    ...opt('endNumber', n.attr('endNumber', UINT53)),
    ...opt('presentationTimeOffsetTicks', n.attr('presentationTimeOffset', UINT53)),
    ...opt('media', n.attr('media', TEXT)),
    ...opt('initialization', n.attr('initialization', TEXT)),
    ...opt('index', n.attr('index', TEXT)),
    ...opt('bitstreamSwitching', n.attr('bitstreamSwitching', TEXT)),
    ...readTimelineOf(n, ctx),
    ...n.extras(),
  };
}

function readSegmentList(item: Item, ctx: Context): SegmentList {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.SegmentList);
  const initialization = n.child('Initialization');
  return {
    ...opt('timescale', n.attr('timescale', UINT32)),
    ...opt('durationTicks', n.attr('duration', UINT32)),
    ...opt('startNumber', n.attr('startNumber', UINT53)),
    ...opt('presentationTimeOffsetTicks', n.attr('presentationTimeOffset', UINT53)),
    ...opt('initialization', initialization && readUrlRef(initialization, ctx)),
    ...readTimelineOf(n, ctx),
    segmentUrls: n.children('SegmentURL').map((i) => readSegmentUrl(i, ctx)),
    ...n.extras(),
  };
}

function readSegmentUrl(item: Item, ctx: Context): SegmentUrl {
  const n = new ElementReader(item.el, item.path, ctx, CHILD_ORDER.Open);
  return {
    ...opt('media', n.attr('media', TEXT)),
    ...opt('mediaRange', n.attr('mediaRange', TEXT)),
    ...opt('index', n.attr('index', TEXT)),
    ...opt('indexRange', n.attr('indexRange', TEXT)),
    ...n.extras(),
  };
}
