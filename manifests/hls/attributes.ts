/**
 * Attribute lists (RFC 8216 §4.2, bis §4.2): the lexer, the typed values, and the field tables that
 * map attributes to model properties. The reader and the writer share the tables, so every value the
 * reader accepts the writer can write back, and every value the writer writes the reader accepts.
 */
import { ManifestErrorCode, manifestError } from '../errors.js';
import { hasControlCharacter } from './text.js';
import type { HlsAttribute } from './types.js';

export type LexResult = { ok: true; attributes: HlsAttribute[] } | { ok: false; message: string };

/** AttributeName is [A-Z0-9-] (RFC 8216 §4.2); lower case and `_` are tolerated as seen in the wild. */
const NAME = /^[A-Za-z0-9_-]+$/;
const NAME_AT = /[A-Za-z0-9_-]+/y;
/** An unquoted value (enumerated-string, numbers, hexadecimal, resolution): no quote, comma or whitespace. */
const UNQUOTED_AT = /[^",\s]+/y;

/** `NAME=VALUE(,NAME=VALUE)*`; an empty list is accepted (validation reports missing attributes). */
export function lexAttributeList(text: string): LexResult {
  const attributes: HlsAttribute[] = [];
  const seen = new Set<string>();
  let i = 0;
  while (i < text.length) {
    const name = matchAt(NAME_AT, text, i);
    if (name === undefined) return fail(`expected an attribute name at column ${i + 1}`);
    i += name.length;
    if (text[i] !== '=') return fail(`expected '=' after ${name}`);
    i++;
    const value = lexValue(text, i);
    if (!value.ok) return fail(`${name}: ${value.message}`);
    // One AttributeName/AttributeValue pair per AttributeName (RFC 8216 §4.2).
    if (seen.has(name)) return fail(`${name} appears more than once`);
    seen.add(name);
    attributes.push({ name, value: value.value, quoted: value.quoted });
    i = value.end;
    if (i === text.length) break;
    if (text[i] !== ',') return fail(`expected ',' after the value of ${name}`);
    i++;
    while (text[i] === ' ') i++; // tolerated: `A=1, B=2`
    if (i === text.length) return fail('attribute list ends with a comma');
  }
  return { ok: true, attributes };
}

type LexedValue = { ok: true; value: string; quoted: boolean; end: number } | { ok: false; message: string };

function lexValue(text: string, start: number): LexedValue {
  if (text[start] === '"') {
    const close = text.indexOf('"', start + 1);
    if (close < 0) return { ok: false, message: 'unterminated quoted-string' };
    return { ok: true, value: text.slice(start + 1, close), quoted: true, end: close + 1 };
  }
  const value = matchAt(UNQUOTED_AT, text, start);
  if (value === undefined) return { ok: false, message: 'empty value' };
  return { ok: true, value, quoted: false, end: start + value.length };
}

function matchAt(sticky: RegExp, text: string, at: number): string | undefined {
  sticky.lastIndex = at;
  return sticky.exec(text)?.[0];
}

function fail(message: string): LexResult {
  return { ok: false, message };
}

// ---------------------------------------------------------------------------------------------------
// Typed values (RFC 8216 §4.2)

export type AttrType =
  | 'int' // decimal-integer
  | 'signedInt' // a decimal-integer read with a sign so validation can report negatives
  | 'float' // decimal-floating-point
  | 'signedFloat' // signed-decimal-floating-point
  | 'quoted' // quoted-string
  | 'enum' // enumerated-string
  | 'hex' // hexadecimal-sequence
  | 'resolution' // decimal-resolution
  | 'yesNo' // enumerated-string YES or NO, as a boolean
  | 'byteRange' // quoted-string `<n>[@<o>]` (EXT-X-MAP BYTERANGE, RFC 8216 §4.3.2.5)
  | 'closedCaptions' // quoted-string group id or enumerated-string NONE (RFC 8216 §4.3.4.2)
  | { oneOf: readonly string[] }; // enumerated-string from a closed set

const INT = /^[0-9]+$/;
const SIGNED_INT = /^-?[0-9]+$/;
const FLOAT = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const SIGNED_FLOAT = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)$/;
const HEX = /^0[xX][0-9a-fA-F]+$/;
const RESOLUTION = /^([0-9]+)x([0-9]+)$/;
const BYTE_RANGE = /^([0-9]+)(?:@([0-9]+))?$/;

export type ValueResult = { ok: true; value: unknown } | { ok: false; message: string };

