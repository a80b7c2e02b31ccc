/**
 * The steering control plane: edge registry and heartbeats, the longest-prefix-match route table,
 * best-path edge selection, the content steering server and steered manifests. The wire protocol
 * and the IP helpers it shares with the edge live in common/ (steeringProtocol.ts, ip.ts) and are
 * re-exported here for the origin's users.
 */
export { steeringConfigSchema, type SteeringConfig } from './config.js';
export { SteeringErrorCode, steeringError } from './errors.js';
export {
  FAMILY_BITS,
  formatIp,
  formatPrefix,
  maskWords,
  parseIp,
  parsePrefix,
  prefixContains,
  unmapIpv4,
  type IpAddress,
  type IpFamily,
  type IpPrefix,
  type PrefixParse,
} from '../../common/ip.js';
export { PrefixTrie } from './trie.js';
export {
  RouteTable,
  type EdgeRoute,
  type FamilyCounts,
  type PrefixMatch,
  type RouteAttributes,
} from './routeTable.js';
export {
  EDGE_STATES,
  EdgeRegistry,
  type EdgeRecord,
  type EdgeState,
  type HeartbeatOutcome,
  type RegisterOutcome,
  type RegistryPolicy,
} from './registry.js';
export {
  DEFAULT_LOCAL_PREF,
  selectEdges,
  type CandidateEdge,
  type RankCriterion,
  type RankedEdge,
  type Selection,
  type SelectionInput,
  type SelectionOutcome,
  type SelectionTier,
} from './select.js';
export {
  parseSteeringReport,
  steeringPriority,
  type Demotion,
  type PathwayReport,
  type PriorityInput,
  type PriorityResult,
  type SessionMemory,
  type SteeringQuery,
} from './pathways.js';
export {
  resolveClientIp,
  type ClientIpDecision,
  type ClientIpInput,
  type ClientIpSource,
} from './clientIp.js';
export { steeredHlsMaster, steeredMpd, type PlayManifestOptions, type PlayPathway } from './playManifests.js';
export {
  CLUSTER_PATTERN,
  EDGE_HEALTH,
  EDGE_ID_PATTERN,
  type AnnounceGroup,
  type EdgeHealth,
  type HeartbeatRequest,
  type HeartbeatResponse,
  type RegisterRequest,
  type RegisterResponse,
  type RouteDeltaMessage,
  type SteeredEdge,
  type SteerResponse,
} from '../../common/steeringProtocol.js';
export { createSteeringMetrics, type HeartbeatResult, type SteeringMetrics } from './metrics.js';
export {
  SteeringService,
  type EdgeStatus,
  type SignedToken,
  type SteeringServiceOptions,
} from './service.js';
export {
  SESSION_ID_PATTERN,
  lowestRungBps,
  steeringAdminPlugin,
  steeringPlugin,
  type SteeringPluginOptions,
} from './plugin.js';
