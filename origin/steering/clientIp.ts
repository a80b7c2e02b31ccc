/**
 * The client address a steering decision is made for (pure): the connection's peer, or, when the
 * peer is a trusted proxy, the nearest untrusted address in X-Forwarded-For (walked from the right,
 * as each proxy appends the address it saw), or an explicit `client_ip` when the configuration
 * allows it. X-Forwarded-For from anyone else is ignored: a client could write anything there.
 */
import { parseIp, prefixContains, unmapIpv4, type IpAddress, type IpPrefix } from '../../common/ip.js';

export type ClientIpSource = 'connection' | 'forwarded' | 'override';

export type ClientIpDecision =
  | { kind: 'ok'; ip: IpAddress; source: ClientIpSource }
  | { kind: 'bad'; reason: string }
  | { kind: 'override_forbidden' };

export interface ClientIpInput {
  remoteAddress: string | undefined;
  /** X-Forwarded-For header value(s). */
  forwardedFor: string | readonly string[] | undefined;
  /** The `client_ip` query parameter. */
  override: string | undefined;
  trustedProxies: readonly IpPrefix[];
  allowOverride: boolean;
}

/** X-Forwarded-For entries looked at, at most (a chain of proxies is short; bounds the work). */
const MAX_FORWARDED_HOPS = 32;

function trusted(ip: IpAddress, proxies: readonly IpPrefix[]): boolean {
  return proxies.some((p) => prefixContains(p, ip));
}

/** An X-Forwarded-For entry: a bare address, or `[v6]` / `[v6]:port` / `v4:port` as some proxies write. */
function parseForwardedEntry(entry: string): IpAddress | undefined {
  const text = entry.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(text);
  if (bracketed) return parseIp(bracketed[1]!);
  const v4port = /^([0-9.]+):\d{1,5}$/.exec(text);
  return parseIp(v4port ? v4port[1]! : text);
}

export function resolveClientIp(input: ClientIpInput): ClientIpDecision {
  if (input.override !== undefined) {
    if (!input.allowOverride) return { kind: 'override_forbidden' };
    const ip = parseIp(input.override);
    return ip
      ? { kind: 'ok', ip: unmapIpv4(ip), source: 'override' }
      : { kind: 'bad', reason: 'client_ip is not an IP address' };
  }
  const peerText = input.remoteAddress;
  const peer = peerText === undefined ? undefined : parseIp(peerText);
  if (!peer) return { kind: 'bad', reason: 'the connection has no peer address' };
  let client = unmapIpv4(peer);
  if (input.forwardedFor === undefined || !trusted(client, input.trustedProxies))
    return { kind: 'ok', ip: client, source: 'connection' };
  const header = typeof input.forwardedFor === 'string' ? input.forwardedFor : input.forwardedFor.join(',');
  const entries = header.split(',').filter((e) => e.trim() !== '');
  let source: ClientIpSource = 'connection';
  for (let i = entries.length - 1; i >= 0 && entries.length - i <= MAX_FORWARDED_HOPS; i--) {
    const hop = parseForwardedEntry(entries[i]!);
    if (!hop)
      return { kind: 'bad', reason: 'X-Forwarded-For from a trusted proxy holds a malformed address' };
    client = unmapIpv4(hop);
    source = 'forwarded';
    if (!trusted(client, input.trustedProxies)) break;
  }
  return { kind: 'ok', ip: client, source };
}
