/**
 * Lexical forms of the typed attribute values (XML Schema Part 2 datatypes as 23009-1 Annex B uses
 * them). Each codec reads the forms the schema allows (surrounding whitespace included, since these
 * types collapse it) and writes the canonical form, so that `parse(format(v))` is `v`.
 */
import { formatIsoDurationS, parseIsoDurationS } from './duration.js';

export interface ValueCodec<T> {
  /** What the value must be, for messages: "an unsigned 32-bit integer". */
  readonly description: string;
  /** The value, or undefined when the text is not of this type. */
  parse(text: string): T | undefined;
  /** The canonical text; throws RangeError when the value is outside the type. */
  format(value: T): string;
}

/** Unsigned integers (xs:unsignedInt, xs:unsignedLong) up to `max`, which is at most 2^53 - 1. */
function unsigned(max: number, description: string): ValueCodec<number> {
  return {
    description,
    parse(text) {
      const m = /^\+?(\d+)$/.exec(text.trim());
      if (m === null) return undefined;
      const digits = (m[1] ?? '').replace(/^0+(?=\d)/, '');
      if (digits.length > 16) return undefined;
      const value = Number(digits);
      return value <= max ? value : undefined;
    },
    format(value) {
      if (!Number.isSafeInteger(value) || value < 0 || value > max) {
        throw new RangeError(`${value} is not ${description}`);
      }
      return String(value);
    },
  };
}

/** xs:unsignedInt. */
export const UINT32 = unsigned(4_294_967_295, 'an unsigned 32-bit integer');

/**
 * xs:unsignedLong, limited to 2^53 - 1: larger values (possible for SegmentTimeline times at high
 * timescales) would lose precision as numbers, so they are refused rather than rounded.
 */
export const UINT53 = unsigned(Number.MAX_SAFE_INTEGER, 'an unsigned integer up to 2^53 - 1');

/** SAPType: 0 to 6 (23009-1 4.5.2). */
export const SAP = unsigned(6, 'a SAP type from 0 to 6');

/** xs:integer within ±(2^53 - 1). */
export const INT53: ValueCodec<number> = {
  description: 'an integer within ±(2^53 - 1)',
  parse(text) {
    const m = /^([+-]?)(\d+)$/.exec(text.trim());
    if (m === null) return undefined;
    const digits = (m[2] ?? '').replace(/^0+(?=\d)/, '');
    if (digits.length > 16) return undefined;
    const magnitude = Number(digits);
    if (magnitude > Number.MAX_SAFE_INTEGER) return undefined;
    return m[1] === '-' && magnitude !== 0 ? -magnitude : magnitude;
  },
  format(value) {
    if (!Number.isSafeInteger(value)) throw new RangeError(`${value} is not ${INT53.description}`);
    return String(value === 0 ? 0 : value);
  },
};

/** xs:boolean: `true`, `false`, `1`, `0`; written as `true` / `false`. */
export const BOOL: ValueCodec<boolean> = {
  description: 'a boolean (true, false, 1 or 0)',
  parse(text) {
    const t = text.trim();
    if (t === 'true' || t === '1') return true;
    if (t === 'false' || t === '0') return false;
    return undefined;
  },
  format(value) {
    if (typeof value !== 'boolean') throw new RangeError(`${String(value)} is not a boolean`);
    return value ? 'true' : 'false';
  },
};

/**
 * ConditionalUintType: the union of xs:unsignedInt and xs:boolean, in that order (23009-1 Annex B),
 * so `1` and `0` are numbers and only `true` / `false` are booleans.
 */
export const CONDITIONAL_UINT: ValueCodec<boolean | number> = {
  description: 'true, false or an unsigned 32-bit integer',
  parse(text) {
    const t = text.trim();
    if (t === 'true') return true;
    if (t === 'false') return false;
    return UINT32.parse(t);
  },
  format(value) {
    return typeof value === 'boolean' ? BOOL.format(value) : UINT32.format(value);
  },
};

/** xs:duration as seconds. */
export const DURATION: ValueCodec<number> = {
  description: 'an xs:duration such as PT1H2M3.5S',
  parse: parseIsoDurationS,
  format: formatIsoDurationS,
};

/** Any string, as written (xs:string and xs:anyURI keep their whitespace in attributes). */
export const TEXT: ValueCodec<string> = {
  description: 'a string',
  parse: (text) => text,
  format(value) {
    if (typeof value !== 'string') throw new RangeError(`${String(value)} is not a string`);
    return value;
  },
};

/** One of a fixed set of strings, compared exactly. */
export function oneOf<T extends string>(values: readonly T[]): ValueCodec<T> {
  const description = `one of ${values.join(', ')}`;
  return {
    description,
    parse: (text) => values.find((v) => v === text),
    format(value) {
      if (!values.includes(value)) throw new RangeError(`${String(value)} is not ${description}`);
      return value;
    },
  };
}
