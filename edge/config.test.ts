import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { isCdnError } from '../common/errors.js';
import { controlConfigOf, edgeConfigFromInput, loadEdgeConfig, tokenKeyring } from './config.js';

describe('edge config', () => {
  it('fills defaults and freezes', () => {
    const c = edgeConfigFromInput({ originUrl: 'http://127.0.0.1:8080' });
    expect(c.listen).toEqual({ host: '127.0.0.1', port: 8081 });
    expect(c.tokens.required).toBe(false);
    expect(c.upstream.headersTimeoutMs).toBe(5000);
    expect(Object.isFrozen(c.upstream)).toBe(true);
    // The disk tier re-hashes a body read after 10 minutes and keeps 512 files open by default.
    const d = edgeConfigFromInput({ originUrl: 'http://127.0.0.1:8080', disk: { dir: '/var/cache' } });
    expect(d.disk).toMatchObject({ reverifyIntervalMs: 600_000, openFilesMax: 512 });
    const every = edgeConfigFromInput({
      originUrl: 'http://127.0.0.1:8080',
      disk: { dir: '/var/cache', reverifyIntervalMs: 0, openFilesMax: 0 },
    });
    expect(every.disk).toMatchObject({ reverifyIntervalMs: 0, openFilesMax: 0 });
  });

  it('names the bad key', () => {
    for (const [input, key] of [
      [{}, 'originUrl'],
      [{ originUrl: 'ftp://x' }, 'originUrl'],
      [{ originUrl: 'http://x', tokens: { required: true } }, 'tokens.keys'],
      [{ originUrl: 'http://x', tokens: { keys: { k1: 'c2hvcnQ=' } } }, 'tokens.keys.k1'],
      [{ originUrl: 'http://x', adminToken: 'short' }, 'adminToken'],
      [{ originUrl: 'http://x', nodeId: 'bad id' }, 'nodeId'],
      [{ originUrl: 'http://x', disk: { dir: '/d', reverifyIntervalMs: -1 } }, 'disk.reverifyIntervalMs'],
      [{ originUrl: 'http://x', disk: { dir: '/d', openFilesMax: 1.5 } }, 'disk.openFilesMax'],
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

describe('edge config: bgp and control', () => {
  const BGP = {
    localAs: 65000,
    routerId: '192.0.2.1',
    listen: { host: '127.0.0.1', port: 1179 },
    neighbors: [{ name: 'isp', address: '127.0.0.2', peerAs: 65001 }],
  };
  const CONTROL = { capacityGbps: 10, cluster: 'site-a' };
  const base = { originUrl: 'http://127.0.0.1:8080', nodeId: 'edge-1' };

  function problem(input: Record<string, unknown>): string {
    try {
      edgeConfigFromInput(input);
    } catch (err) {
      expect(isCdnError(err, 'CDN_ERR_CONFIG_INVALID')).toBe(true);
      return (err as Error).message;
    }
    throw new Error(`accepted ${JSON.stringify(input)}`);
  }

  it('nests both sections with their defaults and fills the control client from the node', () => {
    const c = edgeConfigFromInput({
      ...base,
      bgp: BGP,
      control: { capacityGbps: 10 },
      cluster: { id: 'site-b' },
    });
    expect(c.bgp?.holdTimeS).toBe(90);
    expect(c.bgp?.neighbors[0]).toMatchObject({ name: 'isp', passive: true, port: 179 });
    expect(c.control).toMatchObject({ capacityGbps: 10, timeoutMs: 5000, maxCachedTitles: 10_000 });
    expect(c.control?.edgeId).toBeUndefined();
    expect(controlConfigOf(c, 'http://127.0.0.1:8081')).toMatchObject({
      edgeId: 'edge-1',
      originUrl: 'http://127.0.0.1:8080',
      cluster: 'site-b',
      publicUrl: 'http://127.0.0.1:8081',
    });
    // Given values win over the node's.
    const own = edgeConfigFromInput({
      ...base,
      control: {
        ...CONTROL,
        edgeId: 'pathway-a',
        originUrl: 'http://steer:1',
        publicUrl: 'http://e.example',
      },
    });
    expect(controlConfigOf(own, 'http://127.0.0.1:8081')).toMatchObject({
      edgeId: 'pathway-a',
      originUrl: 'http://steer:1',
      cluster: 'site-a',
      publicUrl: 'http://e.example',
    });
    expect(controlConfigOf(edgeConfigFromInput(base), 'http://x')).toBeUndefined();
    expect(Object.isFrozen(c.bgp?.neighbors)).toBe(true);
  });

  it('names the key of every incompatible combination', () => {
    const cases: Array<[Record<string, unknown>, RegExp]> = [
      // Node ids may hold ':', edge ids (HLS pathway ids) may not.
      [{ ...base, nodeId: 'pop:1', control: CONTROL }, /control\.edgeId: required: nodeId "pop:1"/],
      [{ ...base, control: { ...CONTROL, edgeId: 'a:b' } }, /control\.edgeId/],
      [{ ...base, control: { capacityGbps: 10 } }, /control\.cluster: required/],
      [{ ...base, listen: { host: '0.0.0.0' }, control: CONTROL }, /control\.publicUrl: required/],
      [
        { ...base, bgp: BGP, control: { ...CONTROL, staticRoutes: ['10.0.0.0/8'] } },
        /control\.staticRoutes: not used with bgp/,
      ],
      [
        { ...base, control: { ...CONTROL, staticRoutes: [], staticRoutesFile: '/r.json' } },
        /control\.staticRoutesFile: give staticRoutes or staticRoutesFile/,
      ],
      [
        { ...base, control: { ...CONTROL, staticRoutes: ['10.0.0.1/8'] } },
        /control\.staticRoutes:.*host bits/,
      ],
      [{ ...base, control: { ...CONTROL, capacityGbps: 0 } }, /control\.capacityGbps/],
      [{ ...base, control: { ...CONTROL, colour: 1 } }, /control.*colour/],
      [
        { ...base, listen: { port: 1179 }, bgp: BGP },
        /bgp\.listen\.port: the HTTP server listens on port 1179/,
      ],
      [{ ...base, bgp: { ...BGP, localAs: 0 } }, /bgp\.localAs/],
      [{ ...base, bgp: { ...BGP, routerId: '::1' } }, /bgp\.routerId/],
    ];
    for (const [input, message] of cases) expect(problem(input), JSON.stringify(input)).toMatch(message);
  });

  it('takes the control token from EDGE_CONTROL_TOKEN, only into a control section', async () => {
    const token = 'control-token-0123456789';
    const withControl = await loadEdgeConfig({
      flags: { ...base, control: CONTROL },
      env: { EDGE_CONTROL_TOKEN: token },
    });
    expect(withControl.control?.token).toBe(token);
    const without = await loadEdgeConfig({ flags: base, env: { EDGE_CONTROL_TOKEN: token } });
    expect(without.control).toBeUndefined();
  });
});
