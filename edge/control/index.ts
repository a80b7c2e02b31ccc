/**
 * The edge's control-plane client: registration and heartbeats to the origin's steering control
 * plane, carrying health, load, drain state, the cache summary and the routes this node serves
 * (from a RouteSource: the BGP speaker, or a static route feed).
 */
export {
  ControlClient,
  backoffMs,
  type ControlClientOptions,
  type ControlEvent,
  type ControlStats,
} from './client.js';
export { AdvertisedRoutes, checkRoute, groupRoutes, type Batch, type RouteCheck } from './advertised.js';
export { StaticRouteFeed, staticRouteSchema, staticRoutes, type StaticRouteInput } from './staticFeed.js';
export {
  controlConfigFromInput,
  controlConfigSchema,
  type ControlConfig,
  type ControlConfigInput,
} from './config.js';
export { EdgeControlErrorCode, edgeControlError } from './errors.js';
export { bgpRouteSource, controlDelta, controlRoute, type SpeakerRoutes } from './bgpSource.js';
export { EgressMeter, cachedTitles, edgeHealth, metricTotal } from './status.js';
export { createControlMetrics, type ControlMetrics } from './metrics.js';
export {
  EdgeLink,
  describeEdgeLink,
  type EdgeLinkDescription,
  type EdgeLinkOptions,
  type LinkedTier,
  type RouteSourceKind,
} from './link.js';
export type { EdgeStatusReport, Prefix, Route, RouteDelta, RouteSource } from './types.js';
