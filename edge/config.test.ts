import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../common/errors.js';
import { edgeConfigFromInput, loadEdgeConfig, tokenKeyring } from './config.js';

describe('edge config', () => {
  it('fills defaults and freezes', () => {
    const c = edgeConfigFromInput({ originUrl: 'http://127.0.0.1:8080' });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(c.tokens.required).toBe(false);
    expect(c.upstream.headersTimeoutMs).toBe(5000);
    expect(Object.isFrozen(c.upstream)).toBe(true);
  });

  it('names the bad key', () => {
    for (const [input, key] of [
      [{}, 'originUrl'],
      [{ originUrl: 'ftp://x' }, 'originUrl'],
      [{ originUrl: 'http://x', tokens: { required: true } }, 'tokens.keys'],
      [{ originUrl: 'http://x', tokens: { keys: { k1: 'c2hvcnQ=' } } }, 'tokens.keys.k1'],
      [{ originUrl: 'http://x', adminToken: 'short' }, 'adminToken'],
      [{ originUrl: 'http://x', nodeId: 'bad id' }, 'nodeId'],
    ] as const) {
      let err: unknown;
      try {
        edgeConfigFromInput(input);
      } catch (e) {
        err = e;
      }
      expect(isCdnError(err, 'CDN_ERR_CONFIG_INVALID'), JSON.stringify(input)).toBe(true);
      expect((err as Error).message).toContain(key);
    }
  });

  it('layers file, environment and flags, merging nested objects', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'edge-config-'));
    try {
      const path = join(dir, 'edge.json');
      const key = Buffer.alloc(32, 7).toString('base64');
      await writeFile(
        path,
        JSON.stringify({
          nodeId: 'file',
          originUrl: 'http://a:1',
          listen: { port: 9000 },
          tokens: { keys: { k: key } },
        }),
      );
      const c = await loadEdgeConfig({
        configPath: path,
        env: { EDGE_HOST: '0.0.0.0', EDGE_ADMIN_TOKEN: 'admin-token-0123456789' },
        flags: { originUrl: 'http://b:2' },
      });
      expect(c.listen).toEqual({ host: '0.0.0.0', port: 9000 });
      expect(c.originUrl).toBe('http://b:2');
      expect(c.nodeId).toBe('file');
      expect(c.adminToken).toBe('admin-token-0123456789');
      expect(tokenKeyring(c).get('k')).toEqual(Buffer.alloc(32, 7));
      await expect(loadEdgeConfig({ configPath: join(dir, 'missing.json'), env: {} })).rejects.toThrow(
        /cannot read/,
      );
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
