/**
 * The speaker over real TCP on loopback against a hand-driven peer: session setup, routes learned,
 * import policy, graceful restart, and every kind of bad input answered with the right NOTIFICATION
 * (or RFC 7606 treat-as-withdraw) while the other sessions keep running.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from 'prom-client';
import {
  BgpSpeaker,
  type BgpConfigInput,
  type SessionStateEvent,
  loadBgpConfig,
} from '../../edge/bgp/index.js';
import type { Capability } from '../../edge/bgp/codec/capabilities.js';
import type { AttributeContext, PathAttributes } from '../../edge/bgp/codec/attributes.js';
import { encodeMessage } from '../../edge/bgp/codec/header.js';
import { encodeKeepalive } from '../../edge/bgp/codec/routeRefresh.js';
import {
  decodeNotification,
  encodeNotification,
  shutdownCommunication,
  shutdownData,
} from '../../edge/bgp/codec/notification.js';
import { decodeOpen, encodeOpen } from '../../edge/bgp/codec/open.js';
import { encodeEndOfRib, encodeUpdate } from '../../edge/bgp/codec/update.js';
import { MARKER, hex, toHex } from './hex.js';
import { RawPeer, RouteView, waitFor } from './helpers.js';

const FOUR: Capability[] = [
  { kind: 'multiprotocol', afi: 1, safi: 1 },
  { kind: 'multiprotocol', afi: 2, safi: 1 },
  { kind: 'four-octet-as', asn: 65001 },
];
const CTX: AttributeContext = { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, ibgp: false };

function open(capabilities: Capability[] = FOUR, holdTimeS = 90, myAs = 65001): Uint8Array {
  return encodeOpen({ myAs, holdTimeS, bgpId: '198.51.100.1', capabilities });
}

const BASE: PathAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [65001] }],
  nextHop: '127.0.0.9',
};

function announce(prefixes: string[], attributes: PathAttributes = BASE, ctx = CTX): Uint8Array {
  const v4 = prefixes.filter((p) => !p.includes(':')).map((prefix) => ({ prefix, pathId: 0 }));
  const v6 = prefixes.filter((p) => p.includes(':')).map((prefix) => ({ prefix, pathId: 0 }));
  const attrs: PathAttributes = { ...attributes };
  if (v6.length > 0) attrs.mpReach = { afi: 2, safi: 1, nextHop: '2001:db8::9', nlri: v6 };
  if (v4.length === 0) delete attrs.nextHop;
  return encodeUpdate({ withdrawn: [], attributes: attrs, nlri: v4 }, ctx);
}

function notificationOf(frame: { body: Uint8Array }): [number, number, string] {
  const n = decodeNotification(frame.body);
  if (!n.ok) throw new Error('bad notification');
  return [n.value.code, n.value.subcode, toHex(n.value.data)];
}

/** Neighbors on 127.0.0.<n>, one per test so sessions do not interfere. */
const neighbor = (n: number, extra: Record<string, unknown> = {}) => ({
  name: `p${n}`,
  address: `127.0.0.${n}`,
  peerAs: 65001,
  ...extra,
});

const CONFIG: BgpConfigInput = {
  localAs: 65000,
  routerId: '192.0.2.254',
  listen: { host: '127.0.0.1', port: 0 },
  gracefulRestart: { enabled: true, restartTimeS: 120, stalePathTimeS: 5 },
  neighbors: [
    ...Array.from({ length: 25 }, (_, i) => neighbor(11 + i)),
    neighbor(40, { importPolicy: { maxPrefixes: 2 } }),
    neighbor(41, {
      importPolicy: {
        prefixes: [{ prefix: '10.0.0.0/8', maxLength: 24 }, { prefix: '2001:db8::/32' }],
        communities: { require: ['65001:1', '65001:9:9'], deny: ['65001:666'] },
      },
    }),
    neighbor(42, { peerAs: 65000 }),
    neighbor(43, { peerAs: 65003 }),
  ],
};

