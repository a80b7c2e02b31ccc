/** Playlist text: UTF-8 decoding, lines, and the characters a playlist may hold (RFC 8216 §4.1). */

export type DecodeResult = { ok: true; text: string } | { ok: false; line: number; message: string };

const BOM = '\uFEFF';

/**
 * Decodes a playlist. Bytes must be UTF-8 (RFC 8216 §4.1); a leading byte order mark is tolerated
 * (the RFC forbids writing one, clients in the wild accept it).
 */
export function decodePlaylist(input: string | Uint8Array): DecodeResult {
  if (typeof input === 'string') return { ok: true, text: input.startsWith(BOM) ? input.slice(1) : input };
  // The fatal decoder rejects exactly what firstInvalidUtf8Offset rejects (WHATWG UTF-8 = RFC 3629), so
  // valid input (the common case) is decoded natively in one pass, and only invalid input is walked
  // again to name the offending byte. The decoder strips a leading BOM.
  try {
    return { ok: true, text: UTF8.decode(input) };
  } catch {
    const bad = firstInvalidUtf8Offset(input) ?? 0;
    return { ok: false, line: lineAtOffset(input, bad), message: `invalid UTF-8 at byte ${bad}` };
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function lineAtOffset(bytes: Uint8Array, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (bytes[i] === 0x0a) line++;
  return line;
}

/** Offset of the first byte that breaks UTF-8 (RFC 3629 §4: no overlongs, no surrogates, ≤ U+10FFFF). */
export function firstInvalidUtf8Offset(bytes: Uint8Array): number | undefined {
  let i = 0;
  while (i < bytes.length) {
    if ((bytes[i] ?? 0) < 0x80) {
      i++;
      continue;
    }
    const length = utf8SequenceLength(bytes, i);
    if (length === 0) return i;
    i += length;
  }
  return undefined;
}

function utf8SequenceLength(bytes: Uint8Array, i: number): number {
  const b0 = bytes[i] ?? 0;
  if (b0 < 0x80) return 1;
  // [lead range, count of continuation bytes, allowed range of the first continuation byte]
  let count: number;
  let lo = 0x80;
  let hi = 0xbf;
  if (b0 >= 0xc2 && b0 <= 0xdf) count = 1;
  else if (b0 >= 0xe0 && b0 <= 0xef) {
    count = 2;
    if (b0 === 0xe0) lo = 0xa0; // overlong
    if (b0 === 0xed) hi = 0x9f; // surrogates
  } else if (b0 >= 0xf0 && b0 <= 0xf4) {
    count = 3;
    if (b0 === 0xf0) lo = 0x90; // overlong
    if (b0 === 0xf4) hi = 0x8f; // > U+10FFFF
  } else return 0;
  for (let k = 1; k <= count; k++) {
    const b = bytes[i + k];
    if (b === undefined) return 0;
    if (k === 1 ? b < lo || b > hi : b < 0x80 || b > 0xbf) return 0;
  }
  return count + 1;
}

/**
 * Whether the text holds a UTF-8 control character (U+0000–U+001F, U+007F–U+009F), which RFC 8216 §4.1
 * forbids.
 */
export function hasControlCharacter(text: string): boolean {
  return CONTROL.test(text);
}

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

/**
 * Whether some line of `text` holds a control character. Lines end with LF or CRLF (RFC 8216 §4.1), and
 * a CR at the very end is taken as a line end too: any control character but LF counts, and CR except
 * before an LF or at the very end.
 */
export function hasControlCharacterInLines(text: string): boolean {
  // Two scans that V8 runs fast (a character class, then a plain search), rather than one alternation.
  return CONTROL_BUT_LINE_ENDS.test(text) || (text.includes('\r') && LONE_CR.test(text));
}

// eslint-disable-next-line no-control-regex
const CONTROL_BUT_LINE_ENDS = /[\u0000-\u0009\u000b\u000c\u000e-\u001f\u007f-\u009f]/;
const LONE_CR = /\r(?!\n|$)/;

/** The tag name of a `#EXT...` line: `EXTINF` for `#EXTINF:4,`. Tags are case-sensitive (RFC 8216 §4.1). */
export function tagNameOf(line: string): string {
  const colon = line.indexOf(':');
  return line.slice(1, colon < 0 ? undefined : colon);
}

export function isTagLine(line: string): boolean {
  return line.startsWith('#EXT');
}
