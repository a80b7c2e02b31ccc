/**
 * Writing the model as playlist text: LF line ends, a trailing newline, numbers in the shortest
 * decimal that reads back the same. A model that cannot be written as a valid playlist (a `"` in a
 * quoted-string, a line break in a URI, a fractional BANDWIDTH, ...) is refused with a CdnError
 * MANIFEST_ERR_INVALID rather than written broken. Semantic rules (a missing BANDWIDTH, a too-low
 * EXT-X-VERSION) are validateHlsPlaylist's job, not the writer's.
 */
import {
  type Fields,
  formatByteRange,
  formatDecimal,
  formatFloat,
  formatInteger,
  invalidModel,
  writeFields,
} from './attributes.js';
import {
  CONTENT_STEERING_FIELDS,
  I_FRAME_VARIANT_FIELDS,
  KEY_FIELDS,
  MAP_FIELDS,
  REQUIRED_ATTRIBUTES,
  RENDITION_FIELDS,
  SESSION_DATA_FIELDS,
  START_FIELDS,
  VARIANT_FIELDS,
  isKnownTag,
} from './tags.js';
import { hasControlCharacter, isTagLine, tagNameOf } from './text.js';
import type {
  HlsAttribute,
  HlsDefine,
  HlsKey,
  HlsMap,
  HlsMasterPlaylist,
  HlsMediaPlaylist,
  HlsPlaylist,
  HlsSegment,
  HlsVariant,
} from './types.js';

export function writeHlsPlaylist(playlist: HlsPlaylist): string {
  const lines = playlist.kind === 'master' ? masterLines(playlist) : mediaLines(playlist);
  return `${lines.join('\n')}\n`;
}

type CommonPlaylist = Pick<HlsMasterPlaylist, 'version' | 'independentSegments' | 'start' | 'defines'>;

function masterLines(m: HlsMasterPlaylist): string[] {
  const lists = [m.sessionData, m.sessionKeys, m.renditions, m.variants, m.iFrameVariants];
  if (!m.contentSteering && lists.every((l) => l.length === 0)) {
    throw invalidModel('a master playlist needs a variant (or another master playlist tag)');
  }
  const out = ['#EXTM3U', ...versionLines(m)];
  if (m.independentSegments) out.push('#EXT-X-INDEPENDENT-SEGMENTS');
  out.push(...startAndDefineLines(m));
  if (m.contentSteering) out.push(tag('EXT-X-CONTENT-STEERING', m.contentSteering, CONTENT_STEERING_FIELDS));
  for (const d of m.sessionData) out.push(tag('EXT-X-SESSION-DATA', d, SESSION_DATA_FIELDS));
  for (const k of m.sessionKeys) out.push(tag('EXT-X-SESSION-KEY', k, KEY_FIELDS));
  out.push(...extraTagLines(m.extraTags, 'playlist'));
  if (m.renditions.length > 0) out.push('');
  for (const r of m.renditions) out.push(tag('EXT-X-MEDIA', r, RENDITION_FIELDS));
  if (m.variants.length > 0) out.push('');
  for (const v of m.variants) out.push(...variantLines(v));
  if (m.iFrameVariants.length > 0) out.push('');
  for (const v of m.iFrameVariants) out.push(tag('EXT-X-I-FRAME-STREAM-INF', v, I_FRAME_VARIANT_FIELDS));
  return out;
}

function variantLines(v: HlsVariant): string[] {
  return [
    tag('EXT-X-STREAM-INF', v, VARIANT_FIELDS),
    ...extraTagLines(v.extraTags, `variant ${v.uri}`),
    uriLine(v.uri, 'variant URI'),
  ];
}

