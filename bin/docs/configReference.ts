/**
 * The configuration reference: one row per key of a part's config schema, nested keys as dotted
 * paths, with the type, the default, the allowed values and the description, rendered as markdown.
 *
 * Pure: rows come from the schema's JSON Schema (z.toJSONSchema, input side: what a config file may
 * hold) and the comments read from its source (sourceComments.ts); which flags and environment
 * variables set a key comes from the caller, which probes the real mappings (generate.ts).
 */
import type { SchemaComments } from './sourceComments.js';

/** The subset of JSON Schema that z.toJSONSchema produces for config schemas. */
export interface JsonSchema {
  type?: string;
  description?: string;
  default?: unknown;
  const?: unknown;
  enum?: unknown[];
  format?: string;
  pattern?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  minLength?: number;
  maxLength?: number;
  minItems?: number;
  maxItems?: number;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  additionalProperties?: JsonSchema | boolean;
  propertyNames?: JsonSchema;
  items?: JsonSchema;
  anyOf?: JsonSchema[];
}

export interface ConfigRow {
  /** Dotted path: `control.staticRoutes[].prefix`, `tokens.keys.<key>`. */
  key: string;
  /** Type and allowed values: `integer, 0 to 65535`. */
  type: string;
  /** The default as JSON, `required`, or `none` (optional without a default). */
  default: string;
  description: string;
}

/** Where a key's value may also come from besides the config file. */
export interface KeySources {
  flags: ReadonlyMap<string, readonly string[]>;
  env: ReadonlyMap<string, readonly string[]>;
}

/** Integer bounds zod adds to every `.int()`: no bound a user chose. */
const SAFE_INTEGER_BOUND = Number.MAX_SAFE_INTEGER;

const EMPTY_COMMENTS: SchemaComments = { properties: new Map(), options: [] };

function code(value: string): string {
  // A code span that holds backticks needs a longer fence (CommonMark §6.1).
  const fence = value.includes('`') ? '``' : '`';
  const pad = value.startsWith('`') || value.endsWith('`') ? ' ' : '';
  return `${fence}${pad}${value}${pad}${fence}`;
}

function json(value: unknown): string {
  return code(JSON.stringify(value));
}

/** `256 MiB` for byte counts that are whole binary units. */
function binaryUnits(bytes: number): string | undefined {
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit: string | undefined;
  for (const next of units) {
    if (value < 1024 || value % 1024 !== 0) break;
    value /= 1024;
    unit = next;
  }
  return unit === undefined ? undefined : `${value} ${unit}`;
}

/** `1 to 64`, `at least 1`, `more than 0 and at most 2`: the bounds in words. */
function range(
  low: { n: number; exclusive: boolean } | undefined,
  high: { n: number; exclusive: boolean } | undefined,
  unit: (n: number) => string = String,
): string | undefined {
  if (low !== undefined && high !== undefined && !low.exclusive && !high.exclusive)
    return low.n === high.n ? `exactly ${unit(low.n)}` : `${low.n} to ${unit(high.n)}`;
  const parts: string[] = [];
  if (low !== undefined) parts.push(`${low.exclusive ? 'more than' : 'at least'} ${unit(low.n)}`);
  if (high !== undefined) parts.push(`${high.exclusive ? 'less than' : 'at most'} ${unit(high.n)}`);
  return parts.length === 0 ? undefined : parts.join(' and ');
}

/** A bound the schema sets: zod's own integer bounds (±MAX_SAFE_INTEGER) are no bound. */
function bound(n: number | undefined, exclusive = false): { n: number; exclusive: boolean } | undefined {
  return n === undefined || Math.abs(n) >= SAFE_INTEGER_BOUND ? undefined : { n, exclusive };
}

const items = (n: number): string => `${n} item${n === 1 ? '' : 's'}`;

/** The allowed values of one schema beyond its type. */
function constraints(s: JsonSchema): string[] {
  const out: string[] = [];
  const numeric = range(
    bound(s.exclusiveMinimum, true) ?? bound(s.minimum),
    bound(s.exclusiveMaximum, true) ?? bound(s.maximum),
  );
  if (numeric !== undefined) out.push(numeric);
  const length = range(bound(s.minLength), bound(s.maxLength));
  if (length !== undefined) out.push(`length ${length}`);
  const count = range(bound(s.minItems), bound(s.maxItems), items);
  if (count !== undefined) out.push(count);
  if (s.pattern !== undefined) out.push(`matching ${code(s.pattern)}`);
  if (s.propertyNames?.pattern !== undefined) out.push(`keys matching ${code(s.propertyNames.pattern)}`);
  return out;
}

/** The type of one schema with its allowed values: `integer, 0 to 65535`. */
export function describeType(s: JsonSchema): string {
  if (s.anyOf !== undefined) return s.anyOf.map(describeType).join(' or ');
  if (s.const !== undefined) return json(s.const);
  if (s.enum !== undefined) return `one of ${s.enum.map(json).join(', ')}`;
  let base: string;
  if (s.type === 'array') {
    base = `array of ${s.items === undefined ? 'values' : describeType(s.items)}`;
  } else if (
    s.type === 'object' &&
    s.properties === undefined &&
    typeof s.additionalProperties === 'object'
  ) {
    base = `map of ${describeType(s.additionalProperties)}`;
  } else if (s.type === 'string' && s.format === 'uri') {
    base = 'URL';
  } else {
    base = s.type ?? 'any';
  }
  // An array's own constraints read after its element type: `array of string (1 to 64 items)`.
  const extra = constraints(s);
  if (extra.length === 0) return base;
  return s.type === 'array' || s.type === 'object'
    ? `${base} (${extra.join(', ')})`
    : `${base}, ${extra.join(', ')}`;
}

