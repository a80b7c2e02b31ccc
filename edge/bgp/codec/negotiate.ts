/**
 * What this speaker offers in its OPEN, and the pure check of the peer's OPEN: the semantic OPEN
 * errors of RFC 4271 §6.2 and the session parameters both sides agreed on.
 */
import type { Capability } from './capabilities.js';
import { AS_TRANS, Afi, ErrorCode, OpenSubcode, Safi } from './constants.js';
import { encodeCapability } from './capabilities.js';
import type { OpenMessage } from './open.js';
import { type Decoded, fail, ok } from './result.js';

export interface LocalSettings {
  localAs: number;
  routerId: string;
  /** Offered hold time in seconds: 0 (no keepalives) or at least 3 (RFC 4271 §4.2). */
  holdTimeS: number;
  families: readonly Afi[];
  /** Offer ADD-PATH receive for every family (RFC 7911 §4). */
  addPathReceive: boolean;
  /**
   * Offer graceful restart as a receiving speaker (RFC 4724 §3, no families: this speaker keeps no
   * forwarding state of its own). Peers that see it send End-of-RIB markers.
   */
  gracefulRestart?: { restartTimeS: number };
}

export interface GracefulRestartPeer {
  restartTimeS: number;
  restarting: boolean;
  notification: boolean;
  families: { afi: number; safi: number; forwardingPreserved: boolean }[];
}

export interface Negotiated {
  peerAs: number;
  peerBgpId: string;
  /** Negotiated hold time in seconds: the smaller of both offers (RFC 4271 §4.2); 0 disables it. */
  holdTimeS: number;
  /** One third of the hold time (RFC 4271 §10 suggestion); 0 when the hold time is 0. */
  keepaliveS: number;
  fourOctetAs: boolean;
  /** Families both sides carry. */
  families: Afi[];
  addPathIpv4: boolean;
  addPathIpv6: boolean;
  routeRefresh: boolean;
  ibgp: boolean;
  /** The peer's graceful restart capability, when both sides advertised one. */
  gracefulRestart?: GracefulRestartPeer;
}

/** The capabilities and 2-octet AS field of this speaker's OPEN. */
export function localOpen(settings: LocalSettings): Omit<OpenMessage, 'version'> {
  const capabilities: Capability[] = settings.families.map((afi) => ({
    kind: 'multiprotocol',
    afi,
    safi: Safi.Unicast,
  }));
  capabilities.push({ kind: 'route-refresh' }, { kind: 'four-octet-as', asn: settings.localAs });
  if (settings.gracefulRestart) {
    capabilities.push({
      kind: 'graceful-restart',
      restarting: false,
      notification: false,
      restartTimeS: settings.gracefulRestart.restartTimeS,
      families: [],
    });
  }
  if (settings.addPathReceive && settings.families.length > 0) {
    capabilities.push({
      kind: 'add-path',
      families: settings.families.map((afi) => ({ afi, safi: Safi.Unicast, mode: 'receive' as const })),
    });
  }
  return {
    myAs: settings.localAs > 0xffff ? AS_TRANS : settings.localAs,
    holdTimeS: settings.holdTimeS,
    bgpId: settings.routerId,
    capabilities,
  };
}

/** Checks the peer's OPEN against what is configured for it; the error is the NOTIFICATION to send. */
export function negotiate(
  local: LocalSettings,
  expectedPeerAs: number,
  open: OpenMessage,
): Decoded<Negotiated> {
  const caps = open.capabilities;
  const four = caps.find((c) => c.kind === 'four-octet-as');
  const peerAs = four ? four.asn : open.myAs;
  if (peerAs !== expectedPeerAs) {
    return fail(ErrorCode.Open, OpenSubcode.BadPeerAs, `peer AS ${peerAs}, expected ${expectedPeerAs}`);
  }
  // RFC 4271 §6.2: a hold time of 1 or 2 seconds is refused.
  if (open.holdTimeS === 1 || open.holdTimeS === 2) {
    return fail(ErrorCode.Open, OpenSubcode.UnacceptableHoldTime, `hold time ${open.holdTimeS} s`);
  }
  const ibgp = peerAs === local.localAs;
  // RFC 6286 §2.2: zero is not an identifier; inside one AS the identifiers must differ.
  if (open.bgpId === '0.0.0.0' || (ibgp && open.bgpId === local.routerId)) {
    return fail(ErrorCode.Open, OpenSubcode.BadBgpIdentifier, `BGP identifier ${open.bgpId}`);
  }
  const mp = caps.filter((c) => c.kind === 'multiprotocol');
  // RFC 4760 §8: a peer without multiprotocol capabilities carries IPv4 unicast only.
  const offered = mp.length === 0 ? [Afi.Ipv4] : mp.filter((c) => c.safi === Safi.Unicast).map((c) => c.afi);
  const families = local.families.filter((afi) => offered.includes(afi));
  if (families.length === 0) {
    // RFC 5492 §5: the data lists the capabilities the peer lacks: our multiprotocol ones.
    const ours = local.families.flatMap((afi) =>
      encodeCapability({ kind: 'multiprotocol', afi, safi: Safi.Unicast }),
    );
    return fail(
      ErrorCode.Open,
      OpenSubcode.UnsupportedCapability,
      'no address family in common',
      Uint8Array.from(ours),
    );
  }
  const holdTimeS = Math.min(local.holdTimeS, open.holdTimeS);
  const addPath = caps.find((c) => c.kind === 'add-path');
  const peerSends = (afi: Afi): boolean =>
    local.addPathReceive &&
    families.includes(afi) &&
    (addPath?.families.some((f) => f.afi === afi && f.safi === Safi.Unicast && f.mode !== 'receive') ??
      false);
  const negotiated: Negotiated = {
    peerAs,
    peerBgpId: open.bgpId,
    holdTimeS,
    keepaliveS: Math.floor(holdTimeS / 3),
    fourOctetAs: four !== undefined,
    families,
    addPathIpv4: peerSends(Afi.Ipv4),
    addPathIpv6: peerSends(Afi.Ipv6),
    routeRefresh: caps.some((c) => c.kind === 'route-refresh'),
    ibgp,
  };
  const gr = caps.find((c) => c.kind === 'graceful-restart');
  if (gr && local.gracefulRestart) {
    negotiated.gracefulRestart = {
      restartTimeS: gr.restartTimeS,
      restarting: gr.restarting,
      notification: gr.notification,
      families: gr.families.map((f) => ({
        afi: f.afi,
        safi: f.safi,
        forwardingPreserved: f.forwardingPreserved,
      })),
    };
  }
  return ok(negotiated);
}
