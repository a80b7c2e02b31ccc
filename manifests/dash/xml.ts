/**
 * The XML layer: bytes → a generic element tree (fast-xml-parser for the syntax) and back to text.
 *
 * Safety for any input: entity processing in fast-xml-parser is off, so a DOCTYPE can declare
 * entities but none is ever expanded (a reference to one is a parse problem); only the five
 * predefined entities and character references are decoded, here. Nesting is bounded by
 * `MAX_DEPTH` (the parser stops deeper documents before any recursion here can overflow).
 */
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { ManifestErrorCode, manifestError, type ManifestProblem } from '../errors.js';
import type { XmlElement, XmlNode, XmlText } from './types.js';

/** Deepest element nesting accepted; a real MPD is about 8 deep (MPD/…/SegmentTimeline/S), DRM data a few more. */
export const MAX_DEPTH = 100;

const PARSE = ManifestErrorCode.Parse;

export type DecodeResult = { ok: true; text: string } | { ok: false; problem: ManifestProblem };

const BOM = '\uFEFF';

/** Text of the input: bytes must be UTF-8 (fatal decoding); a leading byte order mark is dropped. */
export function decodeInput(input: string | Uint8Array): DecodeResult {
  if (typeof input === 'string') return { ok: true, text: input.startsWith(BOM) ? input.slice(1) : input };
  if (!(input instanceof Uint8Array)) {
    return { ok: false, problem: { code: PARSE, path: 'MPD', message: 'input is neither text nor bytes' } };
  }
  try {
    // The decoder drops a leading BOM (ignoreBOM defaults to false).
    return { ok: true, text: new TextDecoder('utf-8', { fatal: true }).decode(input) };
  } catch {
    return {
      ok: false,
      problem: { code: PARSE, line: firstBadUtf8Line(input), message: 'input is not valid UTF-8' },
    };
  }
}

/** Line of the first invalid UTF-8 sequence: no multi-byte sequence contains 0x0A, so lines decode alone. */
function firstBadUtf8Line(bytes: Uint8Array): number {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let line = 1;
  let start = 0;
  for (let i = 0; i <= bytes.length; i++) {
    if (i < bytes.length && bytes[i] !== 0x0a) continue;
    try {
      decoder.decode(bytes.subarray(start, i));
    } catch {
      return line;
    }
    line++;
    start = i + 1;
  }
  return line - 1;
}

// Char production of XML 1.0 §2.2 (surrogates only in pairs).
const NOT_XML_CHAR = /[^\t\n\r\x20-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/u;

// Name production of XML 1.0 §2.3 (fifth edition).
const NAME_START =
  ':A-Z_a-z\\u00C0-\\u00D6\\u00D8-\\u00F6\\u00F8-\\u02FF\\u0370-\\u037D\\u037F-\\u1FFF\\u200C-\\u200D\\u2070-\\u218F\\u2C00-\\u2FEF\\u3001-\\uD7FF\\uF900-\\uFDCF\\uFDF0-\\uFFFD\\u{10000}-\\u{EFFFF}';
const NAME_CHAR = `${NAME_START}\\-.0-9\\u00B7\\u0300-\\u036F\\u203F-\\u2040`;
// The class lists code-point ranges; U+0300–U+036F (combining marks) are NameChars, not a combined character.
// eslint-disable-next-line no-misleading-character-class
const XML_NAME = new RegExp(`^[${NAME_START}][${NAME_CHAR}]*$`, 'u');

export function isXmlName(name: string): boolean {
  return XML_NAME.test(name);
}

export interface XmlParseResult {
  root?: XmlElement;
  problems: ManifestProblem[];
}

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: '',
  allowBooleanAttributes: false,
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  processEntities: false,
  htmlEntities: false,
  cdataPropName: '#cdata',
  commentPropName: false,
  ignoreDeclaration: true,
  ignorePiTags: true,
  maxNestedTags: MAX_DEPTH,
  // Keep names such as `toString` as written: attributes are only read with Object.entries here.
  onDangerousProperty: (name: string) => name,
});

/**
 * Parses XML text into one root element. Syntax errors come with a line (from XMLValidator);
 * problems found while decoding names, references and characters come with an element path such as
 * `MPD/Period[0]@id`, built from the root name and 0-based indexes among same-name siblings.
 */
