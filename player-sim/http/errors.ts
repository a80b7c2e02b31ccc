import { codedErrorFactory } from '../../common/errors.js';

/** Error codes of the player's HTTP shell (steering, manifests, segments). Each is in docs/errors.md. */
export const PlayerHttpErrorCode = {
  /** The origin or an edge answered an error status (the message carries it and the server's code). */
  HttpStatus: 'PLAYER_ERR_HTTP_STATUS',
  /** No response headers within `requestTimeoutMs`. */
  HttpTimeout: 'PLAYER_ERR_HTTP_TIMEOUT',
  /** The body stopped arriving for `stallTimeoutMs` while the player was reading. */
  HttpStall: 'PLAYER_ERR_HTTP_STALL',
  /** The connection failed: refused, reset, closed before the whole body. */
  HttpNetwork: 'PLAYER_ERR_HTTP_NETWORK',
  /** A manifest or steering answer larger than `maxManifestBytes`. */
  ResponseTooLarge: 'PLAYER_ERR_RESPONSE_TOO_LARGE',
  /** Every ranked edge failed, and asking steering again gave no edge that worked. */
  AllEdgesFailed: 'PLAYER_ERR_ALL_EDGES_FAILED',
  /** Steering does not know the title (404 from `/v1/steer`). */
  TitleNotFound: 'PLAYER_ERR_TITLE_NOT_FOUND',
  /** Steering could not be asked or refused the request (other than an unknown title). */
  Steering: 'PLAYER_ERR_STEERING',
} as const;

export type PlayerHttpErrorCode = (typeof PlayerHttpErrorCode)[keyof typeof PlayerHttpErrorCode];

const STATUS: Record<PlayerHttpErrorCode, number> = {
  PLAYER_ERR_HTTP_STATUS: 502,
  PLAYER_ERR_HTTP_TIMEOUT: 504,
  PLAYER_ERR_HTTP_STALL: 504,
  PLAYER_ERR_HTTP_NETWORK: 502,
  PLAYER_ERR_RESPONSE_TOO_LARGE: 502,
  PLAYER_ERR_ALL_EDGES_FAILED: 503,
  PLAYER_ERR_TITLE_NOT_FOUND: 404,
  PLAYER_ERR_STEERING: 502,
};

export const playerHttpError = codedErrorFactory<PlayerHttpErrorCode>(STATUS);
