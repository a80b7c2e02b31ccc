import { describe, expect, it } from 'vitest';
import { MARKER, hex, toHex } from '../../../test/bgp/hex.js';
import type { Capability } from './capabilities.js';
import { decodeCapabilities, encodeCapability } from './capabilities.js';
import { Afi } from './constants.js';
import { type LocalSettings, localOpen, negotiate } from './negotiate.js';
import { type OpenMessage, decodeOpen, encodeOpen } from './open.js';

/** An OPEN as BIRD sends it: AS 65001, hold 90 s, id 192.0.2.1, six capabilities in one parameter. */
const OPEN_HEX = `${MARKER} 003d 01
  04 fde9 005a c0000201        # version 4, AS 65001, hold 90, BGP id 192.0.2.1
  20 02 1e                     # 32 octets of parameters: one Capabilities parameter of 30
  01 04 0001 00 01             # multiprotocol IPv4 unicast
  01 04 0002 00 01             # multiprotocol IPv6 unicast
  02 00                        # route refresh
  40 02 0078                   # graceful restart, 120 s, no families
  41 04 0000fde9               # 4-octet AS 65001
  45 04 0001 01 03             # ADD-PATH IPv4 unicast send+receive`;

const CAPS: Capability[] = [
  { kind: 'multiprotocol', afi: Afi.Ipv4, safi: 1 },
  { kind: 'multiprotocol', afi: Afi.Ipv6, safi: 1 },
  { kind: 'route-refresh' },
  { kind: 'graceful-restart', restarting: false, notification: false, restartTimeS: 120, families: [] },
  { kind: 'four-octet-as', asn: 65001 },
  { kind: 'add-path', families: [{ afi: Afi.Ipv4, safi: 1, mode: 'both' }] },
];

const OPEN: OpenMessage = { version: 4, myAs: 65001, holdTimeS: 90, bgpId: '192.0.2.1', capabilities: CAPS };

function body(message: Uint8Array): Uint8Array {
  return message.subarray(19);
}

describe('OPEN codec (RFC 4271 §4.2, RFC 5492)', () => {
  it('encodes byte for byte', () => {
    const { version: _v, ...rest } = OPEN;
    expect(toHex(encodeOpen(rest))).toBe(toHex(hex(OPEN_HEX)));
  });

  it('decodes byte for byte', () => {
    expect(decodeOpen(body(hex(OPEN_HEX)))).toEqual({ ok: true, value: OPEN });
  });

  it('decodes capabilities spread over several parameters, unknown ones kept', () => {
    const open = hex(`04 fe09 00b4 0a000001 14
      02 06 01 04 0002 00 01       # one parameter per capability, as some routers send
      02 02 80 00                  # old-style route refresh (code 128): unknown, kept
      02 06 41 04 00010000         # 4-octet AS 65536`);
    const decoded = decodeOpen(open);
    expect(decoded).toEqual({
      ok: true,
      value: {
        version: 4,
        myAs: 65033,
        holdTimeS: 180,
        bgpId: '10.0.0.1',
        capabilities: [
          { kind: 'multiprotocol', afi: 2, safi: 1 },
          { kind: 'unknown', code: 128, value: new Uint8Array(0) },
          { kind: 'four-octet-as', asn: 65536 },
        ],
      },
    });
  });

  it('decodes RFC 9072 extended optional parameter lengths and encodes them when needed', () => {
    const ext = hex(`04 fde9 005a c0000201 ff ff 0009 02 0006 41 04 0000fde9`);
    expect(decodeOpen(ext)).toMatchObject({
      ok: true,
      value: { capabilities: [{ kind: 'four-octet-as', asn: 65001 }] },
    });
    const many: Capability[] = Array.from({ length: 70 }, (_, i) => ({
      kind: 'unknown',
      code: 200,
      value: Uint8Array.of(i),
    }));
    const encoded = encodeOpen({ myAs: 1, holdTimeS: 3, bgpId: '1.1.1.1', capabilities: many });
    const round = decodeOpen(body(encoded));
    expect(round.ok && round.value.capabilities).toEqual(many);
  });

  it('encodes and decodes graceful restart with flags and families, and ADD-PATH modes', () => {
    const gr: Capability = {
      kind: 'graceful-restart',
      restarting: true,
      notification: true,
      restartTimeS: 4095,
      families: [
        { afi: 1, safi: 1, forwardingPreserved: true },
        { afi: 2, safi: 1, forwardingPreserved: false },
      ],
    };
    expect(toHex(Uint8Array.from(encodeCapability(gr)))).toBe(
      '400ac fff 0001 01 80 0002 01 00'.replace(/ /g, ''),
    );
    const ap: Capability = {
      kind: 'add-path',
      families: [
        { afi: 1, safi: 1, mode: 'receive' },
        { afi: 2, safi: 1, mode: 'send' },
      ],
    };
    const bytes = Uint8Array.from([...encodeCapability(gr), ...encodeCapability(ap)]);
    expect(decodeCapabilities(bytes, 0, bytes.length)).toEqual({ ok: true, value: [gr, ap] });
  });

  it.each([
    ['version 3', '03 fde9 005a c0000201 00', 2, 1, '0004'],
    ['an optional parameter other than capabilities', '04 fde9 005a c0000201 04 01 02 0000', 2, 4, ''],
    ['a capability overrunning its parameter', '04 fde9 005a c0000201 04 02 02 41 04', 2, 0, ''],
    ['a 4-octet AS capability of 2 octets', '04 fde9 005a c0000201 06 02 04 41 02 fde9', 2, 0, ''],
    ['a multiprotocol capability of 3 octets', '04 fde9 005a c0000201 07 02 05 01 03 000101', 2, 0, ''],
    ['parameters shorter than their length', '04 fde9 005a c0000201 08 02 02 02 00', 1, 2, '0021'],
    ['parameters longer than their length', '04 fde9 005a c0000201 00 02 00', 1, 2, '001f'],
  ])('refuses %s', (_name, bytes, code, subcode, data) => {
    const result = decodeOpen(hex(bytes));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([result.error.code, result.error.subcode, toHex(result.error.data)]).toEqual([
      code,
      subcode,
      data,
    ]);
  });
});

