import { describe, expect, it } from 'vitest';
import { MARKER, hex, toHex } from '../../../test/bgp/hex.js';
import { seededRandom } from '../../../test/helpers/random.js';
import { effectiveAggregator, effectiveAsPath, asPathLength } from './aspath.js';
import type { AttributeContext, PathAttributes } from './attributes.js';
import {
  type UpdateMessage,
  allPrefixes,
  decodeUpdate,
  encodeEndOfRib,
  encodeUpdate,
  endOfRib,
} from './update.js';

const EBGP4: AttributeContext = { fourOctetAs: true, addPathIpv4: false, addPathIpv6: false, ibgp: false };
const IBGP4: AttributeContext = { ...EBGP4, ibgp: true };
const EBGP2: AttributeContext = { ...EBGP4, fourOctetAs: false };

/** IPv4 announcement with every common attribute, in ascending type order, as an encoder writes it. */
const U1 = `${MARKER} 0057 02
  0000                                           # no withdrawn routes
  0035                                           # 53 octets of attributes
  40 01 01 00                                    # ORIGIN IGP
  40 02 0a 02 02 0000fde9 0000fdea               # AS_PATH AS_SEQUENCE 65001 65002
  40 03 04 c0000201                              # NEXT_HOP 192.0.2.1
  80 04 04 00000064                              # MULTI_EXIT_DISC 100
  c0 08 04 fde90064                              # COMMUNITIES 65001:100
  c0 20 0c 0000fde9 00000001 00000002            # LARGE_COMMUNITY 65001:1:2
  08 0a  18 c0a801  19 c6336480                  # 10.0.0.0/8 192.168.1.0/24 198.51.100.128/25`;

const U1_ATTRS: PathAttributes = {
  origin: 'igp',
  asPath: [{ type: 'sequence', asns: [65001, 65002] }],
  nextHop: '192.0.2.1',
  med: 100,
  communities: [0xfde90064],
  largeCommunities: [{ global: 65001, local1: 1, local2: 2 }],
};
const U1_NLRI = ['10.0.0.0/8', '192.168.1.0/24', '198.51.100.128/25'].map((prefix) => ({
  prefix,
  pathId: 0,
}));

/** The same UPDATE with the attributes shuffled and two of them in extended-length form. */
const U1_SHUFFLED_BODY = `0000 0037
  c0 20 0c 0000fde9 00000001 00000002
  90 04 0004 00000064                            # MED, Extended Length
  50 02 000a 02 02 0000fde9 0000fdea             # AS_PATH, Extended Length
  40 03 04 c0000201
  c0 08 04 fde90064
  40 01 01 00
  08 0a  18 c0a801  19 c6336480`;

/** IPv6 through MP_REACH_NLRI with a global and a link-local next hop, from an internal peer. */
const U3 = `${MARKER} 005d 02
  0000 0046
  40 01 01 00
  40 02 00                                       # empty AS_PATH (originated inside the AS)
  40 05 04 000000c8                              # LOCAL_PREF 200
  80 0e 35 0002 01                               # MP_REACH_NLRI IPv6 unicast
    20 20010db8000000000000000000000001 fe800000000000000000000000000001   # 32-octet next hop
    00                                           # reserved
    30 20010db80001                              # 2001:db8:1::/48
    40 20010db800020000                          # 2001:db8:2::/64`;

function body(message: Uint8Array): Uint8Array {
  return message.subarray(19);
}

/** An UPDATE body around the attribute octets given, with the lengths filled in. */
function updateBody(attrs: string, nlri = '08 0a', withdrawn = ''): Uint8Array {
  const a = hex(attrs);
  const w = hex(withdrawn);
  const n = hex(nlri);
  return Uint8Array.from([w.length >> 8, w.length & 0xff, ...w, a.length >> 8, a.length & 0xff, ...a, ...n]);
}

const BASE = '40 01 01 00  40 02 06 02 01 0000fde9  40 03 04 c0000201';

