/**
 * A pure HLS playlist library (RFC 8216, draft-pantos-hls-rfc8216bis): parse, write, validate, and
 * rewrite for delivery (base URLs, URL tokens, content steering). No I/O, no clock, no logging.
 */
export type {
  HlsAttribute,
  HlsByteRange,
  HlsClosedCaptions,
  HlsContentSteering,
  HlsDefine,
  HlsIFrameVariant,
  HlsKey,
  HlsKeyMethod,
  HlsMap,
  HlsMasterPlaylist,
  HlsMediaPlaylist,
  HlsPlaylist,
  HlsRendition,
  HlsRenditionType,
  HlsResolution,
  HlsSegment,
  HlsSessionData,
  HlsStart,
  HlsVariant,
  HlsVariantCommon,
} from './types.js';
export {
  parseHlsMaster,
  parseHlsMedia,
  parseHlsPlaylist,
  readHlsPlaylist,
  type HlsParseOutcome,
} from './parse.js';
export { writeHlsPlaylist } from './write.js';
export { assertValidHlsPlaylist, validateHlsPlaylist } from './validate.js';
export { hlsLineOf } from './lines.js';
export { minimumHlsVersion } from './version.js';
export {
  rewriteHlsMaster,
  rewriteHlsMedia,
  type HlsMasterRewriteOptions,
  type HlsRewriteOptions,
  type HlsSteeringOptions,
  type HlsSteeringPathway,
} from './rewrite.js';
export { withQueryParams } from './url.js';
export { findHlsVariant, hlsRenditionGroup, hlsTrackDurationS, updateHlsVariant } from './edit.js';
export { formatDecimal, lexAttributeList } from './attributes.js';
