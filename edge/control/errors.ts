import { codedErrorFactory } from '../../common/errors.js';

/** Error codes of the edge's control-plane client and route feeds. Each is documented in docs/errors.md. */
export const EdgeControlErrorCode = {
  /** The origin could not be reached (refused, reset, DNS). */
  Unreachable: 'EDGE_ERR_CONTROL_UNREACHABLE',
  /** The origin did not connect or answer within `timeoutMs`. */
  Timeout: 'EDGE_ERR_CONTROL_TIMEOUT',
  /** The origin answered a registration or heartbeat with an error (its code in details). */
  Refused: 'EDGE_ERR_CONTROL_REFUSED',
  /** A static route feed (config or file) is malformed. */
  RouteFeedInvalid: 'EDGE_ERR_ROUTE_FEED_INVALID',
  /** A route from a route source is malformed; it was dropped. */
  RouteInvalid: 'EDGE_ERR_ROUTE_INVALID',
} as const;

export type EdgeControlErrorCode = (typeof EdgeControlErrorCode)[keyof typeof EdgeControlErrorCode];

const STATUS: Readonly<Record<EdgeControlErrorCode, number>> = {
  EDGE_ERR_CONTROL_UNREACHABLE: 502,
  EDGE_ERR_CONTROL_TIMEOUT: 504,
  EDGE_ERR_CONTROL_REFUSED: 502,
  EDGE_ERR_ROUTE_FEED_INVALID: 500,
  EDGE_ERR_ROUTE_INVALID: 400,
};

export const edgeControlError = codedErrorFactory<EdgeControlErrorCode>(STATUS);
