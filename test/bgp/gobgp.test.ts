/**
 * GoBGP as a second, independent implementation of the ISP's router, listening on 127.0.0.4: the
 * speaker dials it (active mode, no listener of its own). GoBGP sends several paths per prefix with ADD-PATH (RFC 7911), IPv4 and IPv6, with
 * communities, large communities, MED and AS paths added through its CLI.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BgpSpeaker, type SessionStateEvent, loadBgpConfig } from '../../edge/bgp/index.js';
import { type Gobgp, RouteView, freePort, gobgpMissing, startGobgp, tempDir, waitFor } from './helpers.js';

function gobgpConfig(port: number): string {
  return `
[global.config]
  as = 65002
  router-id = "192.0.2.2"
  port = ${port}
  local-address-list = ["127.0.0.4"]

[[neighbors]]
  [neighbors.config]
    neighbor-address = "127.0.0.1"
    peer-as = 65000
  [neighbors.transport.config]
    local-address = "127.0.0.4"
    # The edge dials.
    passive-mode = true
  [neighbors.timers.config]
    hold-time = 9
    keepalive-interval = 3
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv4-unicast"
    [neighbors.afi-safis.add-paths.config]
      send-max = 8
  [[neighbors.afi-safis]]
    [neighbors.afi-safis.config]
      afi-safi-name = "ipv6-unicast"
`;
}

describe.skipIf(gobgpMissing)('BGP speaker with GoBGP as the peer (gobgpd not installed: skipped)', () => {
  let speaker: BgpSpeaker;
  let view: RouteView;
  let gobgp: Gobgp | undefined;
  let work: { dir: string; remove: () => Promise<void> };
  const events: SessionStateEvent[] = [];
  const state = () => speaker.sessions()[0]!.state;

  beforeAll(async () => {
    work = await tempDir('cdn-gobgp-');
    const gobgpPort = await freePort('127.0.0.4');
    speaker = new BgpSpeaker({
      config: loadBgpConfig({
        localAs: 65000,
        routerId: '192.0.2.254',
        // Retry every second: the router is disabled and killed during the tests.
        connectRetryS: 1,
        idleHoldS: 1,
        neighbors: [
          {
            name: 'gobgp',
            address: '127.0.0.4',
            port: gobgpPort,
            localAddress: '127.0.0.1',
            passive: false,
            peerAs: 65002,
          },
        ],
      }),
    });
    view = new RouteView(speaker);
    speaker.on('session', (e) => events.push(e));
    await speaker.start();
    gobgp = await startGobgp(work.dir, gobgpConfig(gobgpPort), await freePort());
  });

  afterAll(async () => {
    await gobgp?.kill();
    await speaker?.stop();
    await work?.remove();
  });

  it('learns several paths per prefix with ADD-PATH and IPv6 routes, and ranks them', async () => {
    await waitFor('Established', () => state() === 'Established', 15_000);
    expect(speaker.sessions()[0]!.negotiated).toMatchObject({
      peerAs: 65002,
      holdTimeS: 9,
      fourOctetAs: true,
      families: [1, 2],
      addPathIpv4: true,
      addPathIpv6: false,
    });
    await gobgp!.cli(
      'global',
      'rib',
      '-a',
      'ipv4',
      'add',
      '10.20.0.0/16',
      'nexthop',
      '127.0.0.4',
      'community',
      '65002:7',
      'large-community',
      '65002:1:1',
      'med',
      '10',
      'aspath',
      '65010,65011',
      'identifier',
      '1',
    );
    await gobgp!.cli(
      'global',
      'rib',
      '-a',
      'ipv4',
      'add',
      '10.20.0.0/16',
      'nexthop',
      '127.0.0.5',
      'med',
      '20',
      'identifier',
      '2',
    );
    await gobgp!.cli(
      'global',
      'rib',
      '-a',
      'ipv6',
      'add',
      '2001:db8:200::/48',
      'nexthop',
      '2001:db8::4',
      'community',
      '65002:8',
      'origin',
      'igp',
    );
    await waitFor('two IPv4 paths and one IPv6', () => speaker.peerRoutes('gobgp')!.length === 3);
    const paths = speaker
      .peerRoutes('gobgp')!
      .filter((r) => r.prefix === '10.20.0.0/16')
      .sort((a, b) => a.asPathLength - b.asPathLength);
    const common = {
      prefix: '10.20.0.0/16',
      family: 'ipv4',
      peer: 'gobgp',
      origin: 'incomplete',
      localPref: 100,
      stale: false,
    };
    expect(paths).toEqual([
      {
        ...common,
        pathId: expect.any(Number),
        nextHop: '127.0.0.5',
        asPath: [65002],
        asPathLength: 1,
        med: 20,
        communities: [],
        largeCommunities: [],
      },
      {
        ...common,
        pathId: expect.any(Number),
        nextHop: '127.0.0.4',
        asPath: [65002, 65010, 65011],
        asPathLength: 3,
        med: 10,
        communities: ['65002:7'],
        largeCommunities: ['65002:1:1'],
      },
    ]);
    expect(paths[0]!.pathId).not.toBe(paths[1]!.pathId);
    // The shorter AS path wins over the lower MED (RFC 4271 §9.1.2.2: path length first).
    expect(view.table.get('10.20.0.0/16')).toEqual(paths[0]);
    expect(view.table.get('2001:db8:200::/48')).toEqual({
      prefix: '2001:db8:200::/48',
      family: 'ipv6',
      peer: 'gobgp',
      pathId: 0,
      nextHop: '2001:db8::4',
      asPath: [65002],
      asPathLength: 1,
      origin: 'igp',
      localPref: 100,
      communities: ['65002:8'],
      largeCommunities: [],
      stale: false,
    });
  });

  it('follows withdrawals path by path, then of the prefix', async () => {
    await gobgp!.cli('global', 'rib', '-a', 'ipv4', 'del', '10.20.0.0/16', 'identifier', '2');
    await waitFor(
      'best falls back to the other path',
      () => view.table.get('10.20.0.0/16')?.nextHop === '127.0.0.4',
    );
    expect(view.withdrawn()).not.toContain('10.20.0.0/16');
    await gobgp!.cli('global', 'rib', '-a', 'ipv4', 'del', '10.20.0.0/16', 'identifier', '1');
    await waitFor('prefix withdrawn', () => view.withdrawn().includes('10.20.0.0/16'));
    expect(view.prefixes()).toEqual(['2001:db8:200::/48']);
  });

  it('drops the routes when the router resets the session, and learns them again', async () => {
    await gobgp!.cli('neighbor', '127.0.0.1', 'disable');
    await waitFor('withdrawn', () => view.table.size === 0);
    expect(events.filter((e) => e.reason).at(-1)?.reason).toMatchObject({
      code: 'BGP_ERR_PEER_NOTIFICATION',
      notification: { direction: 'received', code: 6 },
    });
    await gobgp!.cli('neighbor', '127.0.0.1', 'enable');
    await waitFor(
      're-established with its routes',
      () => state() === 'Established' && view.table.has('2001:db8:200::/48'),
      15_000,
    );
  });

  it('withdraws everything when the router dies without graceful restart', async () => {
    await gobgp!.kill();
    await waitFor('withdrawn', () => view.table.size === 0);
    expect(events.filter((e) => e.reason).at(-1)?.reason).toMatchObject({
      code: 'BGP_ERR_CONNECTION_LOST',
      wasEstablished: true,
    });
    expect(speaker.address()).toBeUndefined();
    expect(['Idle', 'Connect', 'Active']).toContain(state());
  });
});