function mediaLines(m: HlsMediaPlaylist): string[] {
  const out = ['#EXTM3U', ...versionLines(m)];
  if (m.targetDurationS !== undefined) {
    out.push(`#EXT-X-TARGETDURATION:${formatInteger(m.targetDurationS, 'targetDurationS')}`);
  }
  if (m.mediaSequence !== undefined) {
    out.push(`#EXT-X-MEDIA-SEQUENCE:${formatInteger(m.mediaSequence, 'mediaSequence', true)}`);
  }
  if (m.discontinuitySequence !== undefined) {
    const n = formatInteger(m.discontinuitySequence, 'discontinuitySequence', true);
    out.push(`#EXT-X-DISCONTINUITY-SEQUENCE:${n}`);
  }
  if (m.playlistType !== undefined) out.push(`#EXT-X-PLAYLIST-TYPE:${playlistType(m.playlistType)}`);
  if (m.iFramesOnly) out.push('#EXT-X-I-FRAMES-ONLY');
  if (m.independentSegments) out.push('#EXT-X-INDEPENDENT-SEGMENTS');
  const startAndDefines = startAndDefineLines(m);
  const extra = extraTagLines(m.extraTags, 'playlist');
  pushAll(out, startAndDefines);
  pushAll(out, extra);
  let previous: HlsSegment | undefined;
  const version = m.version ?? 1;
  m.segments.forEach((segment, i) => {
    segmentLines(out, segment, previous, i, version);
    previous = segment;
  });
  pushAll(out, extraTagLines(m.trailingTags, 'trailingTags'));
  if (m.endList) out.push('#EXT-X-ENDLIST');
  return out;
}

function isEmptyList(value: unknown): boolean {
  return Array.isArray(value) && value.length === 0;
}

/** `out.push(...lines)` without passing every line as an argument (which overflows the stack on long lists). */
function pushAll(out: string[], lines: readonly string[]): void {
  for (const line of lines) out.push(line);
}

function playlistType(value: unknown): string {
  if (value !== 'VOD' && value !== 'EVENT') throw invalidModel('playlistType must be VOD or EVENT');
  return value;
}

function versionLines(p: CommonPlaylist): string[] {
  return p.version === undefined ? [] : [`#EXT-X-VERSION:${formatInteger(p.version, 'version')}`];
}

function startAndDefineLines(p: CommonPlaylist): string[] {
  const out = p.start ? [tag('EXT-X-START', p.start, START_FIELDS)] : [];
  for (const d of p.defines) out.push(`#EXT-X-DEFINE:${defineAttributes(d)}`);
  return out;
}

/**
 * A segment's tags, then EXTINF, its unknown tags, and its URI, appended to `out`. Tags that stay in
 * effect (EXT-X-MAP, EXT-X-KEY, EXT-X-BITRATE) are written only where they change. EXT-X-MAP comes
 * before EXT-X-KEY, so a new key is not taken to encrypt the Media Initialization Section (RFC 8216
 * §4.3.2.4/§4.3.2.5). The `segment <index>` that error messages start with is made only when needed.
 */
function segmentLines(
  out: string[],
  s: HlsSegment,
  previous: HlsSegment | undefined,
  index: number,
  version: number,
): void {
  if (s.discontinuity === true) out.push('#EXT-X-DISCONTINUITY');
  const previousMap = previous?.map;
  if (s.map !== undefined || previousMap !== undefined) {
    pushAll(out, mapLines(s.map, previousMap, s.discontinuity === true, segmentWhere(index)));
  }
  const keys = s.keys ?? [];
  const previousKeys = previous?.keys ?? [];
  if (!isEmptyList(keys) || !isEmptyList(previousKeys))
    pushAll(out, keyLines(keys, previousKeys, segmentWhere(index)));
  if (s.programDateTime !== undefined)
    out.push(`#EXT-X-PROGRAM-DATE-TIME:${lineValue(s.programDateTime, segmentWhere(index))}`);
  if (s.gap === true) out.push('#EXT-X-GAP');
  if (s.bitrateKbps !== undefined || previous?.bitrateKbps !== undefined) {
    pushAll(out, bitrateLines(s.bitrateKbps, previous?.bitrateKbps, segmentWhere(index)));
  }
  if (s.byteRange)
    out.push(`#EXT-X-BYTERANGE:${formatByteRange(s.byteRange, `${segmentWhere(index)} byteRange`)}`);
  out.push(`#EXTINF:${duration(s.durationS, version, index)},${title(s.title, index)}`);
  if (s.extraTags !== undefined) pushAll(out, extraTagLines(s.extraTags, segmentWhere(index)));
  out.push(isPlainUri(s.uri) ? s.uri : uriLine(s.uri, `${segmentWhere(index)} URI`));
}

