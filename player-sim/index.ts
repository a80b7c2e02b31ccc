/**
 * The player simulator: trace-driven network model, ladders from manifests, the session engine
 * (virtual and real time alike), ABR strategies, QoE and the offline optimum, virtual-time fleets.
 * Everything here is pure except load.ts (reading trace and ladder files) and SystemClock.
 */
export { PlayerErrorCode, playerError } from './errors.js';
export {
  playerConfigSchema,
  resolvePlayerConfig,
  type PlayerConfig,
  type PlayerConfigInput,
} from './config.js';
export {
  DEFAULT_TEXT_TRACE_LATENCY_MS,
  meanBandwidthKbps,
  parseSabreTrace,
  parseTextTrace,
  parseTrace,
  scaleTrace,
  type TextTraceOptions,
  type Trace,
  type TraceInterval,
} from './trace.js';
export { NetworkModel, type DownloadTiming } from './network.js';
export {
  contentDurationMs,
  hasVmaf,
  nominalSegmentDurationMs,
  parseSabreLadder,
  resizeLadder,
  segmentCount,
  segmentSizeBytes,
  segmentVmaf,
  validateLadder,
  type AudioTrack,
  type Ladder,
  type LadderRung,
  type SegmentLocation,
} from './ladder.js';
export { ladderFromDash, ladderFromHls, ladderFromTitle } from './manifestLadder.js';
export { loadLadder, loadSabreLadder, loadTitleLadder, loadTrace, loadTraces } from './load.js';
export {
  PlaybackBuffer,
  type BufferedSegment,
  type PlaybackEvent,
  type PlaybackOptions,
  type PlaybackPhase,
  type Rebuffer,
} from './playback.js';
export {
  EMPTY_EWMA,
  ewmaLatencyMs,
  ewmaThroughputKbps,
  goodputKbps,
  harmonicMean,
  rungForThroughput,
  transferKbps,
  updateEwma,
  type DownloadSample,
  type EwmaState,
  type ThroughputView,
} from './throughput.js';
export * from './abr/index.js';
export { SystemClock, VirtualClock, type Clock } from './clock.js';
export {
  checkSessionSetup,
  runSession,
  type FetchOptions,
  type FetchProgress,
  type FetchResult,
  type LoadedSegment,
  type SegmentFetcher,
  type SegmentRequest,
  type SessionEvent,
  type SessionOptions,
  type SessionOutcome,
  type SessionResult,
} from './session.js';
export {
  VIRTUAL_PROGRESS_INTERVAL_MS,
  VirtualFetcher,
  virtualSetup,
  type VirtualFetcherOptions,
} from './virtual.js';
export {
  computeQoe,
  percentileNearestRank,
  QOE_LIN_REBUFFER_PENALTY,
  QOE_VMAF_REBUFFER_PENALTY,
  qoeLin,
  qoeVmaf,
  type PlayedSegment,
  type QoeInput,
  type QoeSummary,
} from './qoe.js';
export {
  p1203AudioCodec,
  p1203VideoCodec,
  toP1203Input,
  type P1203AudioSegment,
  type P1203Input,
  type P1203Options,
  type P1203VideoSegment,
} from './p1203.js';
export { offlineOptimum, type OptimumOptions, type OptimumResult, type QoeObjective } from './optimum.js';
export {
  DEFAULT_TIMELINE_STEP_MS,
  sessionTimeline,
  type TimelineOptions,
  type TimelinePoint,
} from './timeline.js';
export {
  fleetToCsv,
  fleetToJson,
  formatFleetTable,
  runVirtualFleet,
  summarize,
  type Distribution,
  type FleetOptions,
  type FleetReport,
  type FleetSession,
  type StrategySummary,
} from './fleet.js';
export { seededRandom } from '../common/random.js';
export { createQoeReporter, type QoeReporter, type QoeReporterOptions } from './events/index.js';
export * from './http/index.js';