describe('BGP speaker against a raw TCP peer', () => {
  let speaker: BgpSpeaker;
  let port: number;
  let view: RouteView;
  const registry = new Registry();
  const events: SessionStateEvent[] = [];
  const peers: RawPeer[] = [];

  beforeAll(async () => {
    speaker = new BgpSpeaker({ config: loadBgpConfig(CONFIG), registry });
    view = new RouteView(speaker);
    speaker.on('session', (e) => events.push(e));
    await speaker.start();
    port = speaker.address()!.port;
  });

  afterAll(async () => {
    for (const p of peers) p.close();
    await speaker.stop();
  });

  async function connectAs(n: number): Promise<RawPeer> {
    const peer = await RawPeer.connect(port, `127.0.0.${n}`);
    peers.push(peer);
    return peer;
  }

  const stateOf = (n: number) => speaker.sessions().find((s) => s.peer === `p${n}`)!.state;

  /** Opens a session from 127.0.0.<n> up to Established. */
  async function establish(
    n: number,
    capabilities: Capability[] = FOUR,
    holdTimeS = 90,
    myAs = 65001,
  ): Promise<RawPeer> {
    await waitFor(`p${n} waiting for a connection`, () => stateOf(n) === 'Active');
    const peer = await connectAs(n);
    peer.send(open(capabilities, holdTimeS, myAs));
    await peer.next(1);
    await peer.next(4);
    peer.send(encodeKeepalive());
    await waitFor(`p${n} Established`, () => stateOf(n) === 'Established');
    return peer;
  }

  it('establishes, offers its capabilities, sends End-of-RIB and learns IPv4 and IPv6 routes', async () => {
    await waitFor('p11 Active', () => stateOf(11) === 'Active');
    const peer = await connectAs(11);
    const theirs = decodeOpen((await peer.next(1)).body);
    expect(theirs.ok && theirs.value).toMatchObject({ myAs: 65000, holdTimeS: 90, bgpId: '192.0.2.254' });
    expect(theirs.ok && theirs.value.capabilities).toEqual([
      { kind: 'multiprotocol', afi: 1, safi: 1 },
      { kind: 'multiprotocol', afi: 2, safi: 1 },
      { kind: 'route-refresh' },
      { kind: 'four-octet-as', asn: 65000 },
      { kind: 'graceful-restart', restarting: false, notification: false, restartTimeS: 120, families: [] },
      {
        kind: 'add-path',
        families: [
          { afi: 1, safi: 1, mode: 'receive' },
          { afi: 2, safi: 1, mode: 'receive' },
        ],
      },
    ]);
    peer.send(open());
    await peer.next(4);
    peer.send(encodeKeepalive());
    // End-of-RIB for both families once Established (RFC 4724 §2).
    const eors = [await peer.next(2), await peer.next(2)].map((f) => toHex(f.body)).sort();
    expect(eors).toEqual(['00000000', '0000000680 0f03000201'.replace(' ', '')].sort());
    peer.send(
      announce(['198.51.100.0/24', '2001:db8:11::/48'], {
        ...BASE,
        med: 7,
        communities: [0xfde90001],
        largeCommunities: [{ global: 65001, local1: 2, local2: 3 }],
      }),
    );
    await waitFor('routes', () => view.table.has('198.51.100.0/24') && view.table.has('2001:db8:11::/48'));
    const common = {
      peer: 'p11',
      pathId: 0,
      asPath: [65001],
      asPathLength: 1,
      origin: 'igp',
      med: 7,
      localPref: 100,
      communities: ['65001:1'],
      largeCommunities: ['65001:2:3'],
      stale: false,
    };
    expect(view.table.get('198.51.100.0/24')).toEqual({
      ...common,
      prefix: '198.51.100.0/24',
      family: 'ipv4',
      nextHop: '127.0.0.9',
    });
    expect(view.table.get('2001:db8:11::/48')).toEqual({
      ...common,
      prefix: '2001:db8:11::/48',
      family: 'ipv6',
      nextHop: '2001:db8::9',
    });
    expect(
      speaker
        .routes()
        .map((r) => r.prefix)
        .sort(),
    ).toEqual(['198.51.100.0/24', '2001:db8:11::/48']);
    // Withdraw one through MP_UNREACH_NLRI.
    peer.send(
      encodeUpdate(
        {
          withdrawn: [],
          nlri: [],
          attributes: {
            mpUnreach: { afi: 2, safi: 1, withdrawn: [{ prefix: '2001:db8:11::/48', pathId: 0 }] },
          },
        },
        CTX,
      ),
    );
    await waitFor('IPv6 withdraw', () => view.withdrawn().includes('2001:db8:11::/48'));
    expect(view.table.has('198.51.100.0/24')).toBe(true);
  });

  it.each([
    ['a bad marker', 12, () => hex(`ffffffffffffffffffffffffffffff00 0013 04`), [1, 1, '']],
    ['a length over 4096', 13, () => hex(`${MARKER} 1001 02`), [1, 2, '1001']],
    ['an unknown message type', 14, () => hex(`${MARKER} 0013 07`), [1, 3, '07']],
    ['a KEEPALIVE of 20 octets', 15, () => hex(`${MARKER} 0014 04 00`), [1, 2, '0014']],
    ['OPEN version 3', 16, () => hex(`${MARKER} 001d 01 03 fde9 005a c6336401 00`), [2, 1, '0004']],
    [
      'no common address family (unsupported capability)',
      17,
      () =>
        open([
          { kind: 'multiprotocol', afi: 1, safi: 2 },
          { kind: 'four-octet-as', asn: 65001 },
        ]),
      [2, 7, '010400010001010400020001'],
    ],
    [
      'a wrong peer AS',
      18,
      () => open([...FOUR.slice(0, 2), { kind: 'four-octet-as', asn: 65099 }], 90, 65099),
      [2, 2, ''],
    ],
    ['hold time 1', 19, () => open(FOUR, 1), [2, 6, '']],
    [
      'an unsupported optional parameter',
      20,
      () => hex(`${MARKER} 0021 01 04 fde9 005a c6336401 04 01 02 0000`),
      [2, 4, ''],
    ],
  ] as [string, number, () => Uint8Array, [number, number, string]][])(
    'answers %s with its NOTIFICATION and closes',
    async (_name, n, bytes, expected) => {
      await waitFor(`p${n} Active`, () => stateOf(n) === 'Active');
      const peer = await connectAs(n);
      peer.send(bytes());
      expect(notificationOf(await peer.next(3))).toEqual(expected);
      await peer.waitClosed();
      // The speaker keeps running: the session waits for the next connection, p11 is untouched.
      await waitFor(`p${n} back to Active`, () => stateOf(n) === 'Active');
      expect(stateOf(11)).toBe('Established');
      expect(view.table.has('198.51.100.0/24')).toBe(true);
    },
  );

  it.each([
    ['bad ORIGIN flags', 'c0 01 01 00  40 02 06 02 01 0000fde9  40 03 04 7f000009'],
    ['a truncated attribute', '40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 7f000009  c0 08 08 fde90001'],
    ['a bad AS_PATH segment length', '40 01 01 00  40 02 06 02 03 0000fde9  40 03 04 7f000009'],
    ['a missing NEXT_HOP', '40 01 01 00  40 02 06 02 01 0000fde9'],
  ])('treats an UPDATE with %s as a withdraw and keeps the session (RFC 7606)', async (_name, attrs) => {
    const n =
      21 +
      [
        'bad ORIGIN flags',
        'a truncated attribute',
        'a bad AS_PATH segment length',
        'a missing NEXT_HOP',
      ].indexOf(_name);
    const peer = await establish(n);
    const prefix = `10.${n}.0.0/16`;
    peer.send(announce([prefix]));
    await waitFor('announced', () => view.table.get(prefix)?.peer === `p${n}`);
    const a = hex(attrs);
    const body = Uint8Array.from([0, 0, a.length >> 8, a.length & 0xff, ...a, 16, 10, n]);
    peer.send(encodeMessage(2, body));
    await waitFor('treat-as-withdraw', () => !view.table.has(prefix));
    expect(speaker.sessions().find((s) => s.peer === `p${n}`)).toMatchObject({
      state: 'Established',
      lastError: { code: 'BGP_ERR_MALFORMED_ATTR' },
    });
    expect(peer.frames.filter((f) => f.type === 3)).toEqual([]);
    // Still usable: a good UPDATE after it is learned.
    peer.send(announce([prefix]));
    await waitFor('announced again', () => view.table.has(prefix));
  });

  it.each([
    [
      'an unrecognized well-known attribute',
      25,
      '40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 7f000009  40 63 01 00',
      '10 0a19',
      [3, 2, '40630100'],
    ],
    [
      'an IPv4 prefix of 33 bits',
      26,
      '40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 7f000009',
      '21 0a1a000000',
      [3, 10, ''],
    ],
    ['a repeated MP_UNREACH_NLRI', 27, '80 0f 03 000201  80 0f 03 000201', '', [3, 1, '']],
  ] as [string, number, string, string, [number, number, string]][])(
    'resets the session on %s and withdraws its routes',
    async (_name, n, attrs, nlri, expected) => {
      const peer = await establish(n);
      const prefix = `10.${n}.0.0/16`;
      peer.send(announce([prefix]));
      await waitFor('announced', () => view.table.has(prefix));
      const a = hex(attrs);
      const body = Uint8Array.from([0, 0, a.length >> 8, a.length & 0xff, ...a, ...hex(nlri)]);
      peer.send(encodeMessage(2, body));
      expect(notificationOf(await peer.next(3))).toEqual(expected);
      await peer.waitClosed();
      await waitFor('routes withdrawn', () => !view.table.has(prefix));
      expect(stateOf(11)).toBe('Established');
    },
  );

  it('assembles messages split across TCP writes at every byte', async () => {
    const n = 28;
    await waitFor('Active', () => stateOf(n) === 'Active');
    const peer = await connectAs(n);
    const stream = Uint8Array.from([
      ...open(),
      ...encodeKeepalive(),
      ...announce(['10.28.0.0/16', '2001:db8:28::/48']),
    ]);
    for (const byte of stream) {
      peer.send(Uint8Array.of(byte));
      await new Promise((r) => setImmediate(r));
    }
    await waitFor(
      'split routes learned',
      () => view.table.has('10.28.0.0/16') && view.table.has('2001:db8:28::/48'),
    );
  });

  it('answers an UPDATE in OpenConfirm with an FSM error (RFC 6608)', async () => {
    await waitFor('Active', () => stateOf(29) === 'Active');
    const peer = await connectAs(29);
    peer.send(open());
    await peer.next(4);
    peer.send(announce(['10.29.0.0/16']));
    expect(notificationOf(await peer.next(3))).toEqual([5, 2, '']);
    expect(view.table.has('10.29.0.0/16')).toBe(false);
  });

  it('refuses a connection from an unknown address with Cease / Connection Rejected', async () => {
    const rejected = new Promise((resolve) => speaker.once('rejected', resolve));
    const peer = await connectAs(99);
    expect(notificationOf(await peer.next(3))).toEqual([6, 5, '']);
    await peer.waitClosed();
    expect(await rejected).toEqual({ code: 'BGP_ERR_UNKNOWN_PEER', address: '127.0.0.99' });
  });

  it('closes a second connection from an Established neighbor (collision, RFC 4271 §6.8)', async () => {
    const second = await connectAs(11);
    expect(notificationOf(await second.next(3))).toEqual([6, 7, '']);
    expect(stateOf(11)).toBe('Established');
  });

  it('sends Hold Timer Expired when the peer goes silent, and withdraws its routes', async () => {
    const n = 30;
    const peer = await establish(n, FOUR, 3);
    peer.send(announce(['10.30.0.0/16']));
    await waitFor('announced', () => view.table.has('10.30.0.0/16'));
    const started = Date.now();
    // The speaker sends KEEPALIVEs every second (3 s / 3); the peer answers none.
    expect(notificationOf(await peer.next(3, 8000))).toEqual([4, 0, '']);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2500);
    expect(peer.frames.filter((f) => f.type === 4).length).toBeGreaterThanOrEqual(1);
    await waitFor('withdrawn', () => !view.table.has('10.30.0.0/16'));
    expect(events.find((e) => e.peer === 'p30' && e.reason)?.reason).toMatchObject({
      code: 'BGP_ERR_HOLD_TIMER_EXPIRED',
      wasEstablished: true,
    });
  });

  it('closes with Cease / Maximum Number of Prefixes past the limit (RFC 4486)', async () => {
    const peer = await establish(40);
    peer.send(announce(['10.40.1.0/24', '10.40.2.0/24']));
    await waitFor('two routes', () => view.table.has('10.40.2.0/24'));
    peer.send(announce(['10.40.3.0/24']));
    // Data: AFI 1, SAFI 1, upper bound 2.
    expect(notificationOf(await peer.next(3))).toEqual([6, 1, '00010100000002']);
    await waitFor('all withdrawn', () => !view.table.has('10.40.1.0/24') && !view.table.has('10.40.2.0/24'));
    expect(view.table.has('10.40.3.0/24')).toBe(false);
  });

  it('applies import policy: prefix bounds, required and denied communities', async () => {
    const peer = await establish(41);
    const tagged = { ...BASE, communities: [0xfde90001] };
    peer.send(
      announce(['10.41.0.0/16', '10.41.1.0/25', '192.0.2.0/24', '2001:db8:41::/48', '2001:db9::/32'], tagged),
    );
    peer.send(announce(['10.41.2.0/24'], BASE));
    peer.send(
      announce(['10.41.3.0/24'], { ...BASE, largeCommunities: [{ global: 65001, local1: 9, local2: 9 }] }),
    );
    peer.send(announce(['10.41.4.0/24'], { ...BASE, communities: [0xfde90001, 0xfde9029a] }));
    await waitFor('large-community route', () => view.table.has('10.41.3.0/24'));
    const mine = speaker
      .peerRoutes('p41')!
      .map((r) => r.prefix)
      .sort();
    expect(mine).toEqual(['10.41.0.0/16', '10.41.3.0/24', '2001:db8:41::/48']);
    // A later announcement that fails policy removes the accepted route it replaces.
    peer.send(announce(['10.41.0.0/16'], BASE));
    await waitFor('replaced by a rejected route', () => !view.table.has('10.41.0.0/16'));
    const text = await registry.getSingleMetricAsString('cdn_bgp_prefixes_rejected_total');
    expect(text).toMatch(/cdn_bgp_prefixes_rejected_total\{peer="p41"\} 6/);
  });

  it('takes LOCAL_PREF from an internal peer, and merges AS4_PATH from a 2-octet speaker', async () => {
    const ibgp = await establish(42, [{ kind: 'four-octet-as', asn: 65000 }], 90, 65000);
    ibgp.send(
      announce(
        ['10.42.0.0/16'],
        { origin: 'igp', asPath: [], nextHop: '127.0.0.42', localPref: 300 },
        { ...CTX, ibgp: true },
      ),
    );
    await waitFor('iBGP route', () => view.table.has('10.42.0.0/16'));
    expect(view.table.get('10.42.0.0/16')).toMatchObject({ localPref: 300, asPath: [], asPathLength: 0 });
    const old = await establish(43, [], 90, 65003);
    const ctx2 = { ...CTX, fourOctetAs: false };
    old.send(
      announce(
        ['10.43.0.0/16'],
        {
          origin: 'egp',
          asPath: [{ type: 'sequence', asns: [65003, 23456] }],
          nextHop: '127.0.0.43',
          as4Path: [{ type: 'sequence', asns: [4200000001] }],
        },
        ctx2,
      ),
    );
    await waitFor('old speaker route', () => view.table.has('10.43.0.0/16'));
    expect(view.table.get('10.43.0.0/16')).toMatchObject({
      asPath: [65003, 4200000001],
      asPathLength: 2,
      origin: 'egp',
    });
    expect(speaker.sessions().find((s) => s.peer === 'p43')?.negotiated).toMatchObject({
      fourOctetAs: false,
      families: [1],
    });
  });

  it('receives several paths per prefix with ADD-PATH and picks the best (lower MED)', async () => {
    const caps: Capability[] = [...FOUR, { kind: 'add-path', families: [{ afi: 1, safi: 1, mode: 'both' }] }];
    const peer = await establish(31, caps);
    const ctx = { ...CTX, addPathIpv4: true };
    const path = (pathId: number, med: number, nextHop: string) =>
      encodeUpdate(
        { withdrawn: [], attributes: { ...BASE, med, nextHop }, nlri: [{ prefix: '10.31.0.0/16', pathId }] },
        ctx,
      );
    peer.send(path(1, 20, '127.0.0.31'));
    peer.send(path(2, 10, '127.0.0.32'));
    await waitFor('two paths', () => speaker.peerRoutes('p31')!.length === 2);
    await waitFor('best is the lower MED', () => view.table.get('10.31.0.0/16')?.pathId === 2);
    expect(view.table.get('10.31.0.0/16')).toMatchObject({ nextHop: '127.0.0.32', med: 10 });
    peer.send(
      encodeUpdate({ withdrawn: [{ prefix: '10.31.0.0/16', pathId: 2 }], attributes: {}, nlri: [] }, ctx),
    );
    await waitFor('falls back to path 1', () => view.table.get('10.31.0.0/16')?.pathId === 1);
    expect(view.withdrawn()).not.toContain('10.31.0.0/16');
  });

  it('keeps routes stale through a graceful restart, then sweeps what End-of-RIB does not renew', async () => {
    const n = 32;
    const gr: Capability[] = [
      ...FOUR,
      {
        kind: 'graceful-restart',
        restarting: false,
        notification: false,
        restartTimeS: 3,
        families: [{ afi: 1, safi: 1, forwardingPreserved: true }],
      },
    ];
    const first = await establish(n, gr);
    first.send(announce(['10.32.1.0/24', '10.32.2.0/24']));
    await waitFor('announced', () => view.table.has('10.32.2.0/24'));
    const withdrawnBefore = view.withdrawn().length;
    first.close();
    await waitFor('stale', () => speaker.sessions().find((s) => s.peer === `p${n}`)!.staleRoutes === 2);
    expect(view.table.has('10.32.1.0/24') && view.table.has('10.32.2.0/24')).toBe(true);
    // The peer restarts (R bit), re-announces one route and ends with End-of-RIB.
    const second = await establish(n, [
      ...FOUR,
      { ...(gr[3] as Capability & { kind: 'graceful-restart' }), restarting: true },
    ]);
    second.send(announce(['10.32.1.0/24']));
    second.send(encodeEndOfRib({ afi: 1, safi: 1 }, CTX));
    await waitFor('unrenewed route swept at End-of-RIB', () => !view.table.has('10.32.2.0/24'));
    expect(view.table.get('10.32.1.0/24')?.stale).toBe(false);
    expect(view.withdrawn().slice(withdrawnBefore)).toEqual(['10.32.2.0/24']);
    // Gone for longer than its restart time: the stale routes are removed.
    second.close();
    await waitFor(
      'stale again',
      () =>
        view.table.get('10.32.1.0/24')?.stale === true ||
        speaker.sessions().find((s) => s.peer === `p${n}`)!.staleRoutes === 1,
    );
    await waitFor('removed after the restart time', () => !view.table.has('10.32.1.0/24'), 6000);
  });

  it('drops routes at once when a session closes with a NOTIFICATION, reading the shutdown communication', async () => {
    const n = 33;
    const gr: Capability[] = [
      ...FOUR,
      { kind: 'graceful-restart', restarting: false, notification: false, restartTimeS: 60, families: [] },
    ];
    const peer = await establish(n, gr);
    peer.send(announce(['10.33.0.0/16']));
    await waitFor('announced', () => view.table.has('10.33.0.0/16'));
    peer.send(encodeNotification({ code: 6, subcode: 2, data: shutdownData('router upgrade') }));
    await waitFor('withdrawn', () => !view.table.has('10.33.0.0/16'));
    const down = events.filter((e) => e.peer === `p${n}` && e.reason).at(-1);
    expect(down?.reason).toMatchObject({
      code: 'BGP_ERR_PEER_NOTIFICATION',
      message: 'peer sent NOTIFICATION 6/2: router upgrade',
      notification: { direction: 'received' },
    });
  });

  it('exports its metrics on the registry passed in', async () => {
    const text = await registry.metrics();
    expect(text).toMatch(/cdn_bgp_sessions_up\{peer="p11"\} 1/);
    expect(text).toMatch(/cdn_bgp_sessions_up\{peer="p30"\} 0/);
    expect(text).toMatch(/cdn_bgp_notifications_total\{direction="sent",code="message_header"\} [4-9]/);
    expect(text).toMatch(/cdn_bgp_notifications_total\{direction="sent",code="hold_timer_expired"\} 1/);
    expect(text).toMatch(/cdn_bgp_notifications_total\{direction="received",code="cease"\} 1/);
    expect(text).toMatch(/cdn_bgp_prefixes_received_total\{peer="p11"\} 2/);
    expect(text).toMatch(/cdn_bgp_update_processing_seconds_count [1-9]\d*/);
  });
});