describe('UPDATE codec (RFC 4271 §4.3)', () => {
  it('decodes an IPv4 UPDATE byte for byte', () => {
    expect(decodeUpdate(body(hex(U1)), EBGP4)).toEqual({
      kind: 'ok',
      update: { withdrawn: [], attributes: U1_ATTRS, nlri: U1_NLRI },
      issues: [],
    });
  });

  it('encodes it back to the same octets', () => {
    expect(toHex(encodeUpdate({ withdrawn: [], attributes: U1_ATTRS, nlri: U1_NLRI }, EBGP4))).toBe(
      toHex(hex(U1)),
    );
  });

  it('reads attributes in any order and with the Extended Length flag', () => {
    const result = decodeUpdate(hex(U1_SHUFFLED_BODY), EBGP4);
    expect(result).toEqual({
      kind: 'ok',
      update: { withdrawn: [], attributes: U1_ATTRS, nlri: U1_NLRI },
      issues: [],
    });
  });

  it('decodes and encodes MP_REACH_NLRI with a 32-octet IPv6 next hop and LOCAL_PREF', () => {
    const expected: UpdateMessage = {
      withdrawn: [],
      nlri: [],
      attributes: {
        origin: 'igp',
        asPath: [],
        localPref: 200,
        mpReach: {
          afi: 2,
          safi: 1,
          nextHop: '2001:db8::1',
          linkLocalNextHop: 'fe80::1',
          nlri: [
            { prefix: '2001:db8:1::/48', pathId: 0 },
            { prefix: '2001:db8:2::/64', pathId: 0 },
          ],
        },
      },
    };
    expect(decodeUpdate(body(hex(U3)), IBGP4)).toEqual({ kind: 'ok', update: expected, issues: [] });
    expect(toHex(encodeUpdate(expected, IBGP4))).toBe(toHex(hex(U3)));
  });

  it('decodes a 16-octet IPv6 next hop and MP_UNREACH_NLRI', () => {
    const reach = updateBody(
      `${BASE.slice(0, 36)} 80 0e 1a 0002 01 10 20010db8000000000000000000000002 00 20 20010db8`,
      '',
    );
    const result = decodeUpdate(reach, EBGP4);
    expect(result.kind === 'ok' && result.update.attributes.mpReach).toEqual({
      afi: 2,
      safi: 1,
      nextHop: '2001:db8::2',
      nlri: [{ prefix: '2001:db8::/32', pathId: 0 }],
    });
    const unreach = hex('0000 000d 80 0f 0a 0002 01 30 20010db80001');
    expect(decodeUpdate(unreach, EBGP4)).toEqual({
      kind: 'ok',
      update: {
        withdrawn: [],
        nlri: [],
        attributes: { mpUnreach: { afi: 2, safi: 1, withdrawn: [{ prefix: '2001:db8:1::/48', pathId: 0 }] } },
      },
      issues: [],
    });
  });

  it('reads ADD-PATH path identifiers in withdrawn routes and NLRI (RFC 7911 §3)', () => {
    const addPath = { ...EBGP4, addPathIpv4: true };
    const bytes = updateBody(BASE, '00000001 08 0a  00000003 08 0a', '00000002 18 c0a801');
    const result = decodeUpdate(bytes, addPath);
    expect(result.kind === 'ok' && [result.update.withdrawn, result.update.nlri]).toEqual([
      [{ prefix: '192.168.1.0/24', pathId: 2 }],
      [
        { prefix: '10.0.0.0/8', pathId: 1 },
        { prefix: '10.0.0.0/8', pathId: 3 },
      ],
    ]);
    if (result.kind === 'ok') expect(toHex(body(encodeUpdate(result.update, addPath)))).toBe(toHex(bytes));
  });

  it('masks host bits past the prefix length (RFC 4271 §4.3)', () => {
    const result = decodeUpdate(updateBody(BASE, '17 c0a8ff  07 ff  00'), EBGP4);
    expect(result.kind === 'ok' && result.update.nlri.map((n) => n.prefix)).toEqual([
      '192.168.254.0/23',
      '254.0.0.0/7',
      '0.0.0.0/0',
    ]);
  });

  it('keeps LOCAL_PREF only from internal peers (RFC 7606 §7.5)', () => {
    const bytes = updateBody(`${BASE} 40 05 04 00000064`);
    const external = decodeUpdate(bytes, EBGP4);
    expect(external.kind === 'ok' && external.update.attributes).not.toHaveProperty('localPref');
    expect(decodeUpdate(bytes, IBGP4)).toMatchObject({
      kind: 'ok',
      update: { attributes: { localPref: 100 } },
    });
  });

  it('keeps unknown optional transitive attributes and re-sends them with the Partial bit', () => {
    const bytes = updateBody(`${BASE} c0 63 02 abcd  80 64 01 00`);
    const result = decodeUpdate(bytes, EBGP4);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    // The optional non-transitive 100 is quietly dropped (RFC 4271 §5).
    expect(result.update.attributes.unknown).toEqual([{ flags: 0xc0, typeCode: 99, value: hex('abcd') }]);
    const again = toHex(encodeUpdate(result.update, EBGP4));
    expect(again).toContain('e06302abcd');
    expect(again).not.toContain('8064');
  });

  it('encodes AGGREGATOR, ATOMIC_AGGREGATE, ORIGINATOR_ID and CLUSTER_LIST and reads them back', () => {
    const attributes: PathAttributes = {
      origin: 'incomplete',
      asPath: [
        { type: 'sequence', asns: [65001] },
        { type: 'set', asns: [65010, 65011] },
      ],
      nextHop: '192.0.2.9',
      atomicAggregate: true,
      aggregator: { asn: 65001, address: '192.0.2.9' },
      originatorId: '10.0.0.1',
      clusterList: ['10.0.0.2', '10.0.0.3'],
    };
    const bytes = encodeUpdate({ withdrawn: [], attributes, nlri: U1_NLRI }, IBGP4);
    expect(toHex(bytes)).toContain('400600' + 'c00708 0000fde9 c0000209'.replace(/ /g, ''));
    expect(decodeUpdate(body(bytes), IBGP4)).toEqual({
      kind: 'ok',
      update: { withdrawn: [], attributes, nlri: U1_NLRI },
      issues: [],
    });
  });
});

