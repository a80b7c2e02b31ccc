/**
 * The DASH MPD model (ISO/IEC 23009-1, 5th edition, "23009-1" below).
 *
 * Typed fields hold what players and this CDN use; every other attribute and child element is kept
 * (`extraAttributes`, `extraElements`) so that parse → write keeps ContentProtection, Label,
 * EventStream, namespaced attributes and the like. XML comments and processing instructions are
 * dropped.
 *
 * Conventions that make `parseMpd(writeMpd(x))` deep-equal `x` for every valid model:
 * - an absent attribute is an absent property (never `undefined`, never a default value);
 * - lists of typed children (`periods`, `adaptationSets`, `representations`, `baseUrls`,
 *   `descriptors`, `segmentUrls`) are always arrays; `extraAttributes` / `extraElements` are absent
 *   when empty;
 * - the writer emits children in the schema order of 23009-1 Annex B whatever the order of the arrays;
 *   the parser returns `descriptors` and `extraElements` in that order too (stable for equal names),
 *   so a model is canonical when those arrays are in schema order;
 * - durations are seconds (`…S`), times and durations in timescale units are ticks (`…Ticks`, and the
 *   `t`/`d` of SegmentTimeline entries); integers beyond 2^53 - 1 are refused by the parser rather than
 *   rounded.
 */

/** An element this library has no typed field for, kept as written (entities decoded). */
export interface XmlElement {
  /** Qualified name as written, e.g. `ContentProtection` or `cenc:pssh`. */
  name: string;
  /** Attributes in document order, values decoded. */
  attributes: Record<string, string>;
  /**
   * Child elements and text. Whitespace-only text is dropped when parsing; an element with any text
   * child is written without added indentation so that its text stays exactly as it is.
   */
  children: XmlNode[];
}

export interface XmlText {
  text: string;
}

export type XmlNode = XmlElement | XmlText;

/** The generic fallback every typed element carries. */
export interface Extensible {
  /** Attributes without a typed field, values decoded (namespaced ones keep their prefix). */
  extraAttributes?: Record<string, string>;
  /** Child elements without a typed field. */
  extraElements?: XmlElement[];
}

export type MpdType = 'static' | 'dynamic';

/** BaseURL (23009-1 5.6): `url` is the element text, trimmed. */
export interface BaseUrl {
  url: string;
  /** Identifies the delivery location (CDN) for content steering (DASH-IF CTS 001 / ETSI TS 103 998). */
  serviceLocation?: string;
  byteRange?: string;
  extraAttributes?: Record<string, string>;
}

/** MPD-level ContentSteering (DASH-IF CTS 001 / ETSI TS 103 998): the text is the steering server URL. */
export interface ContentSteering {
  serverUrl: string;
  /** Whitespace-separated list of BaseURL@serviceLocation values to use before steering data arrives. */
  defaultServiceLocation?: string;
  /** Fetch the steering manifest before playback starts (default false). */
  queryBeforeStart?: boolean;
  /** Whether the client must apply steering (default true). */
  clientRequirement?: boolean;
  proxyServerUrl?: string;
  extraAttributes?: Record<string, string>;
}

/** Descriptor elements with typed fields (DescriptorType, 23009-1 5.8.2). */
export type DescriptorElement =
  | 'FramePacking'
  | 'AudioChannelConfiguration'
  | 'EssentialProperty'
  | 'SupplementalProperty'
  | 'Accessibility'
  | 'Role'
  | 'Rating'
  | 'Viewpoint';

/**
 * A descriptor such as `<SupplementalProperty schemeIdUri="…" value="…"/>`. Role, Accessibility,
 * Rating and Viewpoint are AdaptationSet children; the others are allowed on AdaptationSet and
 * Representation.
 */
export interface Descriptor extends Extensible {
  element: DescriptorElement;
  schemeIdUri: string;
  value?: string;
  id?: string;
}

/** One `S` of a SegmentTimeline (23009-1 5.3.9.6); `t` and `d` in timescale ticks. */
export interface SegmentTimelineEntry {
  /** Start time; absent means right after the previous entry (0 for the first). */
  t?: number;
  /** Duration, > 0. */
  d: number;
  /** Repeat count: `r` more segments of the same duration; -1 repeats until the next `t` or the end. */
  r?: number;
  /** Other S attributes (`n`, `k`, …). */
  extraAttributes?: Record<string, string>;
}

/** URLType (23009-1 5.3.9.2): Initialization, RepresentationIndex. */
export interface UrlRef extends Extensible {
  sourceUrl?: string;
  /** Byte range `first-last`. */
  range?: string;
}

/** Attributes and children of SegmentTimeline other than `S`. */
export type SegmentTimelineExtras = Extensible;

