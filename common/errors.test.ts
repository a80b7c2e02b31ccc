import { readFile, readdir } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CdnError, toCdnError } from './errors.js';

const root = join(import.meta.dirname, '..');
const CODE = /\b(?:CDN|ENC|MANIFEST|ORIGIN|EDGE|BGP|STEER|PLAYER|QOE)_ERR_[A-Z0-9_]+\b/g;

async function sourceFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    if (
      ['node_modules', 'dist', '.git', 'docs', 'tmp', 'coverage'].includes(entry.name) ||
      entry.name.startsWith('.')
    )
      continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await sourceFiles(path)));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts')) out.push(path);
  }
  return out;
}

describe('error codes', () => {
  it('every code used in the source is documented in docs/errors.md, and every documented code is used', async () => {
    const docs = await readFile(join(root, 'docs/errors.md'), 'utf8');
    const documented = new Set(docs.match(CODE) ?? []);
    const used = new Map<string, string>();
    for (const file of await sourceFiles(root)) {
      for (const code of (await readFile(file, 'utf8')).match(CODE) ?? [])
        used.set(code, relative(root, file));
    }
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used]
      .filter(([code]) => !documented.has(code))
      .map(([code, file]) => `${code} (${file})`);
    expect(missing, 'codes missing from docs/errors.md').toEqual([]);
    const stale = [...documented].filter((code) => !used.has(code));
    expect(stale, 'documented codes no source uses').toEqual([]);
  });

  it('CdnError answers JSON as {error, message} and keeps its cause', () => {
    const cause = new Error('low level');
    const err = new CdnError('EDGE_ERR_EXAMPLE', 'upstream failed', { statusCode: 502, cause });
    expect(err.toJSON()).toEqual({ error: 'EDGE_ERR_EXAMPLE', message: 'upstream failed' });
    expect(err.statusCode).toBe(502);
    expect(err.cause).toBe(cause);
    expect(toCdnError(err)).toBe(err);
    expect(toCdnError(new Error('x')).code).toBe('CDN_ERR_INTERNAL');
  });
});
