/**
 * The edge appliance: cache policy (RFC 9111), cache keys, URL tokens, HRW placement, admission,
 * and the memory and disk cache stores. Other parts import only from here.
 */
export { EdgeErrorCode, edgeError } from './errors.js';
export {
  DEFAULT_FRESHNESS_POLICY,
  STORED_HEADER_NAMES,
  conditionalHeadersFor,
  currentAgeS,
  decideCache,
  decideOnUpstreamError,
  freshnessLifetime,
  pickStoredHeaders,
  storable,
  updateAfterRevalidation,
  type CacheDecision,
  type CacheRequest,
  type ConditionalHeaders,
  type FreshnessPolicy,
  type FreshnessSource,
  type NotStorableReason,
  type PassReason,
  type RevalidationResult,
  type StorableVerdict,
  type StoredHeaderName,
  type StoredHeaders,
  type StoredResponse,
  type UpstreamErrorDecision,
  type UpstreamResponse,
} from './policy/freshness.js';
export {
  DELTA_SECONDS_MAX,
  formatHttpDate,
  headerValue,
  parseCacheControl,
  parseDeltaSeconds,
  parseHttpDate,
  type CacheDirectives,
  type HeaderBag,
} from './policy/headers.js';
export {
  CMCD_QUERY_PARAM,
  TOKEN_QUERY_PARAM,
  cacheKeyFor,
  canonicalPath,
  objectTypeOf,
  titleKeyPrefix,
  titleOfPath,
  type CacheKeyInfo,
  type CacheKeyOptions,
  type ObjectType,
} from './policy/cacheKey.js';
export {
  MIN_TOKEN_KEY_BYTES,
  prefixCovers,
  signToken,
  tokenFailureError,
  verifyToken,
  type SignTokenInput,
  type TokenFailure,
  type TokenKeyring,
  type TokenVerdict,
} from './tokens/token.js';
export { hrwOwner, hrwRank, type Peer } from './placement/hrw.js';
export {
  MAX_PEER_SOURCES,
  ORIGIN_SOURCE,
  planFillSources,
  type FillSourceKind,
  type FillTopology,
  type SourceRef,
} from './fill/sources.js';
export {
  HEALTHY,
  backoffMs,
  chooseSource,
  recordFailure,
  recordSuccess,
  type BackoffPolicy,
  type SourceChoice,
  type SourceHealth,
} from './fill/sourceHealth.js';
export {
  MAX_CDN_LOOP_MEMBERS,
  appendCdnLoop,
  cdnLoopMember,
  loopVerdict,
  parseCdnLoop,
  type CdnLoopMember,
  type LoopIdentity,
  type LoopVerdict,
} from './fill/cdnLoop.js';
export {
  FILL_TOKEN_HEADER,
  FILL_TOKEN_TTL_S,
  fillTokenAuthorises,
  signFillToken,
  type FillSigner,
} from './fill/fillAuth.js';
export { sha256PrefixOfEtag } from './fill/etag.js';
export {
  AdmitAll,
  SecondHitAdmission,
  TinyLfuAdmission,
  type AdmissionPolicy,
  type SecondHitOptions,
  type TinyLfuOptions,
} from './cache/admission.js';
export { MEMORY_ENTRY_OVERHEAD_BYTES, MemoryStore, type MemoryStoreOptions } from './cache/memoryStore.js';
export {
  DISK_ENTRY_OVERHEAD_BYTES,
  DiskStore,
  type DiskFs,
  type DiskOpenReport,
  type DiskStoreOptions,
} from './cache/diskStore.js';
export type {
  CacheEntry,
  CacheEntryMeta,
  CachePutMeta,
  CacheStore,
  CacheStoreHealth,
  CacheStoreStats,
  CacheWriteMeta,
  CacheWriter,
  PutResult,
} from './cache/types.js';
export { buildEdgeApp, type EdgeApp, type EdgeAppDeps } from './app.js';
export { startEdge, type RunningEdge, type StartEdgeOptions } from './main.js';
export {
  controlConfigOf,
  edgeConfigFromInput,
  edgeConfigSchema,
  edgeEnvInput,
  fillKeyring,
  loadEdgeConfig,
  tokenKeyring,
  workerIdentityFromEnv,
  type EdgeConfig,
  type EdgeConfigInput,
} from './config.js';
export { EdgeHttpErrorCode, edgeHttpError } from './http/errors.js';
export {
  createEdgeMetrics,
  type CacheStatusLabel,
  type EdgeMetrics,
  type UpstreamOutcome,
} from './metrics.js';
export { Prefetcher, type PrefetchOutcome } from './fill/prefetch.js';
export { readCmcdHints, prefetchTargets, type CmcdHints, type PrefetchTarget } from './fill/prefetchCmcd.js';
export type { CacheWarmer, WarmResult } from './fill/prefetchWarmer.js';
export {
  ProactiveFiller,
  type RunOutcome as ProactiveRunOutcome,
  type RunStatus as ProactiveRunStatus,
} from './fill/proactive.js';
export { ProactiveErrorCode, proactiveError } from './fill/proactiveErrors.js';
export { parseFillRequest, planRoom, planTitleObjects, type FillRequest } from './fill/proactivePlan.js';
export { runEdgeWorker, startEdgeClusterPrimary, type EdgeClusterPrimary } from './cluster.js';
export { EdgeLink, describeEdgeLink, type EdgeLinkDescription } from './control/index.js';
export {
  WORKER_SECRET_HEADER,
  type NodeAction,
  type NodeLink,
  type WorkerIdentity,
} from './workerIdentity.js';
