/**
 * The player over HTTP: sessions against a real origin and its edges (steering, manifests,
 * segments with CMCD, failover, content steering, QoE events), in real or virtual time, and fleets.
 */
export { PlayerHttpErrorCode, playerHttpError } from './errors.js';
export {
  CMCD_MODES,
  MANIFEST_FORMATS,
  httpPlayerConfigSchema,
  resolveHttpPlayerConfig,
  type CmcdMode,
  type HttpPlayerConfig,
  type HttpPlayerConfigInput,
  type ManifestFormat,
} from './config.js';
export { BUCKET_DEPTH_MS, LinkThrottle, MIN_BUCKET_DEPTH_BYTES } from './throttle.js';
export { RTP_FACTOR, cmcdData, withCmcd, type CmcdRequestFacts } from './cmcd.js';
export { EdgeRoster, relocate } from './edges.js';
export {
  ContentSteeringClient,
  requestSteering,
  steerUrl,
  type SteerRequest,
  type SteerResponse,
  type SteeredEdge,
} from './steering.js';
export { loadLadder, segmentObjectUrls, type ManifestLoad } from './manifest.js';
export { ReadGate, getText, headSize, streamObject } from './transport.js';
export {
  FailoverController,
  HttpSegmentFetcher,
  type FailoverNotice,
  type FailoverReason,
  type HttpSessionStats,
  type RequestErrorNotice,
} from './fetcher.js';
export {
  cutLadder,
  qoeTraceName,
  runHttpSession,
  toSessionSummary,
  type HttpSessionOptions,
  type HttpSessionResult,
  type FailoverRecord,
  type PlayMode,
} from './session.js';
export {
  alignColumns,
  clientIpFor,
  slotClientIp,
  formatHttpFleetTable,
  httpFleetToCsv,
  httpFleetToJson,
  ladderSizes,
  poissonArrivalsMs,
  runHttpFleet,
  summarizeHttp,
  type HttpFleetOptions,
  type HttpFleetReport,
  type HttpFleetSession,
  type HttpStrategySummary,
} from './fleet.js';
