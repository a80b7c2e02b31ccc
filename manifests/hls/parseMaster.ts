/** Reading a Master (multivariant) Playlist (RFC 8216 §4.3.4, bis §4.4.6). */
import { readFields } from './attributes.js';
import { recordLine } from './lines.js';
import { type Entry, type Reader, type TagEntry, readCommonTag } from './reader.js';
import {
  CONTENT_STEERING_FIELDS,
  I_FRAME_VARIANT_FIELDS,
  KEY_FIELDS,
  RENDITION_FIELDS,
  SESSION_DATA_FIELDS,
  VARIANT_FIELDS,
} from './tags.js';
import type { HlsAttribute, HlsMasterPlaylist, HlsVariant } from './types.js';

/** An EXT-X-STREAM-INF waiting for its URI line. */
interface PendingVariant {
  line: number;
  values: Record<string, unknown>;
  extraAttributes: HlsAttribute[];
  extraTags: string[];
}

class MasterReader {
  readonly playlist: HlsMasterPlaylist = {
    kind: 'master',
    independentSegments: false,
    defines: [],
    sessionData: [],
    sessionKeys: [],
    renditions: [],
    variants: [],
    iFrameVariants: [],
    extraTags: [],
  };
  private pending: PendingVariant | undefined;

  constructor(private readonly reader: Reader) {}

  read(entry: Entry): void {
    if (entry.kind === 'uri') this.uri(entry.line, entry.text);
    else if (entry.name === 'EXT-X-STREAM-INF') this.streamInf(entry);
    else if (!this.masterTag(entry) && !readCommonTag(this.reader, this.playlist, entry)) {
      (this.pending ? this.pending.extraTags : this.playlist.extraTags).push(entry.text);
    }
  }

  finish(): HlsMasterPlaylist {
    this.unfinishedVariant();
    return this.playlist;
  }

  /** "The URI line that follows the EXT-X-STREAM-INF tag" is REQUIRED (RFC 8216 §4.3.4.2). */
  private unfinishedVariant(): void {
    if (this.pending) this.reader.report(this.pending.line, 'EXT-X-STREAM-INF is not followed by a URI line');
    this.pending = undefined;
  }

  private streamInf(entry: TagEntry): void {
    this.unfinishedVariant();
    const attributes = this.reader.attributeList(entry) ?? [];
    const { values, extra } = readFields(attributes, VARIANT_FIELDS, (m) =>
      this.reader.report(entry.line, `EXT-X-STREAM-INF ${m}`),
    );
    this.pending = { line: entry.line, values, extraAttributes: extra, extraTags: [] };
  }

  private uri(line: number, uri: string): void {
    const p = this.pending;
    if (!p) {
      this.reader.report(line, 'URI line without EXT-X-STREAM-INF');
      return;
    }
    const variant = { uri, ...p.values } as HlsVariant;
    if (p.extraAttributes.length > 0) variant.extraAttributes = p.extraAttributes;
    if (p.extraTags.length > 0) variant.extraTags = p.extraTags;
    recordLine(variant, p.line);
    this.playlist.variants.push(variant);
    this.pending = undefined;
  }

  /** Returns false when the entry is not a master playlist tag. */
  private masterTag(entry: TagEntry): boolean {
    const r = this.reader;
    const pl = this.playlist;
    switch (entry.name) {
      case 'EXT-X-MEDIA':
        pushDefined(pl.renditions, r.element(entry, RENDITION_FIELDS));
        return true;
      case 'EXT-X-I-FRAME-STREAM-INF':
        pushDefined(pl.iFrameVariants, r.element(entry, I_FRAME_VARIANT_FIELDS));
        return true;
      case 'EXT-X-SESSION-DATA':
        pushDefined(pl.sessionData, r.element(entry, SESSION_DATA_FIELDS));
        return true;
      case 'EXT-X-SESSION-KEY':
        pushDefined(pl.sessionKeys, r.element(entry, KEY_FIELDS));
        return true;
      case 'EXT-X-CONTENT-STEERING': {
        const steering = r.element(entry, CONTENT_STEERING_FIELDS);
        if (r.once(pl, entry) && steering) pl.contentSteering = steering;
        return true;
      }
      default:
        return false;
    }
  }
}

function pushDefined<T>(list: T[], element: T | undefined): void {
  if (element !== undefined) list.push(element);
}

export function readMasterEntries(reader: Reader, entries: readonly Entry[]): HlsMasterPlaylist {
  const master = new MasterReader(reader);
  for (const entry of entries) master.read(entry);
  return master.finish();
}