export function parseXml(text: string): XmlParseResult {
  const badChar = NOT_XML_CHAR.exec(text);
  if (badChar !== null) {
    const code = badChar[0].codePointAt(0) ?? 0;
    return {
      problems: [
        {
          code: PARSE,
          line: lineAt(text, badChar.index),
          message: `character U+${code.toString(16).toUpperCase().padStart(4, '0')} is not allowed in XML`,
        },
      ],
    };
  }
  let nodes: unknown;
  try {
    const verdict = XMLValidator.validate(text, { allowBooleanAttributes: false });
    if (verdict !== true) {
      return {
        problems: [{ code: PARSE, line: verdict.err.line, message: `XML syntax: ${verdict.err.msg}` }],
      };
    }
    nodes = parser.parse(text);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    return { problems: [{ code: PARSE, path: 'MPD', message: `XML rejected: ${message}` }] };
  }
  return rootOf(nodes);
}

function lineAt(text: string, index: number): number {
  let line = 1;
  for (let i = 0; i < index; i++) if (text.charCodeAt(i) === 0x0a) line++;
  return line;
}

function rootOf(nodes: unknown): XmlParseResult {
  const problems: ManifestProblem[] = [];
  const top = Array.isArray(nodes) ? convertChildren(nodes, '', problems) : [];
  const elements = top.filter(isElement);
  if (top.some((n) => !isElement(n))) {
    problems.push({ code: PARSE, path: 'MPD', message: 'text outside the root element' });
  }
  if (elements.length !== 1) {
    problems.push({
      code: PARSE,
      path: 'MPD',
      message: `expected one root element, found ${elements.length}`,
    });
    return { problems };
  }
  return { root: elements[0] as XmlElement, problems };
}

export function isElement(node: XmlNode): node is XmlElement {
  return (node as Partial<XmlElement>).name !== undefined;
}

export function isText(node: XmlNode): node is XmlText {
  return (node as Partial<XmlText>).text !== undefined;
}

/** Converts fast-xml-parser's ordered nodes; adjacent text is merged and whitespace-only text dropped. */
function convertChildren(nodes: unknown[], parentPath: string, problems: ManifestProblem[]): XmlNode[] {
  const out: XmlNode[] = [];
  const counts = new Map<string, number>();
  let text = '';
  const flushText = (): void => {
    if (text.trim() !== '') out.push({ text });
    text = '';
  };
  for (const node of nodes) {
    if (typeof node !== 'object' || node === null) continue;
    const record = node as Record<string, unknown>;
    if (typeof record['#text'] === 'string') {
      text += decodeText(record['#text'], parentPath, problems);
      continue;
    }
    if (Array.isArray(record['#cdata'])) {
      text += cdataText(record['#cdata']);
      continue;
    }
    const name = Object.keys(record).find((k) => k !== ':@');
    if (name === undefined) continue;
    const index = counts.get(name) ?? 0;
    counts.set(name, index + 1);
    const path = parentPath === '' ? name : `${parentPath}/${name}[${index}]`;
    flushText();
    out.push(convertElement(name, record, path, problems));
  }
  flushText();
  return out;
}

function convertElement(
  name: string,
  record: Record<string, unknown>,
  path: string,
  problems: ManifestProblem[],
): XmlElement {
  if (!isXmlName(name)) problems.push({ code: PARSE, path, message: 'unsupported element name' });
  const attributes: Record<string, string> = {};
  const rawAttributes = record[':@'];
  if (typeof rawAttributes === 'object' && rawAttributes !== null) {
    for (const [attrName, value] of Object.entries(rawAttributes as Record<string, unknown>)) {
      const attrPath = `${path}@${attrName}`;
      if (!isXmlName(attrName))
        problems.push({ code: PARSE, path: attrPath, message: 'unsupported attribute name' });
      attributes[attrName] = decodeAttribute(String(value), attrPath, problems);
    }
  }
  const rawChildren = record[name];
  const children = Array.isArray(rawChildren) ? convertChildren(rawChildren, path, problems) : [];
  return { name, attributes, children };
}

function cdataText(parts: unknown[]): string {
  return parts
    .map((p) => (typeof p === 'object' && p !== null ? (p as Record<string, unknown>)['#text'] : undefined))
    .filter((t): t is string => typeof t === 'string')
    .join('');
}

const PREDEFINED: Readonly<Record<string, string>> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'" };

/** Attribute-value normalization (XML 1.0 §3.3.3): literal whitespace becomes spaces, then references. */
function decodeAttribute(raw: string, path: string, problems: ManifestProblem[]): string {
  if (raw.includes('<'))
    problems.push({ code: PARSE, path, message: "'<' is not allowed in an attribute value" });
  return decodeReferences(raw.replace(/[\t\n\r]/g, ' '), path, problems);
}

function decodeText(raw: string, path: string, problems: ManifestProblem[]): string {
  return decodeReferences(raw, path, problems);
}

