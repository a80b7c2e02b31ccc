/** The tags this library models, and the attribute tables of the attribute-list tags. */
import type { Fields } from './attributes.js';
import type {
  HlsContentSteering,
  HlsIFrameVariant,
  HlsKey,
  HlsMap,
  HlsRendition,
  HlsSessionData,
  HlsStart,
  HlsVariant,
} from './types.js';

/** Tags allowed in both kinds of playlist (RFC 8216 §4.3.1, §4.3.5; bis §4.4.2.3 for DEFINE). */
export const COMMON_TAGS: ReadonlySet<string> = new Set([
  'EXTM3U',
  'EXT-X-VERSION',
  'EXT-X-INDEPENDENT-SEGMENTS',
  'EXT-X-START',
  'EXT-X-DEFINE',
]);

/** Master (multivariant) playlist tags (RFC 8216 §4.3.4, bis §4.4.6). */
export const MASTER_TAGS: ReadonlySet<string> = new Set([
  'EXT-X-MEDIA',
  'EXT-X-STREAM-INF',
  'EXT-X-I-FRAME-STREAM-INF',
  'EXT-X-SESSION-DATA',
  'EXT-X-SESSION-KEY',
  'EXT-X-CONTENT-STEERING',
]);

/** Media Segment tags (RFC 8216 §4.3.2, bis §4.4.4): they apply to the segment(s) after them. */
export const SEGMENT_TAGS: ReadonlySet<string> = new Set([
  'EXTINF',
  'EXT-X-BYTERANGE',
  'EXT-X-DISCONTINUITY',
  'EXT-X-KEY',
  'EXT-X-MAP',
  'EXT-X-PROGRAM-DATE-TIME',
  'EXT-X-GAP',
  'EXT-X-BITRATE',
]);

/** Media Playlist tags (RFC 8216 §4.3.3): one each per playlist. */
export const MEDIA_PLAYLIST_TAGS: ReadonlySet<string> = new Set([
  'EXT-X-TARGETDURATION',
  'EXT-X-MEDIA-SEQUENCE',
  'EXT-X-DISCONTINUITY-SEQUENCE',
  'EXT-X-ENDLIST',
  'EXT-X-PLAYLIST-TYPE',
  'EXT-X-I-FRAMES-ONLY',
]);

/**
 * Which kind of playlist a tag belongs to, as a small number per tag name, so that reading looks each
 * tag line up once: ANY_SCOPE for the common tags and the tags this library does not model.
 */
export const ANY_SCOPE = 0;
export const MASTER_SCOPE = 1;
export const MEDIA_PLAYLIST_SCOPE = 2;
export const SEGMENT_SCOPE = 3;
export type TagScope =
  typeof ANY_SCOPE | typeof MASTER_SCOPE | typeof MEDIA_PLAYLIST_SCOPE | typeof SEGMENT_SCOPE;

const TAG_SCOPES: ReadonlyMap<string, TagScope> = new Map<string, TagScope>([
  ...[...MASTER_TAGS].map((name) => [name, MASTER_SCOPE] as const),
  ...[...MEDIA_PLAYLIST_TAGS].map((name) => [name, MEDIA_PLAYLIST_SCOPE] as const),
  ...[...SEGMENT_TAGS].map((name) => [name, SEGMENT_SCOPE] as const),
]);

export function tagScope(name: string): TagScope {
  return TAG_SCOPES.get(name) ?? ANY_SCOPE;
}

export function isMediaTag(name: string): boolean {
  return SEGMENT_TAGS.has(name) || MEDIA_PLAYLIST_TAGS.has(name);
}

/** Whether this library has a typed model for the tag (so it cannot be kept as an extra tag). */
export function isKnownTag(name: string): boolean {
  return COMMON_TAGS.has(name) || MASTER_TAGS.has(name) || isMediaTag(name);
}

/**
 * Attributes common to EXT-X-STREAM-INF and EXT-X-I-FRAME-STREAM-INF (bis §4.4.6.2, §4.4.6.3), in the spec's
 * order.
 */
const VARIANT_RATE_FIELDS: Fields<HlsIFrameVariant> = [
  { attr: 'BANDWIDTH', field: 'bandwidthBps', type: 'int' },
  { attr: 'AVERAGE-BANDWIDTH', field: 'averageBandwidthBps', type: 'int' },
  { attr: 'SCORE', field: 'score', type: 'signedFloat' },
  { attr: 'CODECS', field: 'codecs', type: 'quoted' },
  { attr: 'SUPPLEMENTAL-CODECS', field: 'supplementalCodecs', type: 'quoted' },
  { attr: 'RESOLUTION', field: 'resolution', type: 'resolution' },
];

const VARIANT_OUTPUT_FIELDS: Fields<HlsIFrameVariant> = [
  { attr: 'HDCP-LEVEL', field: 'hdcpLevel', type: 'enum' },
  { attr: 'ALLOWED-CPC', field: 'allowedCpc', type: 'quoted' },
  { attr: 'VIDEO-RANGE', field: 'videoRange', type: 'enum' },
  { attr: 'REQ-VIDEO-LAYOUT', field: 'reqVideoLayout', type: 'quoted' },
  { attr: 'STABLE-VARIANT-ID', field: 'stableVariantId', type: 'quoted' },
];

const VARIANT_TAIL_FIELDS: Fields<HlsIFrameVariant> = [
  { attr: 'PATHWAY-ID', field: 'pathwayId', type: 'quoted' },
  { attr: 'PROGRAM-ID', field: 'programId', type: 'int' },
];

