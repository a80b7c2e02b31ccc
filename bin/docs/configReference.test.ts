import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  cell,
  configRows,
  describeType,
  renderConfigRows,
  renderEnvRows,
  table,
  type JsonSchema,
} from './configReference.js';
import type { SchemaComments } from './sourceComments.js';

function jsonSchema(schema: z.ZodType): JsonSchema {
  return z.toJSONSchema(schema, { io: 'input', unrepresentable: 'any' }) as JsonSchema;
}

function comments(
  description: string | undefined,
  properties: Record<string, SchemaComments> = {},
): SchemaComments {
  return {
    ...(description !== undefined ? { description } : {}),
    properties: new Map(Object.entries(properties)),
    options: [],
  };
}

const schema = z
  .object({
    port: z.number().int().min(0).max(65535).default(8081),
    dataDir: z.string().min(1),
    ingestDir: z.string().min(1),
    token: z.string().min(16).max(4096).optional(),
    ratio: z.number().positive().max(2).default(0.15),
    maxBytes: z
      .number()
      .int()
      .min(1024)
      .default(256 * 1024 * 1024),
    level: z.enum(['info', 'debug']).default('info').describe('From describe().'),
    workers: z.union([z.number().int().min(1), z.literal('auto')]).default(1),
    url: z.url(),
    tags: z
      .array(z.string().regex(/^[a-z|]+$/))
      .min(1)
      .max(4)
      .default(['a']),
    exact: z.array(z.string()).length(1).optional(),
    keys: z.record(z.string().regex(/^k\d$/), z.string()).default({}),
    listen: z
      .object({ host: z.string().default('127.0.0.1') })
      .strict()
      .default({ host: '127.0.0.1' }),
    disk: z
      .object({ dir: z.string(), maxBytes: z.number().int().default(1024) })
      .strict()
      .optional(),
    routes: z
      .array(z.union([z.string(), z.object({ prefix: z.string(), med: z.number().optional() })]))
      .optional(),
    peers: z.record(z.string(), z.object({ url: z.url() })).optional(),
  })
  .strict();

const docs = comments(undefined, {
  port: comments('TCP port; 0 picks a free one.'),
  dataDir: comments('Where data lives.'),
  ingestDir: comments('Sources live here. Default: `<dataDir>/ingest`.'),
  level: comments('From the source comment (loses to describe).'),
  listen: comments('Where to listen.', { host: comments('The address.') }),
  disk: comments('The disk tier.', { dir: comments('Its directory.') }),
  routes: {
    properties: new Map(),
    options: [],
    items: {
      properties: new Map(),
      options: [comments(undefined), comments(undefined, { prefix: comments('A prefix.') })],
    },
  },
  peers: {
    properties: new Map(),
    options: [],
    values: comments(undefined, { url: comments('Its URL.') }),
  },
});

describe('configuration rows', () => {
  const rows = configRows(jsonSchema(schema), docs, {
    flags: new Map([['port', ['--port']]]),
    env: new Map([
      ['port', ['CDN_PORT']],
      ['disk.dir', ['CDN_DISK_DIR']],
    ]),
  });
  /** The rows' `field` for each key of `want` equals `want`. */
  const expectColumn = (field: 'type' | 'default' | 'description', want: Record<string, string>): void => {
    expect(Object.fromEntries(Object.keys(want).map((k) => [k, row(k)[field]]))).toEqual(want);
  };
  const row = (key: string) => {
    const found = rows.find((r) => r.key === key);
    if (found === undefined) throw new Error(`no row ${key}: ${rows.map((r) => r.key).join(', ')}`);
    return found;
  };

  it('lists every key depth first as dotted paths, with array elements and map values', () => {
    expect(rows.map((r) => r.key)).toEqual([
      'port',
      'dataDir',
      'ingestDir',
      'token',
      'ratio',
      'maxBytes',
      'level',
      'workers',
      'url',
      'tags',
      'exact',
      'keys',
      'listen',
      'listen.host',
      'disk',
      'disk.dir',
      'disk.maxBytes',
      'routes',
      'routes[].prefix',
      'routes[].med',
      'peers',
      'peers.<key>.url',
    ]);
  });

  it('gives types with their ranges, patterns and choices', () => {
    expectColumn('type', {
      port: 'integer, 0 to 65535',
      token: 'string, length 16 to 4096',
      ratio: 'number, more than 0 and at most 2',
      maxBytes: 'integer, at least 1024',
      level: 'one of `"info"`, `"debug"`',
      workers: 'integer, at least 1 or `"auto"`',
      url: 'URL',
      tags: 'array of string, matching `^[a-z|]+$` (1 to 4 items)',
      exact: 'array of string (exactly 1 item)',
      keys: 'map of string (keys matching `^k\\d$`)',
      listen: 'object',
      routes: 'array of string or object',
    });
  });

  it('gives defaults, required keys, and defaults a loader fills in as their descriptions state them', () => {
    expectColumn('default', {
      port: '`8081`',
      maxBytes: '`268435456` (256 MiB)',
      'disk.maxBytes': '`1024` (1 KiB)',
      tags: '`["a"]`',
      keys: '`{}`',
      dataDir: 'required',
      'disk.dir': 'required',
      ingestDir: '`<dataDir>/ingest`',
      token: 'none',
      disk: 'none',
      listen: 'see keys',
    });
  });

  it('takes descriptions from the schema first, then the source comments, and notes flags and variables', () => {
    expectColumn('description', {
      level: 'From describe().',
      'listen.host': 'The address.',
      'routes[].prefix': 'A prefix.',
      'peers.<key>.url': 'Its URL.',
      port: 'TCP port; 0 picks a free one. Flag `--port`. Environment `CDN_PORT`.',
      'disk.dir': 'Its directory. Environment `CDN_DISK_DIR`.',
      token: '',
    });
  });

  it('renders a table that keeps `|` inside cells and marks missing descriptions', () => {
    const text = renderConfigRows(rows);
    const lines = text.split('\n');
    expect(lines[0]).toBe('| key | type | default | description |');
    expect(lines).toHaveLength(rows.length + 2);
    expect(text).toContain(
      '| `tags` | array of string, matching `^[a-z\\|]+$` (1 to 4 items) | `["a"]` | — |',
    );
    expect(text).toContain('| `token` | string, length 16 to 4096 | none | — |');
    for (const line of lines) expect(line.split(/(?<!\\)\|/)).toHaveLength(6);
  });
});

describe('markdown helpers', () => {
  it('escapes pipes and newlines in cells, not backslashes', () => {
    expect(cell('a|b\nc \\d')).toBe('a\\|b c \\d');
    expect(table(['x'], [['1|2']])).toBe('| x |\n| --- |\n| 1\\|2 |');
  });

  it('describes a code span holding a backtick with a longer fence', () => {
    expect(describeType({ const: 'a`b' })).toBe('``"a`b"``');
  });

  it('renders environment rows with the commands that read them and the key they set', () => {
    const text = renderEnvRows([
      { name: 'A_TOKEN', commands: ['cdn origin'], key: 'apiToken', description: 'The token.' },
      { name: 'TOOL_PATH', commands: ['cdn encode', 'cdn origin'], description: '' },
    ]);
    expect(text.split('\n').slice(2)).toEqual([
      '| `A_TOKEN` | `cdn origin` | `apiToken` | The token. |',
      '| `TOOL_PATH` | `cdn encode`, `cdn origin` | — | — |',
    ]);
  });
});