/** Decodes `&lt;`-style and `&#…;` references; any other `&` is a problem (no DTD entities are expanded). */
function decodeReferences(raw: string, path: string, problems: ManifestProblem[]): string {
  if (!raw.includes('&')) return raw;
  return raw.replace(/&([^;&\s<]{0,40});?/g, (whole, body: string) => {
    const value = whole.endsWith(';') ? referenceValue(body) : undefined;
    if (value !== undefined) return value;
    problems.push({
      code: PARSE,
      path: path === '' ? 'MPD' : path,
      message: `'${whole.slice(0, 20)}' is not a predefined entity or character reference (no DTD entities are expanded)`,
    });
    return whole;
  });
}

function referenceValue(body: string): string | undefined {
  const named = PREDEFINED[body];
  if (named !== undefined && Object.hasOwn(PREDEFINED, body)) return named;
  const m = /^#(?:x([0-9A-Fa-f]{1,6})|([0-9]{1,7}))$/.exec(body);
  if (m === null) return undefined;
  const codePoint = m[1] !== undefined ? parseInt(m[1], 16) : Number(m[2]);
  if (codePoint > 0x10ffff) return undefined;
  const char = String.fromCodePoint(codePoint);
  return NOT_XML_CHAR.test(char) ? undefined : char;
}

/**
 * Writes an element tree as an XML document: declaration, 2-space indentation, empty elements
 * self-closed; an element with text children is written on one line so its text stays exact.
 * Throws CdnError MANIFEST_ERR_INVALID for names or characters XML cannot carry.
 */
export function serializeXml(root: XmlElement): string {
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  writeElement(root, 0, root.name, lines);
  return `${lines.join('\n')}\n`;
}

function writeElement(el: XmlElement, depth: number, path: string, lines: string[]): void {
  const indent = '  '.repeat(depth);
  const children = significantChildren(el);
  const open = openTag(el, path);
  if (children.length === 0) {
    lines.push(`${indent}${open}/>`);
  } else if (children.some(isText)) {
    lines.push(`${indent}${open}>${children.map((c) => inline(c, path)).join('')}</${el.name}>`);
  } else {
    lines.push(`${indent}${open}>`);
    const counts = new Map<string, number>();
    for (const child of children as XmlElement[]) {
      const index = counts.get(child.name) ?? 0;
      counts.set(child.name, index + 1);
      writeElement(child, depth + 1, `${path}/${child.name}[${index}]`, lines);
    }
    lines.push(`${indent}</${el.name}>`);
  }
}

/** Children that survive a parse: whitespace-only text is not kept by the parser, so it is not written. */
function significantChildren(el: XmlElement): XmlNode[] {
  return el.children.filter((c) => !isText(c) || c.text.trim() !== '');
}

function inline(node: XmlNode, path: string): string {
  if (isText(node)) return escapeText(node.text, path);
  const children = significantChildren(node);
  const open = openTag(node, `${path}/${node.name}`);
  if (children.length === 0) return `${open}/>`;
  return `${open}>${children.map((c) => inline(c, `${path}/${node.name}`)).join('')}</${node.name}>`;
}

function openTag(el: XmlElement, path: string): string {
  checkName(el.name, path);
  let out = `<${el.name}`;
  for (const [name, value] of Object.entries(el.attributes)) {
    checkName(name, `${path}@${name}`);
    out += ` ${name}="${escapeAttribute(value, `${path}@${name}`)}"`;
  }
  return out;
}

function checkName(name: string, path: string): void {
  if (typeof name !== 'string' || !isXmlName(name)) {
    throw manifestError(ManifestErrorCode.Invalid, `${path}: '${String(name)}' is not an XML name`);
  }
}

function checkChars(value: string, path: string): void {
  if (typeof value !== 'string') {
    throw manifestError(ManifestErrorCode.Invalid, `${path}: ${String(value)} is not a string`);
  }
  if (NOT_XML_CHAR.test(value)) {
    throw manifestError(ManifestErrorCode.Invalid, `${path}: holds a character XML cannot carry`);
  }
}

const ATTRIBUTE_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&apos;',
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};

/** Escapes an attribute value; tab, newline and CR as references so normalization keeps them (§3.3.3). */
export function escapeAttribute(value: string, path = 'attribute'): string {
  checkChars(value, path);
  return value.replace(/[&<>"'\t\n\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}

/** Escapes text content; `>` too (for `]]>`) and CR, which end-of-line handling would turn into LF. */
export function escapeText(value: string, path = 'text'): string {
  checkChars(value, path);
  return value.replace(/[&<>\r]/g, (c) => ATTRIBUTE_ESCAPES[c] ?? c);
}