describe('End-of-RIB (RFC 4724 §2)', () => {
  it('is an empty UPDATE for IPv4 and an empty MP_UNREACH_NLRI for IPv6', () => {
    expect(toHex(encodeEndOfRib({ afi: 1, safi: 1 }, EBGP4))).toBe(toHex(hex(`${MARKER} 0017 02 0000 0000`)));
    expect(toHex(encodeEndOfRib({ afi: 2, safi: 1 }, EBGP4))).toBe(
      toHex(hex(`${MARKER} 001d 02 0000 0006 800f03000201`)),
    );
    const v4 = decodeUpdate(hex('0000 0000'), EBGP4);
    const v6 = decodeUpdate(hex('0000 0006 800f03000201'), EBGP4);
    expect(v4.kind === 'ok' && endOfRib(v4.update)).toEqual({ afi: 1, safi: 1 });
    expect(v6.kind === 'ok' && endOfRib(v6.update)).toEqual({ afi: 2, safi: 1 });
  });

  it('is not an UPDATE that withdraws or announces anything', () => {
    const u = decodeUpdate(body(hex(U1)), EBGP4);
    expect(u.kind === 'ok' && endOfRib(u.update)).toBeUndefined();
    const w = decodeUpdate(hex('0000 000d 80 0f 0a 0002 01 30 20010db80001'), EBGP4);
    expect(w.kind === 'ok' && endOfRib(w.update)).toBeUndefined();
  });
});

