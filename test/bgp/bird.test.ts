/**
 * BIRD 2 as the ISP's router, on loopback: an eBGP session from 127.0.0.2 and an iBGP session from
 * 127.0.0.3 to the speaker on 127.0.0.1, announcing static IPv4 and IPv6 prefixes with communities,
 * large communities, MED, LOCAL_PREF and prepended AS paths. The router dials the eBGP session; the
 * edge dials the iBGP one (active mode). Proves what the edge learns, withdraws
 * on reconfiguration, session drop and re-establishment, hold timer expiry and graceful restart.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BgpSpeaker, type Route, type SessionStateEvent, loadBgpConfig } from '../../edge/bgp/index.js';
import { type Bird, RouteView, birdMissing, freePort, startBird, tempDir, waitFor } from './helpers.js';

interface Ports {
  speaker: number;
  ebgp: number;
  ibgp: number;
  ibgpRemote: number;
}

/** The router's config; `withSecond` keeps 10.2.0.0/24, the route the tests remove. */
function birdConfig(ports: Ports, withSecond = true): string {
  return `
router id 192.0.2.1;
log stderr all;
graceful restart wait 5;
protocol device {}
protocol static st4 { ipv4; route 10.1.0.0/16 blackhole; ${withSecond ? 'route 10.2.0.0/24 blackhole;' : ''} }
protocol static st6 { ipv6; route 2001:db8:100::/48 blackhole; }
protocol static st4i { ipv4; route 10.3.0.0/16 blackhole; }
protocol static st6i { ipv6; route 2001:db8:300::/48 blackhole; }
filter to_edge_ebgp {
  if proto != "st4" && proto != "st6" then reject;
  if net = 10.1.0.0/16 then {
    bgp_community.add((65001,100));
    bgp_community.add((65001,200));
    bgp_large_community.add((65001,1,2));
    bgp_med = 50;
    bgp_path.prepend(65001);
    bgp_path.prepend(65001);
  }
  if net = 2001:db8:100::/48 then bgp_large_community.add((65001,6,6));
  accept;
}
filter to_edge_ibgp {
  if proto != "st4i" && proto != "st6i" then reject;
  bgp_local_pref = 300;
  bgp_community.add((65000,3));
  accept;
}
template bgp edge {
  multihop;
  hold time 3;
  connect delay time 0;
  connect retry time 1;
  error wait time 1, 2;
  graceful restart on;
  graceful restart time 3;
}
protocol bgp edge_ebgp from edge {
  local 127.0.0.2 port ${ports.ebgp} as 65001;
  neighbor 127.0.0.1 port ${ports.speaker} as 65000;
  ipv4 { import none; export filter to_edge_ebgp; add paths tx; };
  ipv6 { import none; export filter to_edge_ebgp; next hop address 2001:db8::2; };
}
protocol bgp edge_ibgp from edge {
  local 127.0.0.3 port ${ports.ibgp} as 65000;
  # The edge connects to this one (active mode); BIRD only listens. Its own port for the neighbor
  # keeps BIRD's per-neighbor lock apart from the eBGP session's.
  neighbor 127.0.0.1 port ${ports.ibgpRemote} as 65000;
  passive on;
  ipv4 { import none; export filter to_edge_ibgp; next hop address 127.0.0.3; };
  ipv6 { import none; export filter to_edge_ibgp; next hop address 2001:db8::3; };
}
`;
}

