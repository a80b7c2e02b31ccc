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

/** `NAME=VALUE(,NAME=VALUE)*`; an empty list is accepted (validation reports missing attributes). */
export function lexAttributeList(text: string): LexResult {
  const attributes: HlsAttribute[] = [];
  const seen = new Set<string>();
  const length = text.length;
  let i = 0;
  while (i < length) {
    const nameEnd = scanName(text, i);
    if (nameEnd === i) return fail(`expected an attribute name at column ${i + 1}`);
    const name = text.slice(i, nameEnd);
    i = nameEnd;
    if (text.charCodeAt(i) !== EQUALS) return fail(`expected '=' after ${name}`);
    i++;
    let value: string;
    let quoted: boolean;
    if (text.charCodeAt(i) === QUOTE) {
      const close = text.indexOf('"', i + 1);
      if (close < 0) return fail(`${name}: unterminated quoted-string`);
      value = text.slice(i + 1, close);
      quoted = true;
      i = close + 1;
    } else {
      const end = scanUnquoted(text, i);
      if (end === i) return fail(`${name}: empty value`);
      value = text.slice(i, end);
      quoted = false;
      i = end;
    }
    // One AttributeName/AttributeValue pair per AttributeName (RFC 8216 §4.2).
    if (seen.has(name)) return fail(`${name} appears more than once`);
    seen.add(name);
    attributes.push({ name, value, quoted });
    if (i === length) break;
    if (text.charCodeAt(i) !== COMMA) return fail(`expected ',' after the value of ${name}`);
    i++;
    while (text.charCodeAt(i) === SPACE) i++; // tolerated: `A=1, B=2`
    if (i === length) return fail('attribute list ends with a comma');
  }
  return { ok: true, attributes };
}

const EQUALS = 0x3d;
const QUOTE = 0x22;
const COMMA = 0x2c;
const SPACE = 0x20;

/** The end of the run of [A-Za-z0-9_-] at `start` (NAME, without a regex). */
function scanName(text: string, start: number): number {
  let i = start;
  for (;;) {
    const c = text.charCodeAt(i);
    if (
      (c >= 0x41 && c <= 0x5a) || // A-Z
      (c >= 0x61 && c <= 0x7a) || // a-z
      (c >= 0x30 && c <= 0x39) || // 0-9
      c === 0x2d || // -
      c === 0x5f // _
    ) {
      i++;
    } else return i; // NaN past the end
  }
}

/** The end of the run of characters other than `"`, `,` and whitespace (regex \s) at `start`. */
function scanUnquoted(text: string, start: number): number {
  const length = text.length;
  let i = start;
  while (i < length) {
    const c = text.charCodeAt(i);
    if (c === QUOTE || c === COMMA || isRegExpSpace(c)) break;
    i++;
  }
  return i;
}

/** What `\s` matches in a JavaScript regular expression (WhiteSpace and LineTerminator). */
function isRegExpSpace(c: number): boolean {
  if (c < 0x80) return c === 0x20 || (c >= 0x09 && c <= 0x0d);
  return (
    c === 0xa0 ||
    c === 0x1680 ||
    (c >= 0x2000 && c <= 0x200a) ||
    c === 0x2028 ||
    c === 0x2029 ||
    c === 0x202f ||
    c === 0x205f ||
    c === 0x3000 ||
    c === 0xfeff
  );
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
  const v = attr.value;
  switch (type) {
    case 'int':
      return unquoted(attr, 'a decimal-integer') ?? orBad(readInteger(v, INT), 'must be a decimal-integer');
    case 'signedInt':
      return (
        unquoted(attr, 'a decimal-integer') ?? orBad(readInteger(v, SIGNED_INT), 'must be a decimal-integer')
      );
    case 'float':
      return (
        unquoted(attr, 'a decimal-floating-point') ??
        orBad(readDecimal(v, FLOAT), 'must be a decimal-floating-point')
      );
    case 'signedFloat':
      return (
        unquoted(attr, 'a signed-decimal-floating-point') ??
        orBad(readDecimal(v, SIGNED_FLOAT), 'must be a signed-decimal-floating-point')
      );
    case 'quoted':
      return attr.quoted ? ok(v) : bad('must be a quoted-string');
    case 'enum':
      return unquoted(attr, 'an enumerated-string') ?? orBad(v, 'must be an enumerated-string');
    case 'hex':
      return (
        unquoted(attr, 'a hexadecimal-sequence') ??
        (HEX.test(v) ? ok(v) : bad('must be a hexadecimal-sequence'))
      );
    case 'resolution':
      return (
        unquoted(attr, 'a decimal-resolution (WIDTHxHEIGHT)') ??
        orBad(readResolution(v), 'must be a decimal-resolution (WIDTHxHEIGHT)')
      );
    case 'yesNo':
      return readOneOf(YES_NO, attr, true);
    case 'byteRange':
      if (!attr.quoted) return bad('must be a quoted-string');
      return orBad(readByteRange(v), 'must be "<length>[@<offset>]"');
    case 'closedCaptions':
      if (attr.quoted) return ok({ groupId: v });
      return v === 'NONE' ? ok('NONE') : bad('must be a quoted-string or NONE');
  }
}

const YES_NO = ['YES', 'NO'] as const;

/** The problem of a quoted value where an unquoted one is expected, or undefined. */
function unquoted(attr: HlsAttribute, what: string): ValueResult | undefined {
  return attr.quoted ? bad(`must be ${what}, not a quoted-string`) : undefined;
}

