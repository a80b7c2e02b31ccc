/** Reading HLS playlists (RFC 8216 §4, bis §4) into the model of types.ts. */
import { ManifestErrorCode, type ManifestProblem, problemsError } from '../errors.js';
import { recordLine } from './lines.js';
import { readMasterEntries } from './parseMaster.js';
import { readMediaEntries } from './parseMedia.js';
import { type Entry, Reader } from './reader.js';
import { MASTER_SCOPE, MEDIA_PLAYLIST_SCOPE, SEGMENT_SCOPE, tagScope } from './tags.js';
import { decodePlaylist, hasControlCharacter, hasControlCharacterInLines } from './text.js';
import type { HlsMasterPlaylist, HlsMediaPlaylist, HlsPlaylist } from './types.js';

export interface HlsParseOutcome {
  /** Present when the text could be read, even with problems (then it may miss elements). */
  playlist?: HlsPlaylist;
  /** Parse problems (MANIFEST_ERR_PARSE), each with its 1-based line, in line order. */
  problems: ManifestProblem[];
}

/** Reads a playlist and collects every problem instead of stopping at the first. Never throws. */
export function readHlsPlaylist(input: string | Uint8Array): HlsParseOutcome {
  const decoded = decodePlaylist(input);
  if (!decoded.ok) {
    return { problems: [{ code: ManifestErrorCode.Parse, message: decoded.message, line: decoded.line }] };
  }
  const reader = new Reader();
  const entries = toEntries(reader, decoded.text);
  const kind = classify(reader, entries);
  const playlist =
    kind === 'master'
      ? readMasterEntries(reader, withoutScope(entries, MEDIA_PLAYLIST_SCOPE))
      : readMediaEntries(reader, withoutScope(entries, MASTER_SCOPE));
  recordLine(playlist, 1);
  const problems = reader.problems.sort((a, b) => (a.line ?? 0) - (b.line ?? 0));
  return { playlist, problems };
}

/**
 * Parses a master or media playlist. Input bytes must be UTF-8 (a leading BOM is tolerated); LF and
 * CRLF line ends are accepted. Throws a CdnError MANIFEST_ERR_PARSE listing every problem found.
 */
export function parseHlsPlaylist(input: string | Uint8Array): HlsPlaylist {
  const { playlist, problems } = readHlsPlaylist(input);
  if (!playlist || problems.length > 0) throw problemsError('HLS playlist', problems);
  return playlist;
}

/** Parses a master (multivariant) playlist; a media playlist is a MANIFEST_ERR_PARSE. */
export function parseHlsMaster(input: string | Uint8Array): HlsMasterPlaylist {
  return expectKind(parseHlsPlaylist(input), 'master');
}

/** Parses a media playlist; a master playlist is a MANIFEST_ERR_PARSE. */
export function parseHlsMedia(input: string | Uint8Array): HlsMediaPlaylist {
  return expectKind(parseHlsPlaylist(input), 'media');
}

function expectKind<K extends HlsPlaylist['kind']>(
  playlist: HlsPlaylist,
  kind: K,
): Extract<HlsPlaylist, { kind: K }> {
  if (playlist.kind === kind) return playlist as Extract<HlsPlaylist, { kind: K }>;
  throw problemsError('HLS playlist', [
    {
      code: ManifestErrorCode.Parse,
      message: `expected a ${kind} playlist, got a ${playlist.kind} playlist`,
      line: 1,
    },
  ]);
}

/**
 * Lines to entries: drops blank lines and comments, reports control characters and a missing #EXTM3U.
 * Lines end with LF or CRLF (RFC 8216 §4.1): line n of the file is the text after the (n-1)th LF, less a
 * CR before the LF (or at the end of the text), and less the spaces around it (RFC 8216 forbids them;
 * the reader tolerates them). One pass over the text, slicing only what the entries keep.
 */