/** Reads one attribute as `type`. */
export function readValue(type: AttrType, attr: HlsAttribute): ValueResult {
  if (typeof type === 'object') return readOneOf(type.oneOf, attr);
  switch (type) {
    case 'int':
      return unquoted(attr, 'a decimal-integer', () => readInteger(attr.value, INT));
    case 'signedInt':
      return unquoted(attr, 'a decimal-integer', () => readInteger(attr.value, SIGNED_INT));
    case 'float':
      return unquoted(attr, 'a decimal-floating-point', () => readDecimal(attr.value, FLOAT));
    case 'signedFloat':
      return unquoted(attr, 'a signed-decimal-floating-point', () => readDecimal(attr.value, SIGNED_FLOAT));
    case 'quoted':
      return attr.quoted ? ok(attr.value) : bad('must be a quoted-string');
    case 'enum':
      return unquoted(attr, 'an enumerated-string', () => attr.value);
    case 'hex':
      return unquoted(attr, 'a hexadecimal-sequence', () => (HEX.test(attr.value) ? attr.value : undefined));
    case 'resolution':
      return unquoted(attr, 'a decimal-resolution (WIDTHxHEIGHT)', () => readResolution(attr.value));
    case 'yesNo':
      return readOneOf(['YES', 'NO'], attr, (v) => v === 'YES');
    case 'byteRange':
      if (!attr.quoted) return bad('must be a quoted-string');
      return orBad(readByteRange(attr.value), 'must be "<length>[@<offset>]"');
    case 'closedCaptions':
      if (attr.quoted) return ok({ groupId: attr.value });
      return attr.value === 'NONE' ? ok('NONE') : bad('must be a quoted-string or NONE');
  }
}

function unquoted(attr: HlsAttribute, what: string, read: () => unknown): ValueResult {
  if (attr.quoted) return bad(`must be ${what}, not a quoted-string`);
  return orBad(read(), `must be ${what}`);
}

function readOneOf(values: readonly string[], attr: HlsAttribute, map?: (v: string) => unknown): ValueResult {
  if (attr.quoted || !values.includes(attr.value)) return bad(`must be one of ${values.join(', ')}`);
  return ok(map ? map(attr.value) : attr.value);
}

