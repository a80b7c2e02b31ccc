import { describe, expect, it } from 'vitest';
import { codeOf } from '../../test/helpers/errors.js';
import { bgpConfigSchema, importPolicySchema, loadBgpConfig } from './config.js';
import { compileImportPolicy, evaluateImport } from './policy.js';
import type { Route } from './route.js';

const route = (prefix: string, communities: string[] = [], largeCommunities: string[] = []): Route => ({
  prefix,
  family: prefix.includes(':') ? 'ipv6' : 'ipv4',
  pathId: 0,
  peer: 'p',
  nextHop: '192.0.2.1',
  asPath: [],
  asPathLength: 0,
  origin: 'igp',
  localPref: 100,
  communities,
  largeCommunities,
  stale: false,
});

describe('import policy', () => {
  const policy = compileImportPolicy(
    importPolicySchema.parse({
      prefixes: [
        { prefix: '10.0.0.0/8', maxLength: 24 },
        { prefix: '100.64.0.0/10', minLength: 16, maxLength: 20 },
        { prefix: '2001:db8::/32' },
      ],
      communities: { require: ['65001:1', '65001:2:3'], deny: ['65001:666'] },
    }),
  );
  const verdict = (r: Route) => evaluateImport(r, policy);

  it.each([
    ['10.0.0.0/8', 'accept'],
    ['10.1.2.0/24', 'accept'],
    ['10.1.2.0/25', 'outside-bounds'],
    ['11.0.0.0/8', 'outside-bounds'],
    ['0.0.0.0/0', 'outside-bounds'],
    ['100.64.0.0/10', 'outside-bounds'],
    ['100.65.0.0/16', 'accept'],
    ['100.65.16.0/20', 'accept'],
    ['100.65.16.0/21', 'outside-bounds'],
    ['2001:db8:1::/48', 'accept'],
    ['2001:db8:1:1::/64', 'outside-bounds'],
    ['2001:db9::/32', 'outside-bounds'],
  ])('checks %s against the bounds: %s', (prefix, expected) => {
    const result = verdict(route(prefix, ['65001:1']));
    expect(result.kind === 'accept' ? 'accept' : result.reason).toBe(expected);
  });

  it('requires one of the listed communities, standard or large, and refuses denied ones', () => {
    expect(verdict(route('10.0.0.0/8'))).toEqual({ kind: 'reject', reason: 'missing-community' });
    expect(verdict(route('10.0.0.0/8', [], ['65001:2:3']))).toEqual({ kind: 'accept' });
    expect(verdict(route('10.0.0.0/8', ['65001:1', '65001:666']))).toEqual({
      kind: 'reject',
      reason: 'denied-community',
    });
  });

  it('accepts everything with the default policy', () => {
    const open = compileImportPolicy(importPolicySchema.parse({}));
    expect(evaluateImport(route('0.0.0.0/0'), open)).toEqual({ kind: 'accept' });
    expect(open.maxPrefixes).toBeUndefined();
  });
});

describe('BGP config', () => {
  const base = { localAs: 65000, routerId: '192.0.2.254' };

  it('fills in the defaults', () => {
    const config = loadBgpConfig(base);
    expect(config).toMatchObject({
      listen: { host: '0.0.0.0', port: 179 },
      holdTimeS: 90,
      connectRetryS: 120,
      families: ['ipv4', 'ipv6'],
      addPath: true,
      gracefulRestart: { enabled: true, restartTimeS: 120, stalePathTimeS: 360 },
      neighbors: [],
    });
    expect(Object.isFrozen(config.gracefulRestart)).toBe(true);
  });

  it.each([
    ['a hold time of 2', { holdTimeS: 2 }, 'holdTimeS'],
    ['AS 0', { localAs: 0 }, 'localAs'],
    ['a router id of 0.0.0.0', { routerId: '0.0.0.0' }, 'routerId'],
    ['an IPv6 router id', { routerId: '::1' }, 'routerId'],
    [
      'a restart time over 12 bits',
      { gracefulRestart: { restartTimeS: 4096 } },
      'gracefulRestart.restartTimeS',
    ],
    [
      'a prefix with host bits',
      { importPolicy: { prefixes: [{ prefix: '10.0.0.1/8' }] } },
      'importPolicy.prefixes[0].prefix',
    ],
    [
      'an IPv4 bound past /32',
      { importPolicy: { prefixes: [{ prefix: '10.0.0.0/8', maxLength: 33 }] } },
      'maxLength',
    ],
    [
      'minLength over maxLength',
      { importPolicy: { prefixes: [{ prefix: '10.0.0.0/8', minLength: 24, maxLength: 16 }] } },
      'minLength',
    ],
    [
      'a bad community',
      { importPolicy: { communities: { deny: ['65536:1'] } } },
      'importPolicy.communities.deny[0]',
    ],
    [
      'a neighbor with a bad address',
      { neighbors: [{ name: 'a', address: '10.0.0.300', peerAs: 1 }] },
      'neighbors[0].address',
    ],
    [
      'two neighbors with one address',
      {
        neighbors: [
          { name: 'a', address: '10.0.0.1', peerAs: 1 },
          { name: 'b', address: '10.0.0.1', peerAs: 2 },
        ],
      },
      'neighbors[1].address',
    ],
    [
      'two neighbors with one name',
      {
        neighbors: [
          { name: 'a', address: '10.0.0.1', peerAs: 1 },
          { name: 'a', address: '10.0.0.2', peerAs: 2 },
        ],
      },
      'neighbors[1].name',
    ],
    ['an unknown key', { unknown: 1 }, 'unknown'],
  ])('refuses %s, naming the key', (_name, change, key) => {
    expect(codeOf(() => loadBgpConfig({ ...base, ...change }))).toBe('CDN_ERR_CONFIG_INVALID');
    expect(() => loadBgpConfig({ ...base, ...change })).toThrow(key);
  });

  it("nests into another part's schema", () => {
    expect(
      bgpConfigSchema.safeParse({
        ...base,
        neighbors: [{ name: 'isp', address: '2001:db8::1', peerAs: 64512 }],
      }).success,
    ).toBe(true);
  });
});