function segmentWhere(index: number): string {
  return `segment ${index}`;
}

/**
 * EXTINF duration: from version 3 on (decimal-floating-point durations, RFC 8216 §4.3.2.1) with at
 * least three decimals as packagers write them (`4.000`), the shortest exact decimal otherwise.
 */
function duration(durationS: number, version: number, index: number): string {
  const text =
    typeof durationS === 'number' && Number.isFinite(durationS) && durationS >= 0
      ? formatDecimal(durationS)
      : formatFloat(durationS, `${segmentWhere(index)} durationS`);
  if (version < 3) return text;
  const point = text.indexOf('.');
  if (point < 0) return `${text}.000`;
  const decimals = text.length - point - 1;
  return decimals >= 3 ? text : decimals === 2 ? `${text}0` : `${text}00`;
}

function title(value: string | undefined, index: number): string {
  if (value === undefined || value === '') return '';
  if (typeof value !== 'string' || hasControlCharacter(value) || value.endsWith(' ')) {
    throw invalidModel(
      `${segmentWhere(index)} title must be a string without control characters or trailing spaces`,
    );
  }
  return value;
}

/** EXT-X-MAP where it changes, and again after a discontinuity (where players may reset their state). */
function mapLines(
  map: HlsMap | undefined,
  previous: HlsMap | undefined,
  again: boolean,
  where: string,
): string[] {
  if (map === undefined) {
    if (previous !== undefined) throw invalidModel(`${where} has no map but an earlier segment has one`);
    return [];
  }
  const unchanged = previous !== undefined && sameValue(map, previous);
  return unchanged && !again ? [] : [tag('EXT-X-MAP', map, MAP_FIELDS)];
}

function bitrateLines(kbps: number | undefined, previous: number | undefined, where: string): string[] {
  if (kbps === undefined) {
    if (previous !== undefined)
      throw invalidModel(`${where} has no bitrateKbps but an earlier segment has one`);
    return [];
  }
  return kbps === previous ? [] : [`#EXT-X-BITRATE:${formatInteger(kbps, `${where} bitrateKbps`)}`];
}

/**
 * The EXT-X-KEY lines that turn the keys in effect from `previous` into `keys`. A key stays in effect
 * until one with the same KEYFORMAT replaces it or METHOD=NONE clears all (RFC 8216 §4.3.2.4); when
 * `keys` keeps the previous formats in order, only the changed and added keys are written.
 */
function keyLines(keys: readonly HlsKey[], previous: readonly HlsKey[], where: string): string[] {
  checkKeys(keys, where);
  if (sameValue(keys, previous)) return [];
  const extendsPrevious =
    keys.length >= previous.length && previous.every((k, i) => keyFormat(k) === keyFormat(keys[i]));
  if (extendsPrevious) {
    return keys.filter((k, i) => !sameValue(k, previous[i])).map((k) => tag('EXT-X-KEY', k, KEY_FIELDS));
  }
  const clear = previous.length > 0 ? ['#EXT-X-KEY:METHOD=NONE'] : [];
  return [...clear, ...keys.map((k) => tag('EXT-X-KEY', k, KEY_FIELDS))];
}

function checkKeys(keys: readonly HlsKey[], where: string): void {
  const formats = new Set(keys.map(keyFormat));
  if (formats.size !== keys.length) throw invalidModel(`${where} has two keys with the same KEYFORMAT`);
  if (keys.some((k) => k.method === 'NONE')) {
    throw invalidModel(`${where} has a METHOD=NONE key: leave keys out of a clear segment`);
  }
}

function keyFormat(key: HlsKey | undefined): string {
  return key?.keyFormat ?? 'identity';
}