function readOneOf(values: readonly string[], attr: HlsAttribute, yesNo = false): ValueResult {
  if (attr.quoted || !values.includes(attr.value)) return bad(`must be one of ${values.join(', ')}`);
  return ok(yesNo ? attr.value === 'YES' : attr.value);
}

/** A decimal-integer that a JavaScript number holds exactly (RFC 8216 allows up to 2^64-1). */
export function readInteger(text: string, pattern: RegExp = INT): number | undefined {
  if (!pattern.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n || 0 : undefined; // `|| 0`: -0 reads as 0
}

export function readDecimal(text: string, pattern: RegExp = FLOAT): number | undefined {
  if (pattern === FLOAT || pattern === SIGNED_FLOAT) return scanDecimal(text, pattern === SIGNED_FLOAT);
  if (!pattern.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n || 0 : undefined;
}

/** 10^0 .. 10^22: exactly representable as doubles. */
const POWERS_OF_TEN = Array.from({ length: 23 }, (_, i) => 10 ** i);

/**
 * FLOAT (or SIGNED_FLOAT) and Number() in one scan, without a regex. With at most 15 digits the digits
 * read as an integer are exact, and so is the power of ten that scales them, so their quotient, one
 * correctly rounded division, is the double nearest the decimal: exactly what Number() returns
 * (Clinger's fast path). Longer numbers go to Number().
 */
function scanDecimal(text: string, signed: boolean): number | undefined {
  const length = text.length;
  let i = signed && text.charCodeAt(0) === 0x2d ? 1 : 0; // '-'
  const negative = i === 1;
  let mantissa = 0;
  let digits = 0;
  let point = -1;
  for (; i < length; i++) {
    const c = text.charCodeAt(i);
    if (c >= 0x30 && c <= 0x39) {
      mantissa = mantissa * 10 + (c - 0x30);
      digits++;
    } else if (c === 0x2e && point < 0) point = i;
    else return undefined;
  }
  if (digits === 0) return undefined;
  let n: number;
  if (digits <= 15) {
    n = point < 0 ? mantissa : mantissa / POWERS_OF_TEN[length - 1 - point]!;
    if (negative) n = -n;
  } else {
    n = Number(text);
    if (!Number.isFinite(n)) return undefined;
  }
  return n || 0; // `|| 0`: -0 reads as 0
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
  if (!text.includes('e')) return text; // positional already (1e-7 <= |n| < 1e21), or NaN/Infinity
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
  const byAttr = fieldsByAttr(fields);
  for (const attr of attributes) {
    const field = byAttr.get(attr.name);
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

const fieldMaps = new WeakMap<Fields<unknown>, ReadonlyMap<string, AttrField<unknown>>>();

/** The table by attribute name (the first entry of a name wins, as with `find`), made once per table. */
function fieldsByAttr<T>(fields: Fields<T>): ReadonlyMap<string, AttrField<T>> {
  let map = fieldMaps.get(fields as Fields<unknown>) as ReadonlyMap<string, AttrField<T>> | undefined;
  if (!map) {
    const byAttr = new Map<string, AttrField<T>>();
    for (const f of fields) if (!byAttr.has(f.attr)) byAttr.set(f.attr, f);
    fieldMaps.set(fields as Fields<unknown>, (map = byAttr) as ReadonlyMap<string, AttrField<unknown>>);
  }
  return map;
}

/** Writes the table's properties present on `element`, then its `extraAttributes`. */
export function writeFields<T extends { extraAttributes?: HlsAttribute[] }>(
  element: T,
  fields: Fields<T>,
  where: string,
): string {
  let out = '';
  for (const f of fields) {
    const value = element[f.field];
    if (value === undefined) continue;
    const text = formatValidValue(f.type, value) ?? formatValue(f.type, value, `${where} ${f.attr}`);
    out += out === '' ? `${f.attr}=${text}` : `,${f.attr}=${text}`;
  }
  const extra: unknown = element.extraAttributes ?? [];
  if (Array.isArray(extra) && extra.length === 0) return out;
  const taken = new Set(fields.map((f) => f.attr));
  const parts = out === '' ? [] : [out];
  for (const attr of element.extraAttributes ?? []) parts.push(writeExtraAttribute(attr, taken, where));
  return parts.join(',');
}

/**
 * formatValue for the values it accepts as they come (a safe integer, a finite number, a quotable
 * string, ...), without building the description it names a bad value with; undefined for anything
 * else, which formatValue then writes or refuses.
 */
function formatValidValue(type: AttrType, value: unknown): string | undefined {
  if (typeof type === 'object')
    return typeof value === 'string' && type.oneOf.includes(value) ? value : undefined;
  switch (type) {
    case 'int':
      return typeof value === 'number' && Number.isSafeInteger(value) && value >= 0
        ? String(value === 0 ? 0 : value)
        : undefined;
    case 'float':
      return typeof value === 'number' && Number.isFinite(value) && value >= 0
        ? formatDecimal(value)
        : undefined;
    case 'quoted':
      return isQuotable(value) ? `"${value}"` : undefined;
    case 'enum':
      return isUnquotable(value) ? value : undefined;
    case 'yesNo':
      return typeof value === 'boolean' ? (value ? 'YES' : 'NO') : undefined;
    case 'signedInt':
    case 'signedFloat':
    case 'hex':
    case 'resolution':
    case 'byteRange':
    case 'closedCaptions':
      return undefined; // rare: formatValue writes them
  }
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
