/** What the master and media readers share: the line entries, problem reporting, and the common tags. */
import { ManifestErrorCode, type ManifestProblem } from '../errors.js';
import { type Fields, lexAttributeList, readFields, readInteger } from './attributes.js';
import { recordLine, recordTagLine } from './lines.js';
import { REQUIRED_ATTRIBUTES, START_FIELDS, type TagScope } from './tags.js';
import type { HlsAttribute, HlsDefine, HlsStart } from './types.js';

/** One meaningful line: a tag or a URI (blank lines and comments are gone). */
export type Entry =
  | { kind: 'tag'; line: number; text: string; name: string; value: string | undefined; scope: TagScope }
  | { kind: 'uri'; line: number; text: string };

export type TagEntry = Extract<Entry, { kind: 'tag' }>;

export class Reader {
  readonly problems: ManifestProblem[] = [];
  private readonly seenOnce = new Set<string>();

  report(line: number, message: string): void {
    this.problems.push({ code: ManifestErrorCode.Parse, message, line });
  }

  /**
   * For tags a playlist holds at most once (EXT-X-VERSION: RFC 8216 §4.3.1.2; the Media Playlist tags,
   * EXT-X-START and EXT-X-CONTENT-STEERING each carry one value per playlist): records the line of the
   * first and reports the others.
   */
  once(playlist: object, entry: TagEntry): boolean {
    if (this.seenOnce.has(entry.name)) {
      this.report(entry.line, `${entry.name} appears more than once`);
      return false;
    }
    this.seenOnce.add(entry.name);
    recordTagLine(playlist, entry.name, entry.line);
    return true;
  }

  /** A tag without a value (`#EXT-X-ENDLIST`). */
  flag(entry: TagEntry): boolean {
    if (entry.value === undefined) return true;
    this.report(entry.line, `${entry.name} takes no value`);
    return false;
  }

  /** The value after the colon, reported when missing or empty. */
  value(entry: TagEntry): string | undefined {
    if (entry.value !== undefined && entry.value !== '') return entry.value;
    this.report(entry.line, `${entry.name} needs a value`);
    return undefined;
  }

  /** A tag whose value is one decimal-integer (`#EXT-X-TARGETDURATION:6`). */
  integer(entry: TagEntry, pattern?: RegExp): number | undefined {
    const text = this.value(entry);
    if (text === undefined) return undefined;
    const n = readInteger(text, pattern);
    if (n === undefined) this.report(entry.line, `${entry.name} must be a decimal-integer, got '${text}'`);
    return n;
  }

  /** The attribute list of a tag, or undefined (reported) when it does not lex. */
  attributeList(entry: TagEntry): HlsAttribute[] | undefined {
    const lexed = lexAttributeList(entry.value ?? '');
    if (lexed.ok) return lexed.attributes;
    this.report(entry.line, `${entry.name}: malformed attribute list: ${lexed.message}`);
    return undefined;
  }

  /**
   * Reads an attribute-list tag into an element of the model through its field table, keeping the
   * attributes the table does not know. Undefined (reported) when the list does not lex or misses a
   * required attribute.
   */
  element<T>(entry: TagEntry, fields: Fields<T>): T | undefined {
    const attributes = this.attributeList(entry);
    if (!attributes) return undefined;
    const { values, extra } = readFields(attributes, fields, (m) =>
      this.report(entry.line, `${entry.name} ${m}`),
    );
    const missing = (REQUIRED_ATTRIBUTES[entry.name] ?? []).filter(
      (a) => !attributes.some((x) => x.name === a),
    );
    for (const name of missing) this.report(entry.line, `${entry.name} needs ${name}`);
    if (missing.length > 0) return undefined;
    const element = (extra.length > 0 ? { ...values, extraAttributes: extra } : values) as T & object;
    recordLine(element, entry.line);
    return element;
  }
}

/** Tags both kinds of playlist hold. Returns false when the entry is not one of them. */
export interface CommonFields {
  version?: number;
  independentSegments: boolean;
  start?: HlsStart;
  defines: HlsDefine[];
}

export function readCommonTag(reader: Reader, playlist: CommonFields, entry: TagEntry): boolean {
  switch (entry.name) {
    case 'EXT-X-VERSION': {
      const version = reader.integer(entry);
      if (reader.once(playlist, entry) && version !== undefined) playlist.version = version;
      return true;
    }
    case 'EXT-X-INDEPENDENT-SEGMENTS':
      if (reader.flag(entry)) playlist.independentSegments = true;
      return true;
    case 'EXT-X-START': {
      const start = reader.element(entry, START_FIELDS);
      if (reader.once(playlist, entry) && start) playlist.start = start;
      return true;
    }
    case 'EXT-X-DEFINE': {
      recordTagLine(playlist, entry.name, entry.line);
      const define = readDefine(reader, entry);
      if (define) playlist.defines.push(define);
      return true;
    }
    default:
      return false;
  }
}

/** Variable names are [a-zA-Z0-9-_] (bis §4.3). */
const VARIABLE_NAME = /^[a-zA-Z0-9_-]+$/;
const DEFINE_KINDS = { NAME: 'value', IMPORT: 'import', QUERYPARAM: 'queryParam' } as const;

/** EXT-X-DEFINE (bis §4.4.2.3): exactly one of NAME (with VALUE), IMPORT, QUERYPARAM. */
function readDefine(reader: Reader, entry: TagEntry): HlsDefine | undefined {
  const attributes = reader.attributeList(entry);
  if (!attributes) return undefined;
  const keys = attributes.filter((a) => a.name in DEFINE_KINDS);
  const value = attributes.find((a) => a.name === 'VALUE');
  const first = keys[0];
  const problem = defineProblem(keys, value);
  if (problem !== undefined || first === undefined) {
    reader.report(entry.line, `EXT-X-DEFINE ${problem ?? 'needs NAME, IMPORT or QUERYPARAM'}`);
    return undefined;
  }
  const kind = DEFINE_KINDS[first.name as keyof typeof DEFINE_KINDS];
  const extra = attributes.filter((a) => a !== first && a !== value);
  const define = (
    kind === 'value' ? { kind, name: first.value, value: value?.value ?? '' } : { kind, name: first.value }
  ) as HlsDefine;
  if (extra.length > 0) define.extraAttributes = extra;
  recordLine(define, entry.line);
  return define;
}

function defineProblem(keys: readonly HlsAttribute[], value: HlsAttribute | undefined): string | undefined {
  const first = keys[0];
  if (first === undefined) return 'needs NAME, IMPORT or QUERYPARAM';
  if (keys.length > 1) return 'must have only one of NAME, IMPORT, QUERYPARAM';
  if (!first.quoted || !VARIABLE_NAME.test(first.value))
    return `${first.name} must be a quoted [a-zA-Z0-9_-] name`;
  if ((first.name === 'NAME') !== (value !== undefined)) return 'VALUE goes with NAME (and only with NAME)';
  if (value !== undefined && !value.quoted) return 'VALUE must be a quoted-string';
  return undefined;
}
