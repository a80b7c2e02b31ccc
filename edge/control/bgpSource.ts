/**
 * The BGP speaker as a route source of the control client: its Loc-RIB (the best route per
 * prefix) first, then its deltas, with each route reduced to what the control plane ranks by.
 * A static feed (staticFeed.ts) is the other route source; both reach the origin the same way.
 */
import type { Route as BgpRoute, RouteDelta as BgpRouteDelta } from '../bgp/index.js';
import type { Route, RouteDelta, RouteSource } from './types.js';

/** What a route source needs of the speaker (BgpSpeaker has it). */
export interface SpeakerRoutes {
  routes(): BgpRoute[];
  on(event: 'delta', listener: (delta: BgpRouteDelta) => void): unknown;
  off(event: 'delta', listener: (delta: BgpRouteDelta) => void): unknown;
}

/**
 * A learned route as the control plane takes it: prefix, next hop and the attributes steering
 * ranks by (LOCAL_PREF, AS_PATH, MED); RFC 1997 and RFC 8092 communities together, as the
 * heartbeat carries them. Peer, ADD-PATH id, ORIGIN and the stale mark stay on the edge.
 */
export function controlRoute(route: BgpRoute): Route {
  const out: Route = {
    prefix: route.prefix,
    nextHop: route.nextHop,
    asPath: route.asPath,
    localPref: route.localPref,
  };
  if (route.med !== undefined) out.med = route.med;
  const communities = [...route.communities, ...route.largeCommunities];
  if (communities.length > 0) out.communities = communities;
  return out;
}

export function controlDelta(delta: BgpRouteDelta): RouteDelta {
  return { announce: delta.announce.map(controlRoute), withdraw: delta.withdraw };
}

/** The speaker's best routes and their changes as a RouteSource. */
export function bgpRouteSource(speaker: SpeakerRoutes): RouteSource {
  return {
    subscribe(listener) {
      const onDelta = (delta: BgpRouteDelta): void => listener(controlDelta(delta));
      // Deltas are emitted synchronously by the speaker, so the snapshot and the subscription
      // taken together miss nothing and repeat nothing.
      speaker.on('delta', onDelta);
      const current = speaker.routes();
      if (current.length > 0) listener({ announce: current.map(controlRoute), withdraw: [] });
      return () => speaker.off('delta', onDelta);
    },
  };
}
