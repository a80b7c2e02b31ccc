export type { PlannedRung, Probe, QualityMetric, QualityStats, RdPoint, Resolution } from './types.js';
export { summarizeScores } from './stats.js';
export { paretoFront, upperConvexHull } from './hull.js';
export type { RdCurve } from './curve.js';
export {
  bitrateAtQuality,
  bitrateRangeKbps,
  buildCurve,
  crfAtQuality,
  qualityAtBitrate,
  qualityRange,
  roundToTenth,
} from './curve.js';
export type { RungSelectionOptions } from './select.js';
export { DEFAULT_RUNG_SELECTION, bestAtBitrate, bestAtQuality, selectRungs } from './select.js';
export type { CrfProbeResult, CrfSearchSettings, CrfSearchStep } from './crfSearch.js';
export { nextCrfStep } from './crfSearch.js';
export type { Pchip } from './bdrate.js';
export { bdRate, pchip, pchipEvaluate, pchipIntegrate } from './bdrate.js';
