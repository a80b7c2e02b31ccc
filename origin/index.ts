/** The origin: content store and serving, publish API, encode jobs, popularity (the cloud side). */
export { buildOriginApp, type OriginAppDeps, type OriginServices } from './app.js';
export { startOrigin, type RunningOrigin } from './main.js';
export {
  loadOriginConfig,
  originConfigFromInput,
  originConfigSchema,
  originEnvInput,
  type OriginConfig,
  type OriginConfigInput,
} from './config.js';
export { OriginErrorCode, originError } from './errors.js';
export type {
  ContentStore,
  CurrentPointer,
  PublishResult,
  StoredFile,
  StoreUsage,
  TitleRecord,
  VersionInfo,
} from './store/types.js';
export { FsContentStore, type FsContentStoreOptions } from './store/fsStore.js';
export { MemoryContentStore } from './store/memoryStore.js';
export type { JobQueue, JobQueueHooks } from './jobs/queue.js';
export { InProcessJobQueue } from './jobs/queue.js';
export type { JobPipeline, PipelineContext, PipelineResult } from './jobs/pipeline.js';
export { createEncodePipeline } from './jobs/encodePipeline.js';
export { JOB_STATES, type JobRecord, type JobSpec, type JobState } from './jobs/types.js';
export { DecayedCounter, type PopularityEntry } from './popularity.js';
export { summarizeTitle, type TitleSummary } from './catalog.js';
export { parseContentPath, type ContentPath } from './http/paths.js';
export {
  QoeCollector,
  FileQoeSink,
  MemoryQoeSink,
  QoeErrorCode,
  qoeConfigSchema,
  summarize as summarizeQoe,
  type EdgeStats as QoeEdgeStats,
  type QoeConfig,
  type QoeSink,
  type QoeSinkStats,
  type QoeSummary,
  type SessionRecord as QoeSessionRecord,
  type StoredQoeEvent,
} from './qoe/index.js';
export {
  EdgeRegistry,
  RouteTable,
  SteeringErrorCode,
  SteeringService,
  parseIp,
  parsePrefix,
  selectEdges,
  steeringConfigSchema,
  type EdgeStatus,
  type HeartbeatRequest,
  type RegisterRequest,
  type Selection,
  type SteerResponse,
  type SteeredEdge,
  type SteeringConfig,
} from './steering/index.js';
