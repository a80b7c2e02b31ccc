import { describe, expect, it } from 'vitest';
import { MARKER, hex, toHex } from '../../../test/bgp/hex.js';
import {
  decodeNotification,
  encodeNotification,
  shutdownCommunication,
  shutdownData,
} from './notification.js';
import { decodeRouteRefresh, encodeRouteRefresh } from './routeRefresh.js';

describe('NOTIFICATION (RFC 4271 §4.5) and shutdown communication (RFC 8203, RFC 9003)', () => {
  const SHUTDOWN = `${MARKER} 0021 03 06 02 0b 6d61696e74656e616e6365`; // Cease, Administrative Shutdown, "maintenance"

  it('encodes a shutdown NOTIFICATION byte for byte', () => {
    const bytes = encodeNotification({ code: 6, subcode: 2, data: shutdownData('maintenance') });
    expect(toHex(bytes)).toBe(toHex(hex(SHUTDOWN)));
  });

  it('decodes it and reads the communication', () => {
    const decoded = decodeNotification(hex(SHUTDOWN).subarray(19));
    expect(decoded.ok).toBe(true);
    if (!decoded.ok) return;
    expect(decoded.value).toEqual({ code: 6, subcode: 2, data: hex('0b 6d61696e74656e616e6365') });
    expect(shutdownCommunication(decoded.value)).toEqual({ kind: 'message', text: 'maintenance' });
  });

  it('carries UTF-8 up to 255 octets and refuses more', () => {
    const text = 'é'.repeat(127); // 254 octets
    expect(shutdownCommunication({ code: 6, subcode: 4, data: shutdownData(text) })).toEqual({
      kind: 'message',
      text,
    });
    expect(() => shutdownData('x'.repeat(256))).toThrow(/over 255/);
  });

  it('reports a communication that is not UTF-8 or overruns the data, and none for other subcodes', () => {
    expect(shutdownCommunication({ code: 6, subcode: 2, data: hex('02 c328') })).toEqual({
      kind: 'invalid',
      reason: 'not UTF-8',
    });
    expect(shutdownCommunication({ code: 6, subcode: 2, data: hex('05 6869') })).toMatchObject({
      kind: 'invalid',
    });
    expect(shutdownCommunication({ code: 6, subcode: 2, data: new Uint8Array(0) })).toEqual({ kind: 'none' });
    expect(shutdownCommunication({ code: 6, subcode: 1, data: hex('02 6869') })).toEqual({ kind: 'none' });
  });

  it('encodes the hold timer NOTIFICATION and decodes data of any length', () => {
    expect(toHex(encodeNotification({ code: 4, subcode: 0, data: new Uint8Array(0) }))).toBe(
      `${MARKER}0015030400`,
    );
    expect(decodeNotification(hex('0302 0012'))).toEqual({
      ok: true,
      value: { code: 3, subcode: 2, data: hex('0012') },
    });
  });
});

describe('ROUTE-REFRESH (RFC 2918, RFC 7313)', () => {
  it('encodes and decodes a request for IPv6 unicast', () => {
    const bytes = encodeRouteRefresh({ afi: 2, safi: 1, subtype: 0 });
    expect(toHex(bytes)).toBe(`${MARKER}0017050002` + '0001');
    expect(decodeRouteRefresh(bytes.subarray(19))).toEqual({
      ok: true,
      value: { afi: 2, safi: 1, subtype: 0 },
    });
  });

  it('refuses a body other than 4 octets with code 7 subcode 1 and the message as data', () => {
    const result = decodeRouteRefresh(hex('000100'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect([result.error.code, result.error.subcode, toHex(result.error.data)]).toEqual([
      7,
      1,
      `${MARKER}001605000100`,
    ]);
  });
});