describe('OPEN negotiation', () => {
  const local: LocalSettings = {
    localAs: 65000,
    routerId: '192.0.2.254',
    holdTimeS: 90,
    families: [Afi.Ipv4, Afi.Ipv6],
    addPathReceive: true,
    gracefulRestart: { restartTimeS: 120 },
  };

  it('agrees on the smaller hold time, families, 4-octet AS, ADD-PATH and graceful restart', () => {
    const result = negotiate(local, 65001, { ...OPEN, holdTimeS: 30 });
    expect(result).toEqual({
      ok: true,
      value: {
        peerAs: 65001,
        peerBgpId: '192.0.2.1',
        holdTimeS: 30,
        keepaliveS: 10,
        fourOctetAs: true,
        families: [1, 2],
        addPathIpv4: true,
        addPathIpv6: false,
        routeRefresh: true,
        ibgp: false,
        gracefulRestart: { restartTimeS: 120, restarting: false, notification: false, families: [] },
      },
    });
  });

  it('treats a peer without multiprotocol capabilities as IPv4 unicast only, 2-octet AS (RFC 4760 §8)', () => {
    const result = negotiate(local, 65001, { ...OPEN, capabilities: [] });
    expect(result.ok && result.value).toMatchObject({
      families: [1],
      fourOctetAs: false,
      addPathIpv4: false,
    });
  });

  it('accepts hold time 0 (no keepalives) and offers this speaker 4-octet AS via AS_TRANS', () => {
    expect(negotiate(local, 65001, { ...OPEN, holdTimeS: 0 })).toMatchObject({
      ok: true,
      value: { holdTimeS: 0, keepaliveS: 0 },
    });
    const open = localOpen({ ...local, localAs: 4200000000 });
    expect(open.myAs).toBe(23456);
    expect(open.capabilities).toContainEqual({ kind: 'four-octet-as', asn: 4200000000 });
  });

  it.each([
    ['a peer AS other than configured', { myAs: 65002, capabilities: [] }, 2, 2],
    [
      'a 4-octet AS other than configured',
      { capabilities: [{ kind: 'four-octet-as', asn: 4200000000 }] },
      2,
      2,
    ],
    ['hold time 1', { holdTimeS: 1 }, 2, 6],
    ['hold time 2', { holdTimeS: 2 }, 2, 6],
    ['BGP identifier 0.0.0.0', { bgpId: '0.0.0.0' }, 2, 3],
    ['no address family in common', { capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 2 }] }, 2, 7],
  ] as [string, Partial<OpenMessage>, number, number][])('refuses %s', (_name, change, code, subcode) => {
    const result = negotiate(local, 65001, { ...OPEN, ...change });
    expect(result.ok).toBe(false);
    if (!result.ok) expect([result.error.code, result.error.subcode]).toEqual([code, subcode]);
  });

  it('lists its own multiprotocol capabilities as the data of Unsupported Capability (RFC 5492 §5)', () => {
    const result = negotiate(local, 65001, {
      ...OPEN,
      capabilities: [{ kind: 'multiprotocol', afi: 1, safi: 2 }],
    });
    expect(!result.ok && toHex(result.error.data)).toBe('010400010001' + '010400020001');
  });

  it('refuses an internal peer with our own identifier', () => {
    const result = negotiate(local, 65000, {
      ...OPEN,
      bgpId: '192.0.2.254',
      capabilities: [{ kind: 'four-octet-as', asn: 65000 }],
    });
    expect(!result.ok && result.error.subcode).toBe(3);
  });
});
