/**
 * Child element order of the MPD schema (23009-1 Annex B, DASH-MPD.xsd of the 5th edition with the
 * later additions), used by the writer to emit children in schema order and by the parser to keep
 * unknown elements in that order. `ANY` marks where the schema's `xs:any namespace="##other"`
 * wildcard sits: unknown and foreign-namespace elements go there.
 *
 * ContentSteering: DASH-IF CTS 001 / ETSI TS 103 998 add it as an MPD child; it is placed after the
 * elements that describe where and how to fetch (BaseURL, Location, PatchLocation,
 * ServiceDescription, initialization sets, ContentProtection) and right before the first Period.
 */

export const ANY = '#any';

/** RepresentationBaseType: the common elements of AdaptationSet and Representation. Its wildcard comes before the subtype's elements. */
const REPRESENTATION_BASE = [
  'FramePacking',
  'AudioChannelConfiguration',
  'ContentProtection',
  'OutputProtection',
  'EssentialProperty',
  'SupplementalProperty',
  'InbandEventStream',
  'Switching',
  'RandomAccess',
  'GroupLabel',
  'Label',
  'ProducerReferenceTime',
  'ContentPopularityRate',
  'Resync',
  'SegmentSequenceProperties',
  ANY,
] as const;

const SEGMENT_BASE = ['Initialization', 'RepresentationIndex', 'FailoverContent', ANY] as const;

export const CHILD_ORDER = {
  MPD: [
    'ProgramInformation',
    'BaseURL',
    'Location',
    'PatchLocation',
    'ServiceDescription',
    'InitializationSet',
    'InitializationGroup',
    'InitializationPresentation',
    'ContentProtection',
    'ContentSteering',
    'Period',
    'Metrics',
    'EssentialProperty',
    'SupplementalProperty',
    'UTCTiming',
    'LeapSecondInformation',
    ANY,
  ],
  Period: [
    'ImportedMPD',
    'BaseURL',
    'SegmentBase',
    'SegmentList',
    'SegmentTemplate',
    'AssetIdentifier',
    'EventStream',
    'ServiceDescription',
    'ContentProtection',
    'AdaptationSet',
    'Subset',
    'SupplementalProperty',
    'EmptyAdaptationSet',
    'GroupLabel',
    'Preselection',
    ANY,
  ],
  AdaptationSet: [
    ...REPRESENTATION_BASE,
    'Accessibility',
    'Role',
    'Rating',
    'Viewpoint',
    'ContentComponent',
    'BaseURL',
    'SegmentBase',
    'SegmentList',
    'SegmentTemplate',
    'Representation',
  ],
  Representation: [
    ...REPRESENTATION_BASE,
    'BaseURL',
    'ExtendedBandwidth',
    'SubRepresentation',
    'SegmentBase',
    'SegmentList',
    'SegmentTemplate',
  ],
  SegmentBase: SEGMENT_BASE,
  // MultipleSegmentBaseType extends SegmentBaseType: the base's wildcard comes first.
  SegmentTemplate: [...SEGMENT_BASE, 'SegmentTimeline', 'BitstreamSwitching'],
  SegmentList: [...SEGMENT_BASE, 'SegmentTimeline', 'BitstreamSwitching', 'SegmentURL'],
  SegmentTimeline: ['Pattern', 'S', ANY],
  /** Descriptors, URLType, SegmentURL: only a wildcard. */
  Open: [ANY],
} as const satisfies Record<string, readonly string[]>;

export type ChildOrder = readonly string[];

/** Position of an element name in a parent's child order; unknown names take the wildcard's place. */
export function rankOf(order: ChildOrder, name: string): number {
  const index = order.indexOf(name);
  if (index >= 0 && name !== ANY) return index;
  const any = order.indexOf(ANY);
  return any >= 0 ? any : order.length;
}

/** A stable sort by schema position: elements of the same rank keep their relative order. */
export function sortBySchema<T>(items: readonly T[], order: ChildOrder, nameOf: (item: T) => string): T[] {
  return items
    .map((item, i) => ({ item, i, rank: rankOf(order, nameOf(item)) }))
    .sort((a, b) => a.rank - b.rank || a.i - b.i)
    .map((x) => x.item);
}
