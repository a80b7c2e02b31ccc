/**
 * The HLS playlist model (RFC 8216 and draft-pantos-hls-rfc8216bis, "bis" below).
 *
 * Typed fields hold what players and this CDN use; everything else is kept as written (`extraTags`,
 * `extraAttributes`) so that parse → write keeps it. Line numbers are not part of the model (see
 * `hlsLineOf`), so `parse(write(x))` deep-equals `x` for every valid model.
 *
 * Conventions that make the round trip exact:
 * - an absent attribute is an absent property (never `undefined`, never a default value);
 * - optional arrays (`extraTags`, `extraAttributes`, `keys`) are absent when empty;
 * - flags that only exist as "present" (`discontinuity`, `gap`) are `true` or absent;
 * - decimal values are plain numbers: the writer prints the shortest decimal that reads back as the
 *   same number, so `FRAME-RATE=25.000` reads as 25 and is written as `25`.
 *
 * EXT-X-DEFINE variables are not substituted: `{$name}` stays in the strings as written.
 */

/** An attribute this library has no typed field for, kept with its raw value (without quotes). */
export interface HlsAttribute {
  /** AttributeName, e.g. `X-COM-EXAMPLE-FOO` (RFC 8216 §4.2). */
  name: string;
  /** The value as written, without the surrounding quotes when `quoted`. */
  value: string;
  /** Whether the value was a quoted-string. */
  quoted: boolean;
}

/** `<length>[@<offset>]` (RFC 8216 §4.3.2.2), in bytes. */
export interface HlsByteRange {
  length: number;
  /** Absent when the range starts right after the previous segment's range (as written). */
  offset?: number;
}

export interface HlsResolution {
  width: number;
  height: number;
}

/** EXT-X-START (RFC 8216 §4.3.5.2). */
export interface HlsStart {
  /** TIME-OFFSET in seconds; negative counts from the end of the playlist. */
  timeOffsetS: number;
  precise?: boolean;
  extraAttributes?: HlsAttribute[];
}

/** EXT-X-DEFINE (bis §4.4.2.3): one of NAME+VALUE, IMPORT or QUERYPARAM. */
export type HlsDefine =
  | { kind: 'value'; name: string; value: string; extraAttributes?: HlsAttribute[] }
  | { kind: 'import'; name: string; extraAttributes?: HlsAttribute[] }
  | { kind: 'queryParam'; name: string; extraAttributes?: HlsAttribute[] };

/** METHOD of EXT-X-KEY / EXT-X-SESSION-KEY; other enumerated strings are kept as written. */
export type HlsKeyMethod = 'NONE' | 'AES-128' | 'SAMPLE-AES' | 'SAMPLE-AES-CTR' | (string & {});

/** EXT-X-KEY (RFC 8216 §4.3.2.4) or EXT-X-SESSION-KEY (§4.3.4.5). */
export interface HlsKey {
  method: HlsKeyMethod;
  uri?: string;
  /** Hexadecimal-sequence as written, e.g. `0x0123...`. */
  iv?: string;
  keyFormat?: string;
  keyFormatVersions?: string;
  extraAttributes?: HlsAttribute[];
}

/** EXT-X-MAP (RFC 8216 §4.3.2.5): the Media Initialization Section. */
export interface HlsMap {
  uri: string;
  byteRange?: HlsByteRange;
  extraAttributes?: HlsAttribute[];
}

/**
 * One Media Segment: its EXTINF and URI plus the tags that apply to it. `keys`, `map` and
 * `bitrateKbps` are the ones in effect for this segment (those tags apply until replaced), so a
 * segment carries them even when the tag was written before an earlier segment; the writer writes a
 * tag only where the value changes. Hence once a segment has a map (or bitrate) every later one must
 * have one too: HLS cannot remove them.
 */
export interface HlsSegment {
  uri: string;
  /** EXTINF duration in seconds (RFC 8216 §4.3.2.1). */
  durationS: number;
  /** EXTINF title; absent when empty. Must not end with a space. */
  title?: string;
  byteRange?: HlsByteRange;
  discontinuity?: true;
  /** EXT-X-PROGRAM-DATE-TIME as written (ISO 8601), not interpreted. */
  programDateTime?: string;
  /** The EXT-X-KEYs in effect, one per KEYFORMAT, in the order they were declared; absent when clear. */
  keys?: HlsKey[];
  map?: HlsMap;
  gap?: true;
  /** EXT-X-BITRATE in kilobits per second (bis §4.4.4.8). */
  bitrateKbps?: number;
  /** Unknown tags placed before this segment's URI, as written. */
  extraTags?: string[];
}

