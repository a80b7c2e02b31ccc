/** The encoder: per-title ladder search with FFmpeg and VMAF, final encodes, `ladder.json`. */
export {
  encodeTitle,
  type EncodeHooks,
  type EncodePhase,
  type EncodeProgress,
  type EncodeResult,
} from './encodeTitle.js';
export { encoderToolsConfigFromEnv, type EncoderToolsConfig } from './config.js';
export { EncoderErrorCode } from './errors.js';
export { ladderFileSchema, LADDER_SCHEMA_VERSION, type LadderFile, type LadderRung } from './ladderFile.js';
export {
  APPLE_FIXED_LADDER,
  DEFAULT_RESOLUTIONS,
  X264_PRESETS,
  METRIC_DEFAULTS,
  encodeOptionsSchema,
  parseResolution,
  resolveEncodeSettings,
  type EncodeOptionsInput,
  type EncodeSettings,
} from './options.js';
export { probeSource, type SourceFacts } from './probe.js';
export { detectTools, type EncoderTools } from './tools.js';
export {
  makeSyntheticSource,
  SYNTHETIC_PATTERNS,
  type SyntheticPattern,
  type SyntheticSourceSpec,
} from './synthetic.js';
export * from './ladder/index.js';