describe('UPDATE error handling (RFC 7606)', () => {
  type Case = [string, Uint8Array, 'ok' | 'treat-as-withdraw' | 'session-reset', number?, AttributeContext?];
  const cases: Case[] = [
    ['an undefined ORIGIN', updateBody('40 01 01 03  40 02 00  40 03 04 c0000201'), 'treat-as-withdraw', 6],
    [
      'ORIGIN with the Optional bit',
      updateBody('c0 01 01 00  40 02 00  40 03 04 c0000201'),
      'treat-as-withdraw',
      4,
    ],
    ['ORIGIN of 2 octets', updateBody('40 01 02 0000  40 02 00  40 03 04 c0000201'), 'treat-as-withdraw', 5],
    [
      'an AS_PATH segment overrunning the attribute',
      updateBody('40 01 01 00  40 02 06 02 02 0000fde9  40 03 04 c0000201'),
      'treat-as-withdraw',
      11,
    ],
    [
      'an AS_PATH segment of type 5',
      updateBody('40 01 01 00  40 02 06 05 01 0000fde9  40 03 04 c0000201'),
      'treat-as-withdraw',
      11,
    ],
    [
      'an empty AS_PATH segment',
      updateBody('40 01 01 00  40 02 02 02 00  40 03 04 c0000201'),
      'treat-as-withdraw',
      11,
    ],
    [
      'a 2-octet AS_PATH segment length on a 4-octet session',
      updateBody('40 01 01 00  40 02 04 02 01 fde9  40 03 04 c0000201'),
      'treat-as-withdraw',
      11,
    ],
    [
      'NEXT_HOP of 5 octets',
      updateBody('40 01 01 00  40 02 00  40 03 05 c000020100'),
      'treat-as-withdraw',
      5,
    ],
    ['MED of 3 octets', updateBody(`${BASE} 80 04 03 000064`), 'treat-as-withdraw', 5],
    ['MED flagged transitive', updateBody(`${BASE} c0 04 04 00000064`), 'treat-as-withdraw', 4],
    ['COMMUNITIES of 6 octets', updateBody(`${BASE} c0 08 06 fde900640000`), 'treat-as-withdraw', 5],
    ['an empty COMMUNITIES', updateBody(`${BASE} c0 08 00`), 'treat-as-withdraw', 5],
    ['LARGE_COMMUNITY of 8 octets', updateBody(`${BASE} c0 20 08 0000fde900000001`), 'treat-as-withdraw', 5],
    ['CLUSTER_LIST of 5 octets', updateBody(`${BASE} 80 0a 05 0a00000100`), 'treat-as-withdraw', 5, IBGP4],
    ['a missing ORIGIN', updateBody('40 02 00  40 03 04 c0000201'), 'treat-as-withdraw', 3],
    ['a missing NEXT_HOP with IPv4 NLRI', updateBody('40 01 01 00  40 02 00'), 'treat-as-withdraw', 3],
    [
      'an attribute overrunning the path attributes',
      updateBody(`${BASE} c0 08 08 fde90064`),
      'treat-as-withdraw',
      1,
    ],
    ['a truncated attribute header', updateBody(`${BASE} c0 08`), 'treat-as-withdraw', 1],
    ['ATOMIC_AGGREGATE of 1 octet (discarded)', updateBody(`${BASE} 40 06 01 00`), 'ok', 5],
    ['AGGREGATOR of 7 octets (discarded)', updateBody(`${BASE} c0 07 07 0000fde9c00002`), 'ok', 5],
    [
      'a malformed AS4_PATH from a 2-octet speaker (discarded)',
      updateBody(`40 01 01 00 40 02 04 02 01 fde9 40 03 04 c0000201 c0 11 03 020100`),
      'ok',
      9,
      EBGP2,
    ],
    ['a repeated MED (the first kept)', updateBody(`${BASE} 80 04 04 00000001 80 04 04 00000002`), 'ok', 1],
    ['an unrecognized well-known attribute', updateBody(`${BASE} 40 63 01 00`), 'session-reset', 2],
    ['a repeated MP_UNREACH_NLRI', hex('0000 000c 80 0f 03 000201 80 0f 03 000201'), 'session-reset', 1],
    [
      'MP_REACH_NLRI with a 5-octet next hop',
      updateBody(`${BASE} 80 0e 0b 0002 01 05 0000000000 00 00`, ''),
      'session-reset',
      9,
    ],
    [
      'MP_REACH_NLRI with an IPv6 prefix of 129 bits',
      updateBody(`${BASE} 80 0e 16 0002 01 10 20010db8000000000000000000000002 00 81`, ''),
      'session-reset',
      9,
    ],
    [
      'MP_REACH_NLRI shorter than its fixed fields',
      updateBody(`${BASE} 80 0e 03 000201`, ''),
      'session-reset',
      9,
    ],
    ['MP_UNREACH_NLRI whose prefix overruns it', hex('0000 0008 80 0f 05 000201 30 20'), 'session-reset', 9],
    ['an MP_REACH_NLRI with wrong flags', updateBody(`${BASE} c0 0e 05 000201 0000`, ''), 'session-reset', 4],
    [
      'both a discard and a withdraw: the withdraw wins',
      updateBody('40 01 01 07  40 02 00  40 03 04 c0000201 40 06 01 00'),
      'treat-as-withdraw',
      6,
    ],
    [
      'both a withdraw and a reset: the reset wins',
      updateBody('40 01 01 07  40 02 00  40 03 04 c0000201 40 63 00'),
      'session-reset',
      2,
    ],
  ];

  it.each(cases)('handles %s', (_name, bytes, kind, subcode, ctx = EBGP4) => {
    const result = decodeUpdate(bytes, ctx);
    expect(result.kind).toBe(kind);
    if (result.kind === 'session-reset')
      expect([result.error.code, result.error.subcode]).toEqual([3, subcode]);
    else expect(result.issues.map((i) => i.error.subcode)).toContain(subcode);
  });

  it('treat-as-withdraw names every prefix of the UPDATE, both families', () => {
    const bytes = updateBody(
      `40 01 01 09 40 02 00 40 03 04 c0000201 80 0e 1a 0002 01 10 20010db8000000000000000000000002 00 20 20010db8`,
      '08 0a',
      '18 c0a801',
    );
    const result = decodeUpdate(bytes, EBGP4);
    expect(result.kind).toBe('treat-as-withdraw');
    if (result.kind !== 'treat-as-withdraw') return;
    expect(allPrefixes(result.update).map((n) => n.prefix)).toEqual([
      '192.168.1.0/24',
      '10.0.0.0/8',
      '2001:db8::/32',
    ]);
  });

  it('puts the attribute itself in the data of the NOTIFICATION it would map to', () => {
    const result = decodeUpdate(updateBody(`${BASE} 40 63 01 00`), EBGP4);
    expect(result.kind === 'session-reset' && toHex(result.error.data)).toBe('40630100');
    const missing = decodeUpdate(updateBody('40 02 00  40 03 04 c0000201'), EBGP4);
    expect(missing.kind === 'treat-as-withdraw' && toHex(missing.issues[0]!.error.data)).toBe('01');
  });

  it('keeps the update usable after a discard, without the discarded attribute', () => {
    const result = decodeUpdate(updateBody(`${BASE} 40 06 01 00 80 04 04 00000001 80 04 04 00000002`), EBGP4);
    expect(result.kind).toBe('ok');
    expect(result.kind === 'ok' && result.update.attributes.med).toBe(1);
    expect(result.kind === 'ok' && result.update.attributes).not.toHaveProperty('atomicAggregate');
  });

  it.each([
    ['withdrawn routes length overrunning the message', hex('0010 0000'), 1],
    ['total path attribute length overrunning the message', hex('0000 0010 40010100'), 1],
    ['an UPDATE body of 3 octets', hex('000000'), 1],
    ['an IPv4 prefix of 33 bits', updateBody(BASE, '21 0a00000000'), 10],
    ['an IPv4 prefix overrunning the NLRI', updateBody(BASE, '18 0a00'), 10],
    ['a withdrawn prefix of 40 bits', hex('0006 28 0a00000000 0000'), 10],
  ])('resets the session for %s', (_name, bytes, subcode) => {
    const result = decodeUpdate(bytes, EBGP4);
    expect(result.kind).toBe('session-reset');
    if (result.kind === 'session-reset')
      expect([result.error.code, result.error.subcode]).toEqual([3, subcode]);
  });

  it('ignores MP_REACH_NLRI of a family it does not carry (RFC 4760 §7)', () => {
    const result = decodeUpdate(updateBody(`${BASE} 80 0e 0b 0001 80 04 c0000201 00 08 0a`, ''), EBGP4);
    expect(result).toMatchObject({ kind: 'ok' });
    expect(result.kind === 'ok' && result.update.attributes.mpReach).toBeUndefined();
  });

  it('never throws on random or mutated UPDATE bodies (bounded fuzz)', () => {
    const random = seededRandom(7606);
    const seed = body(hex(U1));
    const kinds = new Set<string>();
    for (let round = 0; round < 3000; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0)
        bytes = Uint8Array.from({ length: Math.floor(random() * 120) }, () => Math.floor(random() * 256));
      else {
        bytes = seed.slice();
        for (let flips = 1 + Math.floor(random() * 4); flips > 0; flips--)
          bytes[Math.floor(random() * bytes.length)] = Math.floor(random() * 256);
      }
      const ctx = { ...EBGP4, addPathIpv4: round % 3 === 0, fourOctetAs: round % 5 !== 0 };
      const result = decodeUpdate(bytes, ctx);
      kinds.add(result.kind);
      if (result.kind !== 'session-reset')
        for (const n of allPrefixes(result.update)) expect(n.prefix).toMatch(/\/\d+$/);
    }
    expect([...kinds].sort()).toEqual(['ok', 'session-reset', 'treat-as-withdraw']);
  });
});

