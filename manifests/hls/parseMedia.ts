/** Reading a Media Playlist (RFC 8216 §4.3.2, §4.3.3). */
import { readByteRange, readDecimal } from './attributes.js';
import { recordLine, recordTagLine } from './lines.js';
import { type Entry, type Reader, type TagEntry, readCommonTag } from './reader.js';
import { KEY_FIELDS, MAP_FIELDS, SEGMENT_SCOPE } from './tags.js';
import type { HlsByteRange, HlsKey, HlsMap, HlsMediaPlaylist, HlsSegment } from './types.js';

/** The tags read since the last URI line: they describe the next segment. */
interface Pending {
  extinfLine: number | undefined;
  durationS: number | undefined;
  title: string | undefined;
  byteRange: HlsByteRange | undefined;
  discontinuity: boolean;
  programDateTime: string | undefined;
  gap: boolean;
  /** Allocated on the first unknown tag: most segments have none. */
  extraTags: string[] | undefined;
}

/** Pending is reset in place after each URI line (one object, one shape, for the whole playlist). */
function clearPending(p: Pending): void {
  p.extinfLine = undefined;
  p.durationS = undefined;
  p.title = undefined;
  p.byteRange = undefined;
  p.discontinuity = false;
  p.programDateTime = undefined;
  p.gap = false;
  p.extraTags = undefined;
}

/** Tags that apply until replaced: EXT-X-KEY (per KEYFORMAT), EXT-X-MAP, EXT-X-BITRATE. */
interface InEffect {
  keys: Map<string, HlsKey>;
  map?: HlsMap;
  bitrateKbps?: number;
}

class MediaReader {
  readonly playlist: HlsMediaPlaylist = {
    kind: 'media',
    independentSegments: false,
    iFramesOnly: false,
    endList: false,
    defines: [],
    segments: [],
    extraTags: [],
    trailingTags: [],
  };
  private readonly pending: Pending = {
    extinfLine: undefined,
    durationS: undefined,
    title: undefined,
    byteRange: undefined,
    discontinuity: false,
    programDateTime: undefined,
    gap: false,
    extraTags: undefined,
  };
  private readonly inEffect: InEffect = { keys: new Map() };
  /** Whether a segment tag has been read: unknown tags before it belong to the playlist header. */
  private inSegments = false;

  constructor(private readonly reader: Reader) {}

  read(entry: Entry): void {
    if (entry.kind === 'uri') this.uri(entry.line, entry.text);
    else if (entry.scope === SEGMENT_SCOPE) {
      this.inSegments = true;
      this.segmentTag(entry);
    } else if (!this.playlistTag(entry) && !readCommonTag(this.reader, this.playlist, entry)) {
      if (this.inSegments) (this.pending.extraTags ??= []).push(entry.text);
      else this.playlist.extraTags.push(entry.text);
    }
  }

  /** End of file: an EXTINF must be followed by a URI; unknown tags after the last segment are kept. */
  finish(): HlsMediaPlaylist {
    if (this.pending.extinfLine !== undefined) {
      this.reader.report(this.pending.extinfLine, 'EXTINF is not followed by a URI line');
    }
    const rest = this.pending.extraTags ?? [];
    const into = this.playlist.segments.length > 0 ? this.playlist.trailingTags : this.playlist.extraTags;
    for (const tag of rest) into.push(tag); // not push(...rest): that overflows the stack on long lists
    return this.playlist;
  }

  private uri(line: number, uri: string): void {
    const p = this.pending;
    // A Media Segment is its tags followed by a URI, and EXTINF is REQUIRED for each (RFC 8216 §4.3.2, §4.3.2.1).
    if (p.extinfLine === undefined) this.reader.report(line, 'URI line without EXTINF');
    else if (p.durationS !== undefined)
      this.playlist.segments.push(this.segment(uri, p.durationS, p.extinfLine));
    clearPending(p);
  }

  private segment(uri: string, durationS: number, line: number): HlsSegment {
    const p = this.pending;
    const { keys, map, bitrateKbps } = this.inEffect;
    const segment: HlsSegment = { uri, durationS };
    if (p.title !== undefined) segment.title = p.title;
    if (p.byteRange) segment.byteRange = p.byteRange;
    if (p.discontinuity) segment.discontinuity = true;
    if (p.programDateTime !== undefined) segment.programDateTime = p.programDateTime;
    if (keys.size > 0) segment.keys = [...keys.values()];
    if (map) segment.map = map;
    if (p.gap) segment.gap = true;
    if (bitrateKbps !== undefined) segment.bitrateKbps = bitrateKbps;
    if (p.extraTags !== undefined) segment.extraTags = p.extraTags;
    recordLine(segment, line);
    return segment;
  }