describe('BGP speaker shutdown', () => {
  it('closes every session with an Administrative Shutdown carrying its message (RFC 8203)', async () => {
    const speaker = new BgpSpeaker({
      config: loadBgpConfig({
        localAs: 65000,
        routerId: '192.0.2.254',
        listen: { host: '127.0.0.1', port: 0 },
        neighbors: [neighbor(50)],
      }),
    });
    const view = new RouteView(speaker);
    await speaker.start();
    const peer = await RawPeer.connect(speaker.address()!.port, '127.0.0.50');
    try {
      peer.send(open());
      await peer.next(4);
      peer.send(encodeKeepalive());
      peer.send(announce(['10.50.0.0/16']));
      await waitFor('announced', () => view.table.has('10.50.0.0/16'));
      await speaker.stop('maintenance window');
      const n = decodeNotification((await peer.next(3)).body);
      expect(n.ok && [n.value.code, n.value.subcode, shutdownCommunication(n.value)]).toEqual([
        6,
        2,
        { kind: 'message', text: 'maintenance window' },
      ]);
      await peer.waitClosed();
      expect(view.table.size).toBe(0);
      expect(speaker.sessions()[0]?.state).toBe('Idle');
    } finally {
      peer.close();
      await speaker.stop();
    }
  });

  it('reports a listen address already in use as BGP_ERR_LISTEN', async () => {
    const a = new BgpSpeaker({
      config: loadBgpConfig({
        localAs: 65000,
        routerId: '192.0.2.254',
        listen: { host: '127.0.0.1', port: 0 },
        neighbors: [neighbor(51)],
      }),
    });
    await a.start();
    const b = new BgpSpeaker({
      config: loadBgpConfig({
        localAs: 65000,
        routerId: '192.0.2.254',
        listen: { host: '127.0.0.1', port: a.address()!.port },
        neighbors: [neighbor(51)],
      }),
    });
    await expect(b.start()).rejects.toMatchObject({ code: 'BGP_ERR_LISTEN' });
    await a.stop();
  });
});
