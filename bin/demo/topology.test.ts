import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { edgeConfigFromInput } from '../../edge/index.js';
import { originConfigFromInput } from '../../origin/index.js';
import { expectBirdParses } from '../../test/deploy/helpers.js';
import {
  CLIENT_PREFIXES,
  DEMO_EDGES,
  DEMO_SITES,
  DEMO_VICTIM,
  birdConfig,
  edgeConfigInput,
  originConfigInput,
  type DemoSecrets,
  type EdgeAddress,
} from './topology.js';

const SECRETS: DemoSecrets = {
  apiToken: 'a'.repeat(32),
  urlTokenKey: Buffer.alloc(32, 1).toString('base64'),
  fillKey: Buffer.alloc(32, 2).toString('base64'),
  edgeTokens: Object.fromEntries(DEMO_EDGES.map((e) => [e.id, `${e.id}-token-0123456789`])),
};

const ADDRESSES = new Map<string, EdgeAddress>(
  DEMO_EDGES.map((e, i) => [e.id, { host: `127.0.0.${11 + i}`, port: 41000 + i, bgpPort: 42000 + i }]),
);

const edgeInput = (id: string, birdHost: string | undefined) =>
  edgeConfigInput(
    DEMO_EDGES.find((e) => e.id === id)!,
    ADDRESSES,
    {
      originUrl: 'http://127.0.0.1:8080',
      cacheDir: '/tmp/cache',
      secrets: SECRETS,
      birdHost,
    },
  );

describe('the demo topology', () => {
  it('three edges in two sites: site A a cluster of two peers, site B one edge with site A as its parent tier', () => {
    expect(DEMO_EDGES.map((e) => [e.id, e.site])).toEqual([
      ['edge-a1', 'site-a'],
      ['edge-a2', 'site-a'],
      ['edge-b1', 'site-b'],
    ]);
    const b1 = edgeConfigFromInput(edgeInput('edge-b1', undefined));
    expect(b1.parents.map((p) => p.url)).toEqual(['http://127.0.0.11:41000', 'http://127.0.0.12:41001']);
    expect(b1.cluster).toBeUndefined();
    const a1 = edgeConfigFromInput(edgeInput('edge-a1', undefined));
    expect(a1.cluster?.peers.map((p) => p.id)).toEqual(['edge-a1', 'edge-a2']);
    expect(a1.parents).toEqual([]);
    // The victim is a site-A edge, so site-A sessions have a peer to fail over to.
    expect(DEMO_EDGES.find((e) => e.id === DEMO_VICTIM)!.site).toBe('site-a');
  });

  it('clients come from both sites in both address families, sites alternating', () => {
    expect(CLIENT_PREFIXES).toEqual([
      '198.51.100.0/24',
      '203.0.113.0/24',
      '2001:db8:a::/48',
      '2001:db8:b::/48',
    ]);
  });

  it('edges validate against the edge schema: URL tokens required, fills signed, static routes without BIRD', () => {
    const a2 = edgeConfigFromInput(edgeInput('edge-a2', undefined));
    expect(a2.tokens.required).toBe(true);
    expect(a2.fillAuth.signingKeyId).toBe('f1');
    expect(a2.listen).toEqual({ host: '127.0.0.12', port: 41001 });
    expect(a2.control?.staticRoutes).toEqual([...DEMO_SITES[0]!.prefixes]);
    expect(a2.bgp).toBeUndefined();
  });

  it('with BIRD: a passive BGP neighbor, an import policy requiring the community, no static routes', () => {
    const b1 = edgeConfigFromInput(edgeInput('edge-b1', '127.0.0.10'));
    expect(b1.control?.staticRoutes).toBeUndefined();
    expect(b1.bgp?.listen).toEqual({ host: '127.0.0.13', port: 42002 });
    expect(b1.bgp?.neighbors).toMatchObject([{ address: '127.0.0.10', peerAs: 64500, passive: true }]);
    expect(b1.bgp?.importPolicy.communities?.require).toEqual(['64500:100']);
  });

  it('every edge has its own control token, and the origin knows them all', () => {
    const origin = originConfigFromInput(originConfigInput('/tmp/origin', '127.0.0.1', SECRETS));
    expect(Object.keys(origin.steering?.edgeTokens ?? {})).toEqual(DEMO_EDGES.map((e) => e.id));
    expect(origin.steering?.allowClientIpOverride).toBe(true);
    for (const e of DEMO_EDGES) {
      expect(edgeConfigFromInput(edgeInput(e.id, undefined)).control?.token).toBe(SECRETS.edgeTokens[e.id]);
    }
  });

  it('the ISP router config dials each edge with its site filter, and parses with `bird -p`', async (ctx) => {
    const text = birdConfig('127.0.0.10', ADDRESSES);
    for (const [i, e] of DEMO_EDGES.entries()) {
      expect(text).toContain(`neighbor 127.0.0.${11 + i} port ${42000 + i} as 64512;`);
      expect(text).toMatch(
        new RegExp(
          `protocol bgp ${e.id.replace('-', '_')} \\{[^}]*export filter to_${e.site.replace('-', '_')};`,
        ),
      );
    }
    expect(text).toContain('route 198.51.100.0/24 blackhole;');
    expect(text).toContain('route 2001:db8:b::/48 blackhole;');
    const dir = await mkdtemp(join(tmpdir(), 'demo-bird-'));
    try {
      await writeFile(join(dir, 'bird.conf'), text);
      await expectBirdParses(join(dir, 'bird.conf'), ctx);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
