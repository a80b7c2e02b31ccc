import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { SchemaCommentReader, type SchemaComments } from './sourceComments.js';

const DIR = resolve('/virtual/part');

/** A reader over in-memory files, counting reads. */
function readerOf(files: Record<string, string>): { reader: SchemaCommentReader; reads: string[] } {
  const reads: string[] = [];
  const reader = new SchemaCommentReader((path) => {
    reads.push(path);
    const text = files[path];
    if (text === undefined) throw new Error(`ENOENT ${path}`);
    return text;
  });
  return { reader, reads };
}

const CONFIG = `
import { z } from 'zod';
import { innerSchema as renamed } from './inner.js';
import { reExported } from './index.js';

/** A port. */
const port = z.number().int().min(0).max(65535);

const base = z.object({
  /** The base key. */
  x: z.string(),
  /** Overridden below without a comment. */
  y: z.number(),
});

export const configSchema = z
  .object({
    /**
     * Where to listen:
     * spread over two lines.
     */
    host: z.string().default('127.0.0.1'),
    port: port.default(80),
    /** The inner section. */
    inner: renamed.prefault({}),
    outer: renamed.optional(),
    list: z.array(z.object({ /** One element key. */ id: z.string() })).max(3).default([]),
    map: z.record(z.string(), z.strictObject({ /** A value key. */ v: z.number() })),
    either: z.union([z.string(), z.object({ /** Only in the object form. */ prefix: z.string() })]),
    extended: base.extend({ /** Added by extend. */ z: z.boolean(), y: z.number().optional() }),
    picked: base.shape.x.optional(),
    elsewhere: reExported,
    'quoted-key': z.string(),
    noComment: z.boolean(),
  })
  .strict()
  .superRefine(() => undefined);
`;

const INNER = `
import { z } from 'zod';
/** Declared with its own comment. */
export const innerSchema = z.strictObject({
  /** Deep key. */
  deep: z.string().min(1),
});
`;

const INDEX = `export { deepest as reExported } from './deep/file.js';`;
const DEEP = `import { z } from 'zod';
export const deepest = z.object({ /** At the end of a re-export. */ leaf: z.string() });`;

const files = {
  [`${DIR}/config.ts`]: CONFIG,
  [`${DIR}/inner.ts`]: INNER,
  [`${DIR}/index.ts`]: INDEX,
  [`${DIR}/deep/file.ts`]: DEEP,
};

function key(c: SchemaComments, ...path: string[]): SchemaComments {
  let at = c;
  for (const p of path) {
    const next = at.properties.get(p);
    if (next === undefined) throw new Error(`no ${path.join('.')}`);
    at = next;
  }
  return at;
}

describe('schema comments from source', () => {
  const { reader } = readerOf(files);
  const config = reader.commentsOf(`${DIR}/config.ts`, 'configSchema');

  it('reads the comment above each key, as one line', () => {
    expect(key(config, 'host').description).toBe('Where to listen: spread over two lines.');
    expect(key(config, 'quoted-key').description).toBeUndefined();
    expect(key(config, 'noComment').description).toBeUndefined();
    expect([...config.properties.keys()]).toEqual([
      'host',
      'port',
      'inner',
      'outer',
      'list',
      'map',
      'either',
      'extended',
      'picked',
      'elsewhere',
      'quoted-key',
      'noComment',
    ]);
  });

  it("falls back to the comment of the schema a key refers to, the key's own winning", () => {
    expect(key(config, 'port').description).toBe('A port.');
    expect(key(config, 'inner').description).toBe('The inner section.');
    expect(key(config, 'outer').description).toBe('Declared with its own comment.');
  });

  it('follows imports (renamed too) and re-exports into other files', () => {
    expect(key(config, 'inner', 'deep').description).toBe('Deep key.');
    expect(key(config, 'outer', 'deep').description).toBe('Deep key.');
    expect(key(config, 'elsewhere', 'leaf').description).toBe('At the end of a re-export.');
  });

  it('walks arrays, records, unions, extend and shape access', () => {
    expect(key(config, 'list').items?.properties.get('id')?.description).toBe('One element key.');
    expect(key(config, 'map').values?.properties.get('v')?.description).toBe('A value key.');
    const either = key(config, 'either');
    expect(either.options).toHaveLength(2);
    expect(either.options[0]!.properties.size).toBe(0);
    expect(either.options[1]!.properties.get('prefix')?.description).toBe('Only in the object form.');
    const extended = key(config, 'extended');
    expect(extended.properties.get('x')?.description).toBe('The base key.');
    expect(extended.properties.get('z')?.description).toBe('Added by extend.');
    // A key redefined by extend without a comment keeps the base's comment.
    expect(extended.properties.get('y')?.description).toBe('Overridden below without a comment.');
    expect(key(config, 'picked').description).toBe('The base key.');
  });

  it('parses each file once', () => {
    const counted = readerOf(files);
    counted.reader.commentsOf(`${DIR}/config.ts`, 'configSchema');
    counted.reader.commentsOf(`${DIR}/inner.ts`, 'innerSchema');
    expect(counted.reads.filter((p) => p.endsWith('/inner.ts'))).toHaveLength(1);
  });

  it('says which name is missing, and refuses to follow package imports', () => {
    expect(() => reader.commentsOf(`${DIR}/config.ts`, 'nope')).toThrow(/nope is not declared/);
    const pkg = readerOf({ [`${DIR}/a.ts`]: `import { s } from 'some-package';\nexport const t = s;` });
    expect(() => pkg.reader.commentsOf(`${DIR}/a.ts`, 't')).toThrow(/package import some-package/);
  });
});