export const VARIANT_FIELDS: Fields<HlsVariant> = [
  ...VARIANT_RATE_FIELDS,
  { attr: 'FRAME-RATE', field: 'frameRate', type: 'float' },
  ...VARIANT_OUTPUT_FIELDS,
  { attr: 'AUDIO', field: 'audioGroupId', type: 'quoted' },
  { attr: 'VIDEO', field: 'videoGroupId', type: 'quoted' },
  { attr: 'SUBTITLES', field: 'subtitlesGroupId', type: 'quoted' },
  { attr: 'CLOSED-CAPTIONS', field: 'closedCaptions', type: 'closedCaptions' },
  ...VARIANT_TAIL_FIELDS,
];

export const I_FRAME_VARIANT_FIELDS: Fields<HlsIFrameVariant> = [
  ...VARIANT_RATE_FIELDS,
  ...VARIANT_OUTPUT_FIELDS,
  { attr: 'VIDEO', field: 'videoGroupId', type: 'quoted' },
  ...VARIANT_TAIL_FIELDS,
  { attr: 'URI', field: 'uri', type: 'quoted' },
];

export const RENDITION_TYPES = ['AUDIO', 'VIDEO', 'SUBTITLES', 'CLOSED-CAPTIONS'] as const;

/** EXT-X-MEDIA (RFC 8216 §4.3.4.1, bis §4.4.6.1). */
export const RENDITION_FIELDS: Fields<HlsRendition> = [
  { attr: 'TYPE', field: 'type', type: { oneOf: RENDITION_TYPES } },
  { attr: 'GROUP-ID', field: 'groupId', type: 'quoted' },
  { attr: 'NAME', field: 'name', type: 'quoted' },
  { attr: 'LANGUAGE', field: 'language', type: 'quoted' },
  { attr: 'ASSOC-LANGUAGE', field: 'assocLanguage', type: 'quoted' },
  { attr: 'STABLE-RENDITION-ID', field: 'stableRenditionId', type: 'quoted' },
  { attr: 'DEFAULT', field: 'default', type: 'yesNo' },
  { attr: 'AUTOSELECT', field: 'autoselect', type: 'yesNo' },
  { attr: 'FORCED', field: 'forced', type: 'yesNo' },
  { attr: 'INSTREAM-ID', field: 'instreamId', type: 'quoted' },
  { attr: 'BIT-DEPTH', field: 'bitDepth', type: 'int' },
  { attr: 'SAMPLE-RATE', field: 'sampleRateHz', type: 'int' },
  { attr: 'CHARACTERISTICS', field: 'characteristics', type: 'quoted' },
  { attr: 'CHANNELS', field: 'channels', type: 'quoted' },
  { attr: 'URI', field: 'uri', type: 'quoted' },
];

/** EXT-X-KEY and EXT-X-SESSION-KEY (RFC 8216 §4.3.2.4, §4.3.4.5). */
export const KEY_FIELDS: Fields<HlsKey> = [
  { attr: 'METHOD', field: 'method', type: 'enum' },
  { attr: 'URI', field: 'uri', type: 'quoted' },
  { attr: 'IV', field: 'iv', type: 'hex' },
  { attr: 'KEYFORMAT', field: 'keyFormat', type: 'quoted' },
  { attr: 'KEYFORMATVERSIONS', field: 'keyFormatVersions', type: 'quoted' },
];

/** EXT-X-MAP (RFC 8216 §4.3.2.5). */
export const MAP_FIELDS: Fields<HlsMap> = [
  { attr: 'URI', field: 'uri', type: 'quoted' },
  { attr: 'BYTERANGE', field: 'byteRange', type: 'byteRange' },
];

/** EXT-X-SESSION-DATA (RFC 8216 §4.3.4.4, bis §4.4.6.4). */
export const SESSION_DATA_FIELDS: Fields<HlsSessionData> = [
  { attr: 'DATA-ID', field: 'dataId', type: 'quoted' },
  { attr: 'VALUE', field: 'value', type: 'quoted' },
  { attr: 'URI', field: 'uri', type: 'quoted' },
  { attr: 'FORMAT', field: 'format', type: { oneOf: ['JSON', 'RAW'] } },
  { attr: 'LANGUAGE', field: 'language', type: 'quoted' },
];

/** EXT-X-CONTENT-STEERING (bis §4.4.6.6). */
export const CONTENT_STEERING_FIELDS: Fields<HlsContentSteering> = [
  { attr: 'SERVER-URI', field: 'serverUri', type: 'quoted' },
  { attr: 'PATHWAY-ID', field: 'pathwayId', type: 'quoted' },
];

/** EXT-X-START (RFC 8216 §4.3.5.2). */
export const START_FIELDS: Fields<HlsStart> = [
  { attr: 'TIME-OFFSET', field: 'timeOffsetS', type: 'signedFloat' },
  { attr: 'PRECISE', field: 'precise', type: 'yesNo' },
];

/** Required attributes of each table: the model cannot exist without them. */
export const REQUIRED_ATTRIBUTES: Readonly<Record<string, readonly string[]>> = {
  'EXT-X-MEDIA': ['TYPE'],
  'EXT-X-I-FRAME-STREAM-INF': ['URI'],
  'EXT-X-KEY': ['METHOD'],
  'EXT-X-SESSION-KEY': ['METHOD'],
  'EXT-X-MAP': ['URI'],
  'EXT-X-SESSION-DATA': ['DATA-ID'],
  'EXT-X-CONTENT-STEERING': ['SERVER-URI'],
  'EXT-X-START': ['TIME-OFFSET'],
};
