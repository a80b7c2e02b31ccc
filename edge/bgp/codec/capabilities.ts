/**
 * Capabilities advertisement (RFC 5492): multiprotocol (RFC 4760 §8), route refresh (RFC 2918),
 * enhanced route refresh (RFC 7313), extended messages (RFC 8654), graceful restart (RFC 4724 §3),
 * 4-octet AS (RFC 6793 §3) and ADD-PATH (RFC 7911 §4). Unknown capabilities are kept as bytes and
 * otherwise ignored, as RFC 5492 §3 requires.
 */
import { type Afi, CapabilityCode, ErrorCode, OpenSubcode } from './constants.js';
import { type Decoded, type ProtocolError, fail, ok } from './result.js';

export interface AfiSafi {
  afi: Afi;
  safi: number;
}

export type AddPathMode = 'receive' | 'send' | 'both';

export type Capability =
  | { kind: 'multiprotocol'; afi: Afi; safi: number }
  | { kind: 'route-refresh' }
  | { kind: 'enhanced-route-refresh' }
  | { kind: 'extended-message' }
  | { kind: 'four-octet-as'; asn: number }
  | {
      kind: 'graceful-restart';
      /** R bit: the sender has restarted (RFC 4724 §3). */
      restarting: boolean;
      /** N bit: graceful restart also after NOTIFICATIONs (RFC 8538 §2). */
      notification: boolean;
      restartTimeS: number;
      families: (AfiSafi & { forwardingPreserved: boolean })[];
    }
  | { kind: 'add-path'; families: (AfiSafi & { mode: AddPathMode })[] }
  | { kind: 'unknown'; code: number; value: Uint8Array };

const ADD_PATH_MODES: Readonly<Record<number, AddPathMode>> = { 1: 'receive', 2: 'send', 3: 'both' };
const ADD_PATH_CODES: Readonly<Record<AddPathMode, number>> = { receive: 1, send: 2, both: 3 };

function malformed(reason: string): { ok: false; error: ProtocolError } {
  // RFC 5492 gives no subcode for a malformed capability; like other speakers, send Unspecific.
  return fail(ErrorCode.Open, OpenSubcode.Unspecific, reason);
}

/** Decodes the capabilities of one Capabilities optional parameter (bytes `start`..`end`). */
export function decodeCapabilities(buf: Uint8Array, start: number, end: number): Decoded<Capability[]> {
  const out: Capability[] = [];
  let pos = start;
  while (pos < end) {
    if (pos + 2 > end) return malformed('capability header overruns its parameter');
    const code = buf[pos]!;
    const length = buf[pos + 1]!;
    const from = pos + 2;
    const to = from + length;
    if (to > end) return malformed(`capability ${code} overruns its parameter`);
    const view = new DataView(buf.buffer, buf.byteOffset + from, length);
    switch (code) {
      case CapabilityCode.Multiprotocol:
        if (length !== 4) return malformed(`multiprotocol capability of length ${length}`);
        out.push({ kind: 'multiprotocol', afi: view.getUint16(0) as Afi, safi: view.getUint8(3) });
        break;
      case CapabilityCode.RouteRefresh:
      case CapabilityCode.EnhancedRouteRefresh:
      case CapabilityCode.ExtendedMessage:
        if (length !== 0) return malformed(`capability ${code} of length ${length}`);
        out.push({
          kind:
            code === CapabilityCode.RouteRefresh
              ? 'route-refresh'
              : code === CapabilityCode.EnhancedRouteRefresh
                ? 'enhanced-route-refresh'
                : 'extended-message',
        });
        break;
      case CapabilityCode.FourOctetAs:
        if (length !== 4) return malformed(`4-octet AS capability of length ${length}`);
        out.push({ kind: 'four-octet-as', asn: view.getUint32(0) });
        break;
      case CapabilityCode.GracefulRestart: {
        if (length < 2 || (length - 2) % 4 !== 0)
          return malformed(`graceful restart capability of length ${length}`);
        const head = view.getUint16(0);
        const families: (AfiSafi & { forwardingPreserved: boolean })[] = [];
        for (let i = 2; i < length; i += 4) {
          families.push({
            afi: view.getUint16(i) as Afi,
            safi: view.getUint8(i + 2),
            forwardingPreserved: (view.getUint8(i + 3) & 0x80) !== 0,
          });
        }
        out.push({
          kind: 'graceful-restart',
          restarting: (head & 0x8000) !== 0,
          notification: (head & 0x4000) !== 0,
          restartTimeS: head & 0x0fff,
          families,
        });
        break;
      }
      case CapabilityCode.AddPath: {
        if (length === 0 || length % 4 !== 0) return malformed(`ADD-PATH capability of length ${length}`);
        const families: (AfiSafi & { mode: AddPathMode })[] = [];
        for (let i = 0; i < length; i += 4) {
          const mode = ADD_PATH_MODES[view.getUint8(i + 3)];
          // RFC 7911 §4: a tuple with another Send/Receive value is ignored.
          if (mode) families.push({ afi: view.getUint16(i) as Afi, safi: view.getUint8(i + 2), mode });
        }
        out.push({ kind: 'add-path', families });
        break;
      }
      default:
        out.push({ kind: 'unknown', code, value: buf.slice(from, to) });
    }
    pos = to;
  }
  return ok(out);
}

function tlv(code: number, value: readonly number[] | Uint8Array): number[] {
  return [code, value.length, ...value];
}

const u16 = (v: number): number[] => [(v >>> 8) & 0xff, v & 0xff];
const u32 = (v: number): number[] => [(v >>> 24) & 0xff, (v >>> 16) & 0xff, (v >>> 8) & 0xff, v & 0xff];

/** Encodes one capability as code, length, value. */
export function encodeCapability(cap: Capability): number[] {
  switch (cap.kind) {
    case 'multiprotocol':
      return tlv(CapabilityCode.Multiprotocol, [...u16(cap.afi), 0, cap.safi]);
    case 'route-refresh':
      return tlv(CapabilityCode.RouteRefresh, []);
    case 'enhanced-route-refresh':
      return tlv(CapabilityCode.EnhancedRouteRefresh, []);
    case 'extended-message':
      return tlv(CapabilityCode.ExtendedMessage, []);
    case 'four-octet-as':
      return tlv(CapabilityCode.FourOctetAs, u32(cap.asn));
    case 'graceful-restart': {
      const head =
        (cap.restarting ? 0x8000 : 0) | (cap.notification ? 0x4000 : 0) | (cap.restartTimeS & 0x0fff);
      const tuples = cap.families.flatMap((f) => [...u16(f.afi), f.safi, f.forwardingPreserved ? 0x80 : 0]);
      return tlv(CapabilityCode.GracefulRestart, [...u16(head), ...tuples]);
    }
    case 'add-path':
      return tlv(
        CapabilityCode.AddPath,
        cap.families.flatMap((f) => [...u16(f.afi), f.safi, ADD_PATH_CODES[f.mode]]),
      );
    case 'unknown':
      return tlv(cap.code, cap.value);
  }
}