/** The default column: the JSON default (bytes also in binary units), `required` or `none`. */
function describeDefault(key: string, s: JsonSchema, required: boolean, description: string): string {
  if (s.default !== undefined) {
    const units = typeof s.default === 'number' && /bytes$/i.test(key) ? binaryUnits(s.default) : undefined;
    return units === undefined ? json(s.default) : `${json(s.default)} (${units})`;
  }
  if (!required) return 'none';
  // A default the loader fills in (not the schema) is stated in the description: "Default: `...`.".
  const stated = /\bDefault: ([^.]*(?:\.[^\s.][^.]*)*)\./.exec(description);
  return stated?.[1] ?? 'required';
}

/** Objects with keys (under a key, an array's element, a record's value or a union member). */
function nested(
  s: JsonSchema,
  c: SchemaComments,
): { schema: JsonSchema; comments: SchemaComments; suffix: string }[] {
  if (s.properties !== undefined) return [{ schema: s, comments: c, suffix: '' }];
  if (s.anyOf !== undefined) {
    return s.anyOf.flatMap((option, i) => nested(option, c.options[i] ?? EMPTY_COMMENTS));
  }
  if (s.type === 'array' && s.items !== undefined) {
    return nested(s.items, c.items ?? EMPTY_COMMENTS).map((n) => ({ ...n, suffix: `[]${n.suffix}` }));
  }
  if (typeof s.additionalProperties === 'object') {
    return nested(s.additionalProperties, c.values ?? EMPTY_COMMENTS).map((n) => ({
      ...n,
      suffix: `.<key>${n.suffix}`,
    }));
  }
  return [];
}

function sourcesNote(key: string, sources: KeySources | undefined): string {
  const parts: string[] = [];
  const flags = sources?.flags.get(key);
  if (flags !== undefined && flags.length > 0) parts.push(`Flag ${flags.map(code).join(', ')}.`);
  const env = sources?.env.get(key);
  if (env !== undefined && env.length > 0) parts.push(`Environment ${env.map(code).join(', ')}.`);
  return parts.join(' ');
}

/**
 * One row per key of an object schema, depth first in the schema's key order. Descriptions come
 * from the schema (`.describe()`, `.meta()`) or else from the source comments.
 */
export function configRows(
  schema: JsonSchema,
  comments: SchemaComments,
  sources?: KeySources,
  prefix = '',
): ConfigRow[] {
  const rows: ConfigRow[] = [];
  const required = new Set(schema.required ?? []);
  for (const [name, property] of Object.entries(schema.properties ?? {})) {
    const key = prefix === '' ? name : `${prefix}.${name}`;
    const keyComments = comments.properties.get(name) ?? EMPTY_COMMENTS;
    const text = property.description ?? keyComments.description ?? '';
    const note = sourcesNote(key, sources);
    rows.push({
      key,
      type: describeType(property),
      default:
        property.properties !== undefined && property.default !== undefined
          ? 'see keys'
          : describeDefault(name, property, required.has(name), text),
      description: [text, note].filter((t) => t !== '').join(' '),
    });
    for (const inner of nested(property, keyComments)) {
      rows.push(...configRows(inner.schema, inner.comments, sources, `${key}${inner.suffix}`));
    }
  }
  return rows;
}

/** Text safe inside a markdown table cell. */
export function cell(text: string): string {
  // Inside a GFM table `|` must be escaped even in code spans; backslashes stay literal there.
  return text.replace(/\|/g, '\\|').replace(/\n/g, ' ');
}

/** A markdown table; cells are escaped here. */
export function table(header: readonly string[], rows: readonly (readonly string[])[]): string {
  const line = (cells: readonly string[]): string => `| ${cells.map(cell).join(' | ')} |`;
  return [line(header), line(header.map(() => '---')), ...rows.map(line)].join('\n');
}

export function renderConfigRows(rows: readonly ConfigRow[]): string {
  return table(
    ['key', 'type', 'default', 'description'],
    rows.map((r) => [code(r.key), r.type, r.default, r.description === '' ? '—' : r.description]),
  );
}

/** One environment variable: which commands read it, the key it sets, what it is. */
export interface EnvRow {
  name: string;
  commands: readonly string[];
  /** The config key it sets, if it maps onto one. */
  key?: string;
  description: string;
}

export function renderEnvRows(rows: readonly EnvRow[]): string {
  return table(
    ['variable', 'read by', 'sets', 'description'],
    rows.map((r) => [
      code(r.name),
      r.commands.map(code).join(', '),
      r.key === undefined ? '—' : code(r.key),
      r.description === '' ? '—' : r.description,
    ]),
  );
}
