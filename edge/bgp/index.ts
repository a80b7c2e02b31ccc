/**
 * The edge's BGP speaker: learns the client prefixes this appliance serves from the ISP's routers
 * and reports them as deltas. Other parts import only from here.
 */
export {
  BgpSpeaker,
  type BgpSpeakerDeps,
  type BgpSpeakerEvents,
  type RejectedConnection,
} from './speaker.js';
export type { SessionInfo, SessionStateEvent } from './session.js';
export type { DownReason, SessionState } from './fsm.js';
export type { Negotiated } from './codec/negotiate.js';
export { type Route, type Prefix, compareRoutes, sameRoute, DEFAULT_LOCAL_PREF } from './route.js';
export type { RouteDelta } from './rib.js';
export {
  bgpConfigSchema,
  importPolicySchema,
  loadBgpConfig,
  type BgpConfig,
  type BgpConfigInput,
  type ImportPolicyConfig,
  type NeighborConfig,
} from './config.js';
export { BgpErrorCode, bgpError } from './errors.js';
export { createBgpMetrics, type BgpMetrics } from './metrics.js';
export { parsePrefix, prefixContains, formatPrefix, type BinaryPrefix } from './codec/address.js';