describe('AS4_PATH from 2-octet speakers (RFC 6793 §4.2.3)', () => {
  const as2 = '40 01 01 00  40 02 08 02 03 fde9 5ba0 5ba0  40 03 04 c0000201';
  const as4 = 'c0 11 0a 02 02 fa56ea01 fa56ea02';

  it('replaces the AS_TRANS tail of AS_PATH with AS4_PATH', () => {
    const result = decodeUpdate(updateBody(`${as2} ${as4}`), EBGP2);
    expect(result.kind).toBe('ok');
    if (result.kind !== 'ok') return;
    expect(result.update.attributes.asPath).toEqual([{ type: 'sequence', asns: [65001, 23456, 23456] }]);
    expect(effectiveAsPath(result.update.attributes, false)).toEqual([
      { type: 'sequence', asns: [65001, 4200000001, 4200000002] },
    ]);
  });

  it('ignores AS4_PATH when it is longer than AS_PATH, on 4-octet sessions, and after an old aggregator', () => {
    const longer = {
      asPath: [{ type: 'sequence' as const, asns: [23456] }],
      as4Path: [{ type: 'sequence' as const, asns: [1, 2] }],
    };
    expect(effectiveAsPath(longer, false)).toEqual(longer.asPath);
    expect(effectiveAsPath(longer, true)).toEqual(longer.asPath);
    const aggregated = {
      ...longer,
      as4Path: [{ type: 'sequence' as const, asns: [4200000001] }],
      aggregator: { asn: 65001, address: '1.1.1.1' },
    };
    expect(effectiveAsPath(aggregated, false)).toEqual(longer.asPath);
  });

  it('counts an AS_SET as one and keeps sets in the merge', () => {
    const attrs: PathAttributes = {
      asPath: [
        { type: 'sequence', asns: [100, 23456] },
        { type: 'set', asns: [23456, 200] },
      ],
      as4Path: [
        { type: 'sequence', asns: [4200000001] },
        { type: 'set', asns: [4200000002, 200] },
      ],
    };
    expect(effectiveAsPath(attrs, false)).toEqual([
      { type: 'sequence', asns: [100, 4200000001] },
      { type: 'set', asns: [4200000002, 200] },
    ]);
    expect(asPathLength(effectiveAsPath(attrs, false))).toBe(3);
  });

  it('takes AS4_AGGREGATOR when AGGREGATOR carries AS_TRANS', () => {
    const attrs: PathAttributes = {
      aggregator: { asn: 23456, address: '10.0.0.1' },
      as4Aggregator: { asn: 4200000001, address: '10.0.0.1' },
    };
    expect(effectiveAggregator(attrs, false)).toEqual({ asn: 4200000001, address: '10.0.0.1' });
    expect(effectiveAggregator(attrs, true)).toEqual({ asn: 23456, address: '10.0.0.1' });
  });
});