/** A decimal-integer that a JavaScript number holds exactly (RFC 8216 allows up to 2^64-1). */
export function readInteger(text: string, pattern: RegExp = INT): number | undefined {
  if (!pattern.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n || 0 : undefined; // `|| 0`: -0 reads as 0
}

export function readDecimal(text: string, pattern: RegExp = FLOAT): number | undefined {
  if (!pattern.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n || 0 : undefined;
}

function readResolution(text: string): unknown {
  const m = RESOLUTION.exec(text);
  const width = readInteger(m?.[1] ?? '');
  const height = readInteger(m?.[2] ?? '');
  return width === undefined || height === undefined ? undefined : { width, height };
}

/** `<length>[@<offset>]` (RFC 8216 §4.3.2.2). */
export function readByteRange(text: string): { length: number; offset?: number } | undefined {
  const m = BYTE_RANGE.exec(text);
  if (!m) return undefined;
  const length = readInteger(m[1] ?? '');
  const offset = m[2] === undefined ? undefined : readInteger(m[2]);
  if (length === undefined || (m[2] !== undefined && offset === undefined)) return undefined;
  return offset === undefined ? { length } : { length, offset };
}

function ok(value: unknown): ValueResult {
  return { ok: true, value };
}

function bad(message: string): ValueResult {
  return { ok: false, message };
}

function orBad(value: unknown, message: string): ValueResult {
  return value === undefined ? bad(message) : ok(value);
}

// ---------------------------------------------------------------------------------------------------
// Writing values. The writer refuses anything that would not read back as the same value.

/** Thrown for a model that cannot be written as a valid playlist. */
export function invalidModel(message: string): Error {
  return manifestError(ManifestErrorCode.Invalid, `cannot write HLS playlist: ${message}`);
}

/** The shortest decimal that reads back as `n`, in positional notation (HLS has no exponents). */
export function formatDecimal(n: number): string {
  const text = String(n === 0 ? 0 : n);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(text);
  if (!m) return text;
  const [, sign = '', lead = '', fraction = '', exponent = '0'] = m;
  const digits = lead + fraction;
  const point = 1 + Number(exponent); // where the decimal point goes in `digits`
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return `${sign}${digits}${'0'.repeat(point - digits.length)}`;
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

export function formatInteger(n: unknown, where: string, signed = false): string {
  if (typeof n !== 'number' || !Number.isSafeInteger(n) || (!signed && n < 0)) {
    throw invalidModel(`${where} must be a ${signed ? '' : 'non-negative '}safe integer, got ${String(n)}`);
  }
  return String(n === 0 ? 0 : n);
}

export function formatFloat(n: unknown, where: string, signed = false): string {
  if (typeof n !== 'number' || !Number.isFinite(n) || (!signed && n < 0)) {
    throw invalidModel(`${where} must be a ${signed ? '' : 'non-negative '}finite number, got ${String(n)}`);
  }
  return formatDecimal(n);
}

/** A quoted-string holds no `"`, CR or LF (RFC 8216 §4.2) and no other control character (§4.1). */
export function isQuotable(value: unknown): value is string {
  return typeof value === 'string' && !value.includes('"') && !hasControlCharacter(value);
}

/** An unquoted value: non-empty, no quote, comma or whitespace (RFC 8216 §4.2). */
export function isUnquotable(value: unknown): value is string {
  return typeof value === 'string' && /^[^",\s]+$/.test(value) && !hasControlCharacter(value);
}

function quote(value: unknown, where: string): string {
  if (!isQuotable(value)) throw invalidModel(`${where} must be a string without '"' or control characters`);
  return `"${value}"`;
}

function token(value: unknown, where: string): string {
  if (!isUnquotable(value)) {
    throw invalidModel(`${where} must be a non-empty string without '"', ',' or whitespace`);
  }
  return value;
}

export function formatByteRange(range: unknown, where: string): string {
  const r = range as { length?: unknown; offset?: unknown } | undefined;
  if (typeof r !== 'object' || r === null) throw invalidModel(`${where} must be { length, offset? }`);
  const length = formatInteger(r.length, `${where} length`);
  return r.offset === undefined ? length : `${length}@${formatInteger(r.offset, `${where} offset`)}`;
}

/** Writes one typed value (without the `NAME=`). */
export function formatValue(type: AttrType, value: unknown, where: string): string {
  if (typeof type === 'object') {
    if (typeof value !== 'string' || !type.oneOf.includes(value)) {
      throw invalidModel(`${where} must be one of ${type.oneOf.join(', ')}`);
    }
    return value;
  }
  switch (type) {
    case 'int':
      return formatInteger(value, where);
    case 'signedInt':
      return formatInteger(value, where, true);
    case 'float':
      return formatFloat(value, where);
    case 'signedFloat':
      return formatFloat(value, where, true);
    case 'quoted':
      return quote(value, where);
    case 'enum':
      return token(value, where);
    case 'hex':
      if (typeof value !== 'string' || !HEX.test(value))
        throw invalidModel(`${where} must be 0x<hex digits>`);
      return value;
    case 'resolution':
      return formatResolution(value, where);
    case 'yesNo':
      if (typeof value !== 'boolean') throw invalidModel(`${where} must be a boolean`);
      return value ? 'YES' : 'NO';
    case 'byteRange':
      return `"${formatByteRange(value, where)}"`;
    case 'closedCaptions':
      if (value === 'NONE') return 'NONE';
      return quote((value as { groupId?: unknown } | undefined)?.groupId, `${where} groupId`);
  }
}

function formatResolution(value: unknown, where: string): string {
  const r = value as { width?: unknown; height?: unknown } | undefined;
  if (typeof r !== 'object' || r === null) throw invalidModel(`${where} must be { width, height }`);
  return `${formatInteger(r.width, `${where} width`)}x${formatInteger(r.height, `${where} height`)}`;
}

// ---------------------------------------------------------------------------------------------------
// Field tables: attribute ↔ model property

export interface AttrField<T> {
  attr: string;
  field: keyof T & string;
  type: AttrType;
}

export type Fields<T> = ReadonlyArray<AttrField<T>>;

export interface ReadFieldsResult {
  values: Record<string, unknown>;
  /** Attributes not in the table, in the order written. */
  extra: HlsAttribute[];
}

/** Maps attributes to properties; reports each value of the wrong type through `report`. */
export function readFields<T>(
  attributes: readonly HlsAttribute[],
  fields: Fields<T>,
  report: (message: string) => void,
): ReadFieldsResult {
  const values: Record<string, unknown> = {};
  const extra: HlsAttribute[] = [];
  for (const attr of attributes) {
    const field = fields.find((f) => f.attr === attr.name);
    if (!field) {
      extra.push(attr);
      continue;
    }
    const read = readValue(field.type, attr);
    if (read.ok) values[field.field] = read.value;
    else report(`${attr.name} ${read.message}`);
  }
  return { values, extra };
}

/** Writes the table's properties present on `element`, then its `extraAttributes`. */
export function writeFields<T extends { extraAttributes?: HlsAttribute[] }>(
  element: T,
  fields: Fields<T>,
  where: string,
): string {
  const parts: string[] = [];
  for (const f of fields) {
    const value = element[f.field];
    if (value !== undefined) parts.push(`${f.attr}=${formatValue(f.type, value, `${where} ${f.attr}`)}`);
  }
  const taken = new Set(fields.map((f) => f.attr));
  for (const attr of element.extraAttributes ?? []) parts.push(writeExtraAttribute(attr, taken, where));
  return parts.join(',');
}

function writeExtraAttribute(attr: HlsAttribute, taken: Set<string>, where: string): string {
  const name: unknown = attr.name;
  if (typeof name !== 'string' || !NAME.test(name)) {
    throw invalidModel(`${where} has an extra attribute with the invalid name ${JSON.stringify(name)}`);
  }
  if (taken.has(name)) throw invalidModel(`${where} has ${name} twice (typed field and extraAttributes)`);
  taken.add(name);
  const at = `${where} ${name}`;
  return `${name}=${attr.quoted ? quote(attr.value, at) : token(attr.value, at)}`;
}