function toEntries(reader: Reader, text: string): Entry[] {
  const entries: Entry[] = [];
  // A line with a control character is reported and skipped; one look at the whole text spares
  // looking at each line when there is none (the common case).
  const controls = hasControlCharacterInLines(text);
  const length = text.length;
  let line = 0;
  let start = 0;
  for (;;) {
    line++;
    let next = text.indexOf('\n', start);
    if (next < 0) next = length;
    const rawEnd = next > start && text.charCodeAt(next - 1) === CR ? next - 1 : next;
    let end = rawEnd;
    // Spaces around a line are not meaningful (RFC 8216 forbids them, the reader tolerates them).
    let from = start;
    while (from < end && text.charCodeAt(from) === SPACE) from++;
    while (end > from && text.charCodeAt(end - 1) === SPACE) end--;
    if (line === 1) {
      // EXTM3U "MUST be the first line of every Media Playlist and every Master Playlist" (RFC 8216 §4.3.1.1).
      if (end - from !== 7 || !text.startsWith('#EXTM3U', from)) {
        reader.report(1, 'the first line must be #EXTM3U');
      }
    }
    if (controls && hasControlCharacter(text.slice(start, rawEnd))) {
      reader.report(line, 'control characters are not allowed (RFC 8216 §4.1)');
    } else if (from < end) {
      readLine(reader, entries, line, text, from, end);
    }
    if (next === length) return entries;
    start = next + 1;
  }
}

const CR = 0x0d;
const SPACE = 0x20;
const HASH = 0x23;

/** One trimmed, non-empty line `text[from, end)` without control characters: a tag, a URI or a comment. */
function readLine(
  reader: Reader,
  entries: Entry[],
  line: number,
  text: string,
  from: number,
  end: number,
): void {
  if (text.charCodeAt(from) !== HASH) {
    entries.push({ kind: 'uri', line, text: text.slice(from, end) });
    return;
  }
  if (!text.startsWith('EXT', from + 1) || end - from < 4) return; // a comment (RFC 8216 §4.1)
  const tagText = text.slice(from, end);
  const colon = tagText.indexOf(':');
  const name = colon < 0 ? tagText.slice(1) : tagText.slice(1, colon);
  if (name === 'EXTM3U') {
    if (line !== 1 || colon >= 0) reader.report(line, '#EXTM3U must be the first line, alone');
    return;
  }
  const value = colon < 0 ? undefined : tagText.slice(colon + 1);
  // EXTINF, on every other line of a media playlist, is spared the lookup.
  const scope = name === 'EXTINF' ? SEGMENT_SCOPE : tagScope(name);
  entries.push({ kind: 'tag', line, text: tagText, name, value, scope });
}

/** The entries less the tags of `scope` (and, for media playlist tags, segment tags). */
function withoutScope(entries: Entry[], scope: typeof MASTER_SCOPE | typeof MEDIA_PLAYLIST_SCOPE): Entry[] {
  if (!entries.some((e) => inScope(e, scope))) return entries;
  return entries.filter((e) => !inScope(e, scope));
}

/** Whether the entry is a tag of `scope`; MEDIA_PLAYLIST_SCOPE stands for all Media Playlist and segment tags. */
function inScope(entry: Entry, scope: typeof MASTER_SCOPE | typeof MEDIA_PLAYLIST_SCOPE): boolean {
  return (
    entry.kind === 'tag' && (scope === MASTER_SCOPE ? entry.scope === MASTER_SCOPE : entry.scope >= scope)
  );
}

/**
 * Master or media: by which kind of tag comes first (a playlist of neither is an empty media
 * playlist). "Clients MUST fail to parse any Playlist that contains both a Master Playlist tag and
 * either a Media Playlist tag or a Media Segment tag" (RFC 8216 §4.3.4): every tag of the other kind is
 * reported.
 */
function classify(reader: Reader, entries: readonly Entry[]): 'master' | 'media' {
  let firstMaster: number | undefined;
  let firstMedia: number | undefined;
  for (const entry of entries) {
    if (firstMaster === undefined && inScope(entry, MASTER_SCOPE)) firstMaster = entry.line;
    if (firstMedia === undefined && inScope(entry, MEDIA_PLAYLIST_SCOPE)) firstMedia = entry.line;
    if (firstMaster !== undefined && firstMedia !== undefined) break;
  }
  const kind =
    firstMaster !== undefined && (firstMedia === undefined || firstMaster < firstMedia) ? 'master' : 'media';
  if (firstMaster === undefined || firstMedia === undefined) return kind; // nothing foreign
  const foreign = kind === 'master' ? MEDIA_PLAYLIST_SCOPE : MASTER_SCOPE;
  for (const entry of entries) {
    if (entry.kind === 'tag' && inScope(entry, foreign)) {
      reader.report(
        entry.line,
        `${entry.name} is a ${kind === 'master' ? 'media' : 'master'} playlist tag in a ${kind} playlist`,
      );
    }
  }
  return kind;
}
