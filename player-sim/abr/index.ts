/** The ABR strategies and their registry. */
import { PlayerErrorCode, playerError } from '../errors.js';
import { bba, type BbaOptions } from './bba.js';
import { bola, type BolaOptions } from './bola.js';
import { mpc, type MpcOptions } from './mpc.js';
import { quality, type QualityOptions } from './quality.js';
import { throughputRule, type ThroughputRuleOptions } from './throughputRule.js';
import { ABR_NAMES, type AbrName, type AbrStrategy } from './types.js';

export * from './types.js';
export { bba, bbaRateMap, BBA_CUSHION_MS, BBA_RESERVOIR_MS, type BbaOptions } from './bba.js';
export { bola, bolaParameters, bolaRungForLevel, type BolaOptions, type BolaState } from './bola.js';
export { mpc, robustPrediction, MPC_HORIZON, type MpcOptions, type MpcState } from './mpc.js';
export { quality, dryBufferAbandon, type QualityOptions } from './quality.js';
export { throughputRule, type ThroughputRuleOptions, type ThroughputRuleState } from './throughputRule.js';
export { solveHorizon, type HorizonPlan, type HorizonProblem } from './horizon.js';

/** The default strategy (`cdn play` without `--abr`). */
export const DEFAULT_ABR: AbrName = 'quality';

export interface StrategyOptions {
  throughput?: ThroughputRuleOptions;
  bba?: BbaOptions;
  bola?: BolaOptions;
  mpc?: MpcOptions;
  quality?: QualityOptions;
}

export function isAbrName(name: string): name is AbrName {
  return (ABR_NAMES as readonly string[]).includes(name);
}

/** A strategy by name; PLAYER_ERR_UNKNOWN_STRATEGY for other names. */
export function createStrategy(name: string, options: StrategyOptions = {}): AbrStrategy {
  if (!isAbrName(name)) {
    throw playerError(
      PlayerErrorCode.UnknownStrategy,
      `unknown ABR strategy ${JSON.stringify(name)}; known: ${ABR_NAMES.join(', ')}`,
    );
  }
  switch (name) {
    case 'throughput':
      return throughputRule(options.throughput);
    case 'bba':
      return bba(options.bba);
    case 'bola':
      return bola(options.bola);
    case 'mpc':
      return mpc(options.mpc);
    case 'quality':
      return quality(options.quality);
  }
}