/** SegmentBase (23009-1 5.3.9.2): one media segment, addressed by the BaseURL. */
export interface SegmentBase extends Extensible {
  /** Ticks per second (default 1). */
  timescale?: number;
  presentationTimeOffsetTicks?: number;
  indexRange?: string;
  indexRangeExact?: boolean;
  initialization?: UrlRef;
  representationIndex?: UrlRef;
}

/** SegmentTemplate (23009-1 5.3.9.4). Inherited from Period and AdaptationSet, attribute by attribute. */
export interface SegmentTemplate extends Extensible {
  timescale?: number;
  /** The `@duration` attribute: constant segment duration in ticks. */
  durationTicks?: number;
  startNumber?: number;
  endNumber?: number;
  presentationTimeOffsetTicks?: number;
  media?: string;
  initialization?: string;
  index?: string;
  bitstreamSwitching?: string;
  timeline?: SegmentTimelineEntry[];
  segmentTimelineExtras?: SegmentTimelineExtras;
}

/** SegmentURL (23009-1 5.3.9.3). */
export interface SegmentUrl extends Extensible {
  media?: string;
  mediaRange?: string;
  index?: string;
  indexRange?: string;
}

/** SegmentList (23009-1 5.3.9.3). */
export interface SegmentList extends Extensible {
  timescale?: number;
  durationTicks?: number;
  startNumber?: number;
  presentationTimeOffsetTicks?: number;
  initialization?: UrlRef;
  timeline?: SegmentTimelineEntry[];
  segmentTimelineExtras?: SegmentTimelineExtras;
  segmentUrls: SegmentUrl[];
}

/** Common attributes and elements of AdaptationSet and Representation (23009-1 5.3.7). */
export interface RepresentationBase extends Extensible {
  profiles?: string;
  width?: number;
  height?: number;
  /** Sample aspect ratio `w:h`. */
  sar?: string;
  /** FrameRateType as written, e.g. `25` or `12800/512`. */
  frameRate?: string;
  /** One or two decimal integers (min and max), as written. */
  audioSamplingRate?: string;
  mimeType?: string;
  codecs?: string;
  /** SAPType, 0 to 6. */
  startWithSAP?: number;
  descriptors: Descriptor[];
  baseUrls: BaseUrl[];
  segmentBase?: SegmentBase;
  segmentList?: SegmentList;
  segmentTemplate?: SegmentTemplate;
}

/** Representation (23009-1 5.3.5). */
export interface Representation extends RepresentationBase {
  /** Required by the spec, unique within the Period, no whitespace. */
  id?: string;
  /** The `@bandwidth` attribute (bits per second). */
  bandwidthBps?: number;
  qualityRanking?: number;
}

/** ConditionalUintType: `true`/`false` or an unsigned integer (a group number). */
export type ConditionalUint = boolean | number;

/** AdaptationSet (23009-1 5.3.3). */
export interface AdaptationSet extends RepresentationBase {
  /** xs:unsignedInt in the schema, kept as written (validation checks it). */
  id?: string;
  group?: number;
  lang?: string;
  contentType?: string;
  /** Picture aspect ratio `w:h`. */
  par?: string;
  maxWidth?: number;
  maxHeight?: number;
  maxFrameRate?: string;
  segmentAlignment?: ConditionalUint;
  subsegmentAlignment?: ConditionalUint;
  subsegmentStartsWithSAP?: number;
  bitstreamSwitching?: boolean;
  representations: Representation[];
}

/** Period (23009-1 5.3.2). */
export interface Period extends Extensible {
  id?: string;
  startS?: number;
  durationS?: number;
  bitstreamSwitching?: boolean;
  baseUrls: BaseUrl[];
  segmentBase?: SegmentBase;
  segmentList?: SegmentList;
  segmentTemplate?: SegmentTemplate;
  adaptationSets: AdaptationSet[];
}

/** MPD (23009-1 5.3.1). */
export interface Mpd extends Extensible {
  /** Namespace declarations of the root, e.g. `{ xmlns: 'urn:mpeg:dash:schema:mpd:2011', 'xmlns:cenc': … }`. */
  namespaces: Record<string, string>;
  id?: string;
  profiles?: string;
  type?: MpdType;
  /** xs:dateTime as written. */
  availabilityStartTime?: string;
  availabilityEndTime?: string;
  publishTime?: string;
  mediaPresentationDurationS?: number;
  minimumUpdatePeriodS?: number;
  minBufferTimeS?: number;
  timeShiftBufferDepthS?: number;
  suggestedPresentationDelayS?: number;
  maxSegmentDurationS?: number;
  maxSubsegmentDurationS?: number;
  baseUrls: BaseUrl[];
  contentSteering?: ContentSteering;
  periods: Period[];
}
