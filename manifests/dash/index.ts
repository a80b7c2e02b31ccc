/**
 * DASH MPD library (pure: no I/O, no clock, no environment, no logging): parse, write, validate,
 * expand segments, rewrite for delivery (edge BaseURL, URL tokens, content steering).
 */
export type * from './types.js';
export { parseMpd, readMpd, type MpdReadResult } from './parse.js';
export { writeMpd, mpdToXml } from './write.js';
export { validateMpd, validateMpdModel, assertValidMpd, DASH_NAMESPACE } from './validate.js';
export {
  rewriteMpd,
  setQueryParams,
  type RewriteOptions,
  type SteeringLocation,
  type SteeringOptions,
} from './rewrite.js';
export {
  segmentsOf,
  representationsOf,
  mpdDurationS,
  periodStartS,
  periodDurationS,
  resolveAddressing,
  fillTemplate,
  resolveUrl,
  MAX_SEGMENTS,
  type Addressing,
  type MediaSegment,
  type RepresentationSegments,
  type ResolvedRepresentation,
  type SegmentOptions,
  type TemplateValues,
} from './segments.js';
export { parseIsoDurationS, formatIsoDurationS } from './duration.js';
