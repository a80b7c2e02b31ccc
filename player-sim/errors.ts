import { codedErrorFactory } from '../common/errors.js';

/** Error codes of the player simulator. Each is documented in docs/errors.md. */
export const PlayerErrorCode = {
  /** A trace file is not JSON / not `seconds Mbps` lines, or an entry has the wrong shape. */
  TraceParse: 'PLAYER_ERR_TRACE_PARSE',
  TraceEmpty: 'PLAYER_ERR_TRACE_EMPTY',
  TraceNegative: 'PLAYER_ERR_TRACE_NEGATIVE',
  TraceNotNumeric: 'PLAYER_ERR_TRACE_NOT_NUMERIC',
  TraceAllZero: 'PLAYER_ERR_TRACE_ALL_ZERO',
  TraceTimeOrder: 'PLAYER_ERR_TRACE_TIME_ORDER',
  TraceNotFound: 'PLAYER_ERR_TRACE_NOT_FOUND',
  LadderParse: 'PLAYER_ERR_LADDER_PARSE',
  LadderInvalid: 'PLAYER_ERR_LADDER_INVALID',
  LadderNotFound: 'PLAYER_ERR_LADDER_NOT_FOUND',
  UnknownStrategy: 'PLAYER_ERR_UNKNOWN_STRATEGY',
  InvalidOptions: 'PLAYER_ERR_INVALID_OPTIONS',
  /** A fetcher or strategy broke its interface contract (bad result, rung out of range). */
  Contract: 'PLAYER_ERR_CONTRACT',
} as const;

export type PlayerErrorCode = (typeof PlayerErrorCode)[keyof typeof PlayerErrorCode];

/** HTTP status of each code, as docs/errors.md lists them. */
const STATUS: Record<PlayerErrorCode, number> = {
  PLAYER_ERR_TRACE_PARSE: 422,
  PLAYER_ERR_TRACE_EMPTY: 422,
  PLAYER_ERR_TRACE_NEGATIVE: 422,
  PLAYER_ERR_TRACE_NOT_NUMERIC: 422,
  PLAYER_ERR_TRACE_ALL_ZERO: 422,
  PLAYER_ERR_TRACE_TIME_ORDER: 422,
  PLAYER_ERR_TRACE_NOT_FOUND: 404,
  PLAYER_ERR_LADDER_PARSE: 422,
  PLAYER_ERR_LADDER_INVALID: 422,
  PLAYER_ERR_LADDER_NOT_FOUND: 404,
  PLAYER_ERR_UNKNOWN_STRATEGY: 400,
  PLAYER_ERR_INVALID_OPTIONS: 400,
  PLAYER_ERR_CONTRACT: 500,
};

export const playerError = codedErrorFactory<PlayerErrorCode>(STATUS);