  private segmentTag(entry: TagEntry): void {
    const r = this.reader;
    const p = this.pending;
    switch (entry.name) {
      case 'EXTINF':
        return this.extinf(entry);
      case 'EXT-X-BYTERANGE':
        return this.byteRange(entry);
      case 'EXT-X-DISCONTINUITY':
        if (r.flag(entry)) p.discontinuity = true;
        return;
      case 'EXT-X-GAP':
        if (r.flag(entry)) p.gap = true;
        return;
      case 'EXT-X-PROGRAM-DATE-TIME': {
        const value = r.value(entry);
        if (value !== undefined) p.programDateTime = value;
        return;
      }
      case 'EXT-X-BITRATE': {
        const kbps = r.integer(entry);
        if (kbps !== undefined) this.inEffect.bitrateKbps = kbps;
        return;
      }
      case 'EXT-X-KEY':
        return this.key(entry);
      case 'EXT-X-MAP': {
        const map = r.element(entry, MAP_FIELDS);
        if (map) this.inEffect.map = map;
        return;
      }
    }
  }

  /** `#EXTINF:<duration>,[<title>]` (RFC 8216 §4.3.2.1); a missing comma is tolerated. */
  private extinf(entry: TagEntry): void {
    const p = this.pending;
    if (p.extinfLine !== undefined) this.reader.report(p.extinfLine, 'EXTINF is not followed by a URI line');
    p.extinfLine = entry.line;
    p.durationS = undefined;
    p.title = undefined;
    const value = this.reader.value(entry);
    if (value === undefined) return;
    const comma = value.indexOf(',');
    const durationText = comma < 0 ? value : value.slice(0, comma);
    const durationS = readDecimal(durationText);
    if (durationS === undefined) {
      this.reader.report(
        entry.line,
        `EXTINF duration must be a non-negative decimal number, got '${durationText}'`,
      );
      return;
    }
    p.durationS = durationS;
    const title = comma < 0 ? '' : value.slice(comma + 1);
    if (title !== '') p.title = title;
  }

  /** `#EXT-X-BYTERANGE:<n>[@<o>]` (RFC 8216 §4.3.2.2). */
  private byteRange(entry: TagEntry): void {
    const value = this.reader.value(entry);
    if (value === undefined) return;
    const range = readByteRange(value);
    if (!range) this.reader.report(entry.line, `EXT-X-BYTERANGE must be <length>[@<offset>], got '${value}'`);
    else {
      recordLine(range, entry.line);
      this.pending.byteRange = range;
    }
  }

  /**
   * EXT-X-KEY applies to every segment up to the next EXT-X-KEY with the same KEYFORMAT (RFC 8216
   * §4.3.2.4, default KEYFORMAT "identity"); METHOD=NONE ends encryption.
   */
  private key(entry: TagEntry): void {
    const key = this.reader.element(entry, KEY_FIELDS);
    if (!key) return;
    if (key.method === 'NONE') this.inEffect.keys.clear();
    else this.inEffect.keys.set(key.keyFormat ?? 'identity', key);
  }

  /** Returns false when the entry is not a Media Playlist tag. */
  private playlistTag(entry: TagEntry): boolean {
    const r = this.reader;
    const pl = this.playlist;
    switch (entry.name) {
      case 'EXT-X-TARGETDURATION': {
        const s = r.integer(entry);
        if (r.once(pl, entry) && s !== undefined) pl.targetDurationS = s;
        return true;
      }
      case 'EXT-X-MEDIA-SEQUENCE': {
        const n = r.integer(entry, SIGNED_INT); // negatives are read so that validation can name them
        if (r.once(pl, entry) && n !== undefined) pl.mediaSequence = n;
        return true;
      }
      case 'EXT-X-DISCONTINUITY-SEQUENCE': {
        const n = r.integer(entry, SIGNED_INT);
        if (r.once(pl, entry) && n !== undefined) pl.discontinuitySequence = n;
        return true;
      }
      case 'EXT-X-PLAYLIST-TYPE':
        this.playlistType(entry);
        return true;
      case 'EXT-X-ENDLIST':
        recordTagLine(pl, entry.name, entry.line);
        if (r.flag(entry)) pl.endList = true;
        return true;
      case 'EXT-X-I-FRAMES-ONLY':
        recordTagLine(pl, entry.name, entry.line);
        if (r.flag(entry)) pl.iFramesOnly = true;
        return true;
      default:
        return false;
    }
  }

  private playlistType(entry: TagEntry): void {
    const value = this.reader.value(entry);
    if (value === undefined) return;
    if (value !== 'VOD' && value !== 'EVENT') {
      this.reader.report(entry.line, `EXT-X-PLAYLIST-TYPE must be VOD or EVENT, got '${value}'`);
    } else if (this.reader.once(this.playlist, entry)) this.playlist.playlistType = value;
  }
}

const SIGNED_INT = /^-?[0-9]+$/;

export function readMediaEntries(reader: Reader, entries: readonly Entry[]): HlsMediaPlaylist {
  const media = new MediaReader(reader);
  for (const entry of entries) media.read(entry);
  return media.finish();
}
