/** Packaging (shaka-packager → CMAF DASH + HLS title packages) and the pure manifest library. */
export {
  packageTitle,
  resolveTitleId,
  type PackageHooks,
  type PackageOptions,
  type PackagePhase,
  type PackageProgress,
  type PackageResult,
} from './packageTitle.js';
export { PACKAGE_FILES } from './packager.js';
export { packagerToolsConfigFromEnv, type PackagerToolsConfig } from './config.js';
export {
  ManifestErrorCode,
  formatProblemLocation,
  manifestError,
  problemsError,
  type ManifestProblem,
} from './errors.js';
export {
  TITLE_ID_PATTERN,
  TITLE_SCHEMA_VERSION,
  titleFileSchema,
  type TitleFile,
  type TitleFileRef,
  type TitleSegment,
  type TitleTrack,
} from './titleFile.js';
export {
  buildSteeringManifest,
  parseSteeringManifest,
  PATHWAY_ID_PATTERN,
  STEERING_MANIFEST_VERSION,
  type SteeringManifest,
  type SteeringManifestInput,
} from './steering.js';
export { averageRateBps, dashBandwidthBps, peakSegmentRateBps } from './rates.js';
export * from './hls/index.js';
export * from './dash/index.js';
export {
  DASH_QUALITY_SCHEME,
  HLS_QUALITY_METRIC_DATA_ID,
  formatQualityValue,
  parseQualityValue,
  type QualityAnnotation,
} from './enrich.js';