const VARIABLE_NAME = /^[a-zA-Z0-9_-]+$/;
const DEFINE_ATTRIBUTE = { value: 'NAME', import: 'IMPORT', queryParam: 'QUERYPARAM' } as const;

/** EXT-X-DEFINE (bis §4.4.2.3). */
function defineAttributes(d: HlsDefine): string {
  const attr = DEFINE_ATTRIBUTE[d.kind] as string | undefined;
  if (attr === undefined || typeof d.name !== 'string' || !VARIABLE_NAME.test(d.name)) {
    throw invalidModel(`EXT-X-DEFINE needs a kind and a [a-zA-Z0-9_-] name, got ${JSON.stringify(d)}`);
  }
  const main: HlsAttribute[] = [{ name: attr, value: d.name, quoted: true }];
  if (d.kind === 'value') main.push({ name: 'VALUE', value: d.value, quoted: true });
  const reserved = ['NAME', 'VALUE', 'IMPORT', 'QUERYPARAM'];
  if (d.extraAttributes?.some((a) => reserved.includes(a.name))) {
    throw invalidModel(`EXT-X-DEFINE ${d.name} has NAME/VALUE/IMPORT/QUERYPARAM in extraAttributes`);
  }
  return writeFields(
    { extraAttributes: [...main, ...(d.extraAttributes ?? [])] },
    [],
    `EXT-X-DEFINE ${d.name}`,
  );
}

function tag<T extends { extraAttributes?: HlsAttribute[] }>(
  name: string,
  element: T,
  fields: Fields<T>,
): string {
  for (const attr of REQUIRED_ATTRIBUTES[name] ?? []) {
    const field = fields.find((f) => f.attr === attr);
    if (field && element[field.field] === undefined)
      throw invalidModel(`${name} needs ${attr} (${field.field})`);
  }
  return `#${name}:${writeFields(element, fields, name)}`;
}

/** Whether uriLine(uri) is `uri` as it is (what it checks, without naming the URI in a message). */
function isPlainUri(uri: unknown): uri is string {
  return (
    typeof uri === 'string' &&
    uri !== '' &&
    !uri.startsWith('#') &&
    !uri.startsWith(' ') &&
    !uri.endsWith(' ') &&
    !hasControlCharacter(uri)
  );
}

/** A URI line (RFC 8216 §4.1): not empty, not starting with `#` or a space (lines are trimmed when read). */
function uriLine(uri: unknown, where: string): string {
  if (typeof uri !== 'string' || uri.startsWith('#') || uri.startsWith(' ')) {
    throw invalidModel(
      `${where} must be a string not starting with '#' or a space, got ${JSON.stringify(uri)}`,
    );
  }
  return lineValue(uri, where);
}

/** A non-empty value that ends a line: no control characters (so no line break), no trailing space. */
function lineValue(value: unknown, where: string): string {
  if (typeof value !== 'string' || value === '' || hasControlCharacter(value) || value.endsWith(' ')) {
    throw invalidModel(
      `${where} must be a one-line string not ending with a space, got ${JSON.stringify(value)}`,
    );
  }
  return value;
}

/**
 * Unknown tags are written as they were read; they must be single `#EXT` lines of tags this library does not
 * model.
 */
function extraTagLines(tags: readonly string[] | undefined, where: string): string[] {
  return (tags ?? []).map((t) => {
    const line = lineValue(t, `${where} extra tag`);
    if (!isTagLine(line))
      throw invalidModel(`${where} extra tag must start with #EXT, got ${JSON.stringify(t)}`);
    if (isKnownTag(tagNameOf(line))) {
      throw invalidModel(`${where} extra tag ${tagNameOf(line)} has a typed field: set that instead`);
    }
    return line;
  });
}

/** Structural equality of plain model values. */
function sameValue(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  const ka = Object.keys(a).filter((k) => (a as Record<string, unknown>)[k] !== undefined);
  const kb = Object.keys(b).filter((k) => (b as Record<string, unknown>)[k] !== undefined);
  return (
    ka.length === kb.length &&
    ka.every((k) => sameValue((a as Record<string, unknown>)[k], (b as Record<string, unknown>)[k]))
  );
}
