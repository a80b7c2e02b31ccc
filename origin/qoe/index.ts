/** The QoE collector: event ingest, durable log, aggregation, metrics (a plugin of the origin). */
export { registerQoe, createQoeSink, type QoeDeps } from './service.js';
export {
  QoeCollector,
  type IngestResult,
  type QoeCollectorOptions,
  type QoeCollectorStats,
} from './collector.js';
export { qoeConfigSchema, DEFAULT_QOE_STRATEGIES, type QoeConfig } from './config.js';
export { QoeErrorCode, qoeError } from './errors.js';
export type { QoeSink, QoeSinkStats, StoredQoeEvent } from './sink.js';
export { MemoryQoeSink } from './memorySink.js';
export { FileQoeSink, type FileQoeSinkOptions } from './fileSink.js';
export { QoeMetrics } from './metrics.js';
export {
  summarize,
  type Distribution,
  type EdgeStats,
  type EdgeUsage,
  type GroupStats,
  type QoeSummary,
  type SessionRecord,
  type SummaryFilter,
} from './aggregate.js';
