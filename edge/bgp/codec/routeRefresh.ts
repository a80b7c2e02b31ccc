/**
 * KEEPALIVE (RFC 4271 §4.4: a bare header) and ROUTE-REFRESH (RFC 2918 §3, with the RFC 7313
 * subtype octet: 0 normal request, 1 begin and 2 end of a refresh).
 */
import { ErrorCode, MessageType, RouteRefreshSubcode } from './constants.js';
import { encodeMessage } from './header.js';
import { type Decoded, fail, ok } from './result.js';

const KEEPALIVE = encodeMessage(MessageType.Keepalive, new Uint8Array(0));

export function encodeKeepalive(): Uint8Array {
  return KEEPALIVE;
}

export interface RouteRefreshMessage {
  afi: number;
  safi: number;
  /** RFC 7313 §3.2: 0 request, 1 BoRR, 2 EoRR. */
  subtype: number;
}

export function decodeRouteRefresh(body: Uint8Array): Decoded<RouteRefreshMessage> {
  if (body.length !== 4) {
    // RFC 7313 §5: a ROUTE-REFRESH whose body is not 4 octets gets code 7, subcode 1, the whole message as data.
    return fail(
      ErrorCode.RouteRefresh,
      RouteRefreshSubcode.InvalidMessageLength,
      `ROUTE-REFRESH body of ${body.length} octets`,
      encodeMessage(MessageType.RouteRefresh, body),
    );
  }
  return ok({ afi: (body[0]! << 8) | body[1]!, subtype: body[2]!, safi: body[3]! });
}

export function encodeRouteRefresh(message: RouteRefreshMessage): Uint8Array {
  return encodeMessage(
    MessageType.RouteRefresh,
    Uint8Array.of(message.afi >>> 8, message.afi & 0xff, message.subtype, message.safi),
  );
}