export interface HlsMediaPlaylist {
  kind: 'media';
  version?: number;
  /** EXT-X-TARGETDURATION in seconds (RFC 8216 §4.3.3.1). */
  targetDurationS?: number;
  /** May be read negative (not valid HLS): validation reports it. */
  mediaSequence?: number;
  discontinuitySequence?: number;
  playlistType?: 'VOD' | 'EVENT';
  independentSegments: boolean;
  iFramesOnly: boolean;
  endList: boolean;
  start?: HlsStart;
  defines: HlsDefine[];
  segments: HlsSegment[];
  /** Unknown tags before the first segment's tags, as written. */
  extraTags: string[];
  /**
   * Unknown tags after the last segment's URI (e.g. LL-HLS EXT-X-PRELOAD-HINT, EXT-X-RENDITION-REPORT),
   * as written. Empty when there are no segments (such tags are in `extraTags` then).
   */
  trailingTags: string[];
}

/** Rendition TYPE of EXT-X-MEDIA (RFC 8216 §4.3.4.1). */
export type HlsRenditionType = 'AUDIO' | 'VIDEO' | 'SUBTITLES' | 'CLOSED-CAPTIONS';

/**
 * EXT-X-MEDIA (RFC 8216 §4.3.4.1, bis §4.4.6.1). GROUP-ID and NAME are required by the spec: validation
 * reports them missing.
 */
export interface HlsRendition {
  type: HlsRenditionType;
  groupId?: string;
  name?: string;
  uri?: string;
  language?: string;
  assocLanguage?: string;
  stableRenditionId?: string;
  default?: boolean;
  autoselect?: boolean;
  forced?: boolean;
  /** e.g. `CC1` or `SERVICE3`. */
  instreamId?: string;
  bitDepth?: number;
  sampleRateHz?: number;
  characteristics?: string;
  /** e.g. `2`, `16/JOC`. */
  channels?: string;
  extraAttributes?: HlsAttribute[];
}

/** Attributes EXT-X-STREAM-INF and EXT-X-I-FRAME-STREAM-INF share (bis §4.4.6.2, §4.4.6.3). */
export interface HlsVariantCommon {
  uri: string;
  /** BANDWIDTH: peak bit rate in bits per second. Required by the spec: validation reports it missing. */
  bandwidthBps?: number;
  averageBandwidthBps?: number;
  /** SCORE: a decimal float; higher is better. May be read negative (validation reports it). */
  score?: number;
  /** CODECS as written, e.g. `avc1.640015,mp4a.40.2`. */
  codecs?: string;
  supplementalCodecs?: string;
  resolution?: HlsResolution;
  hdcpLevel?: 'TYPE-0' | 'TYPE-1' | 'NONE' | (string & {});
  allowedCpc?: string;
  videoRange?: 'SDR' | 'HLG' | 'PQ' | (string & {});
  reqVideoLayout?: string;
  stableVariantId?: string;
  /** VIDEO: GROUP-ID of the EXT-X-MEDIA TYPE=VIDEO renditions. */
  videoGroupId?: string;
  /** PATHWAY-ID for content steering (bis §4.4.6.2). */
  pathwayId?: string;
  /** PROGRAM-ID (removed in protocol version 6, still seen). */
  programId?: number;
  extraAttributes?: HlsAttribute[];
}

/** CLOSED-CAPTIONS of a variant: a group of EXT-X-MEDIA TYPE=CLOSED-CAPTIONS, or the enumerated NONE. */
export type HlsClosedCaptions = { groupId: string } | 'NONE';

/** EXT-X-STREAM-INF and the URI line after it. */
export interface HlsVariant extends HlsVariantCommon {
  /** FRAME-RATE in frames per second. */
  frameRate?: number;
  audioGroupId?: string;
  subtitlesGroupId?: string;
  closedCaptions?: HlsClosedCaptions;
  /** Unknown tags between the EXT-X-STREAM-INF and its URI line, as written. */
  extraTags?: string[];
}

/** EXT-X-I-FRAME-STREAM-INF (URI is an attribute). */
export type HlsIFrameVariant = HlsVariantCommon;

/** EXT-X-SESSION-DATA (RFC 8216 §4.3.4.4, bis §4.4.6.4). */
export interface HlsSessionData {
  dataId: string;
  value?: string;
  uri?: string;
  format?: 'JSON' | 'RAW';
  language?: string;
  extraAttributes?: HlsAttribute[];
}

/** EXT-X-CONTENT-STEERING (bis §4.4.6.6). */
export interface HlsContentSteering {
  serverUri: string;
  /** The Pathway to use until the steering manifest says otherwise. */
  pathwayId?: string;
  extraAttributes?: HlsAttribute[];
}

export interface HlsMasterPlaylist {
  kind: 'master';
  version?: number;
  independentSegments: boolean;
  start?: HlsStart;
  defines: HlsDefine[];
  contentSteering?: HlsContentSteering;
  sessionData: HlsSessionData[];
  sessionKeys: HlsKey[];
  renditions: HlsRendition[];
  variants: HlsVariant[];
  iFrameVariants: HlsIFrameVariant[];
  /** Unknown tags (outside a STREAM-INF/URI pair), as written. */
  extraTags: string[];
}

export type HlsPlaylist = HlsMasterPlaylist | HlsMediaPlaylist;