describe.skipIf(birdMissing)('BGP speaker with BIRD 2 as the peer (bird2 not installed: skipped)', () => {
  let speaker: BgpSpeaker;
  let view: RouteView;
  let bird: Bird | undefined;
  let work: { dir: string; remove: () => Promise<void> };
  let ports: Ports;
  const events: SessionStateEvent[] = [];

  const session = (peer: string) => speaker.sessions().find((s) => s.peer === peer)!;
  const sorted = (routes: Route[]) => [...routes].sort((a, b) => (a.prefix < b.prefix ? -1 : 1));
  const bothUp = () =>
    session('bird-ebgp').state === 'Established' && session('bird-ibgp').state === 'Established';

  beforeAll(async () => {
    work = await tempDir('cdn-bird-');
    ports = {
      speaker: await freePort(),
      ebgp: await freePort('127.0.0.2'),
      ibgp: await freePort('127.0.0.3'),
      ibgpRemote: await freePort(),
    };
    speaker = new BgpSpeaker({
      config: loadBgpConfig({
        localAs: 65000,
        routerId: '192.0.2.254',
        listen: { host: '127.0.0.1', port: ports.speaker },
        // Retry quickly: the router is restarted several times.
        connectRetryS: 1,
        idleHoldS: 1,
        neighbors: [
          // The router dials the edge (passive), as an ISP router usually does.
          { name: 'bird-ebgp', address: '127.0.0.2', peerAs: 65001 },
          // The edge dials the router (active mode).
          {
            name: 'bird-ibgp',
            address: '127.0.0.3',
            port: ports.ibgp,
            localAddress: '127.0.0.1',
            passive: false,
            peerAs: 65000,
          },
        ],
      }),
    });
    view = new RouteView(speaker);
    speaker.on('session', (e) => events.push(e));
    await speaker.start();
    bird = await startBird(work.dir, birdConfig(ports));
  });

  afterAll(async () => {
    await bird?.kill();
    await speaker?.stop();
    await work?.remove();
  });

  it('learns IPv4 and IPv6 routes with communities, prepended AS paths, MED and LOCAL_PREF', async () => {
    await waitFor('both sessions up and 5 prefixes', () => bothUp() && view.table.size === 5, 15_000);
    const ebgp = { peer: 'bird-ebgp', origin: 'igp', localPref: 100, stale: false };
    expect(sorted(speaker.peerRoutes('bird-ebgp')!)).toEqual([
      {
        ...ebgp,
        prefix: '10.1.0.0/16',
        family: 'ipv4',
        pathId: expect.any(Number),
        nextHop: '127.0.0.2',
        asPath: [65001, 65001, 65001],
        asPathLength: 3,
        med: 50,
        communities: ['65001:100', '65001:200'],
        largeCommunities: ['65001:1:2'],
      },
      {
        ...ebgp,
        prefix: '10.2.0.0/24',
        family: 'ipv4',
        pathId: expect.any(Number),
        nextHop: '127.0.0.2',
        asPath: [65001],
        asPathLength: 1,
        communities: [],
        largeCommunities: [],
      },
      {
        ...ebgp,
        prefix: '2001:db8:100::/48',
        family: 'ipv6',
        pathId: 0,
        nextHop: '2001:db8::2',
        asPath: [65001],
        asPathLength: 1,
        communities: [],
        largeCommunities: ['65001:6:6'],
      },
    ]);
    const ibgp = {
      peer: 'bird-ibgp',
      pathId: 0,
      origin: 'igp',
      localPref: 300,
      asPath: [],
      asPathLength: 0,
      communities: ['65000:3'],
      largeCommunities: [],
      stale: false,
    };
    expect(sorted(speaker.peerRoutes('bird-ibgp')!)).toEqual([
      { ...ibgp, prefix: '10.3.0.0/16', family: 'ipv4', nextHop: '127.0.0.3' },
      { ...ibgp, prefix: '2001:db8:300::/48', family: 'ipv6', nextHop: '2001:db8::3' },
    ]);
    expect(session('bird-ebgp').negotiated).toMatchObject({
      peerAs: 65001,
      holdTimeS: 3,
      fourOctetAs: true,
      families: [1, 2],
      addPathIpv4: true,
      addPathIpv6: false,
      ibgp: false,
      gracefulRestart: { restartTimeS: 3 },
    });
    expect(session('bird-ibgp').negotiated).toMatchObject({ peerAs: 65000, ibgp: true });
    // The control plane's view holds exactly the five prefixes.
    expect(view.prefixes()).toEqual([
      '10.1.0.0/16',
      '10.2.0.0/24',
      '10.3.0.0/16',
      '2001:db8:100::/48',
      '2001:db8:300::/48',
    ]);
  });

  it('withdraws on reconfiguration and on a disabled route source', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${work.dir}/bird.conf`, birdConfig(ports, false));
    await bird!.birdc('configure');
    await waitFor('10.2.0.0/24 withdrawn', () => view.withdrawn().includes('10.2.0.0/24'));
    expect(view.table.has('10.2.0.0/24')).toBe(false);
    await bird!.birdc('disable', 'st6');
    await waitFor('IPv6 withdrawn', () => !view.table.has('2001:db8:100::/48'));
    expect(view.table.has('2001:db8:300::/48')).toBe(true);
    await bird!.birdc('enable', 'st6');
    await waitFor('IPv6 back', () => view.table.has('2001:db8:100::/48'));
    expect(bothUp()).toBe(true);
  });

  it('drops the routes of a session the router shuts down, with its message, and learns them again', async () => {
    await bird!.birdc('disable', 'edge_ebgp', '"planned maintenance"');
    await waitFor(
      'eBGP routes withdrawn',
      () => !view.table.has('10.1.0.0/16') && !view.table.has('2001:db8:100::/48'),
    );
    const down = events.filter((e) => e.peer === 'bird-ebgp' && e.reason).at(-1)!;
    expect(down.reason).toMatchObject({
      code: 'BGP_ERR_PEER_NOTIFICATION',
      message: 'peer sent NOTIFICATION 6/2: planned maintenance',
    });
    expect(view.table.has('10.3.0.0/16')).toBe(true);
    await bird!.birdc('enable', 'edge_ebgp');
    await waitFor(
      'eBGP back',
      () => view.table.has('10.1.0.0/16') && view.table.has('2001:db8:100::/48'),
      15_000,
    );
    expect(session('bird-ebgp').state).toBe('Established');
  });

  it('sends Hold Timer Expired when the router stops answering, and recovers when it resumes', async () => {
    bird!.signal('SIGSTOP');
    try {
      await waitFor(
        'hold timer expiry on both sessions',
        () => !view.table.has('10.1.0.0/16') && !view.table.has('10.3.0.0/16'),
        10_000,
      );
      const reasons = events
        .filter((e) => e.reason?.code === 'BGP_ERR_HOLD_TIMER_EXPIRED')
        .map((e) => e.peer);
      expect(new Set(reasons)).toEqual(new Set(['bird-ebgp', 'bird-ibgp']));
    } finally {
      bird!.signal('SIGCONT');
    }
    await waitFor('routes back', () => bothUp() && view.table.size === 4, 20_000);
  });

  it('keeps routes stale when the router dies, refreshes them after its graceful restart and sweeps the rest', async () => {
    // First 10.2.0.0/24 comes back, so that the restarted router can leave it out.
    const { writeFile } = await import('node:fs/promises');
    await writeFile(`${work.dir}/bird.conf`, birdConfig(ports, true));
    await bird!.birdc('configure');
    await waitFor('five prefixes', () => bothUp() && view.table.size === 5, 20_000);
    const withdrawnBefore = view.withdrawn().length;
    await bird!.kill();
    await waitFor(
      'all routes stale',
      () => speaker.sessions().every((s) => s.staleRoutes === s.routes && s.routes > 0),
      5_000,
    );
    expect(view.table.size).toBe(5);
    // Restart in graceful restart recovery (-R: forwarding state kept), without 10.2.0.0/24.
    bird = await startBird(work.dir, birdConfig(ports, false), ['-R']);
    await waitFor(
      'refreshed after End-of-RIB',
      () => bothUp() && speaker.sessions().every((s) => s.staleRoutes === 0),
      20_000,
    );
    expect(view.withdrawn().slice(withdrawnBefore)).toEqual(['10.2.0.0/24']);
    expect(view.prefixes()).toEqual(['10.1.0.0/16', '10.3.0.0/16', '2001:db8:100::/48', '2001:db8:300::/48']);
    expect([...view.table.values()].every((r) => !r.stale)).toBe(true);
    // Dies and stays away past its restart time (3 s): the stale routes go.
    await bird.kill();
    await waitFor('stale', () => speaker.sessions().every((s) => s.staleRoutes > 0));
    expect(view.table.size).toBe(4);
    await waitFor('removed after the restart time', () => view.table.size === 0, 8_000);
  });
});
