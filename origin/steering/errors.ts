import { codedErrorFactory } from '../../common/errors.js';

/** Error codes of the steering control plane. Each is documented in docs/errors.md. */
export const SteeringErrorCode = {
  BadRequest: 'STEER_ERR_BAD_REQUEST',
  BadIp: 'STEER_ERR_BAD_IP',
  BadSession: 'STEER_ERR_BAD_SESSION',
  BadTitle: 'STEER_ERR_BAD_TITLE',
  OverrideForbidden: 'STEER_ERR_OVERRIDE_FORBIDDEN',
  NoHealthyEdge: 'STEER_ERR_NO_HEALTHY_EDGE',
  EdgeUnauthorized: 'STEER_ERR_EDGE_UNAUTHORIZED',
  EdgeForbidden: 'STEER_ERR_EDGE_FORBIDDEN',
  EdgeUnknown: 'STEER_ERR_EDGE_UNKNOWN',
  EdgeEpoch: 'STEER_ERR_EDGE_EPOCH',
  TooManyEdges: 'STEER_ERR_TOO_MANY_EDGES',
  BadRoute: 'STEER_ERR_BAD_ROUTE',
  PrefixLimit: 'STEER_ERR_PREFIX_LIMIT',
} as const;

export type SteeringErrorCode = (typeof SteeringErrorCode)[keyof typeof SteeringErrorCode];

/** HTTP status of each code, as docs/errors.md lists them. */
export const STEERING_STATUS: Readonly<Record<SteeringErrorCode, number>> = {
  STEER_ERR_BAD_REQUEST: 400,
  STEER_ERR_BAD_IP: 400,
  STEER_ERR_BAD_SESSION: 400,
  STEER_ERR_BAD_TITLE: 400,
  STEER_ERR_OVERRIDE_FORBIDDEN: 403,
  STEER_ERR_NO_HEALTHY_EDGE: 503,
  STEER_ERR_EDGE_UNAUTHORIZED: 401,
  STEER_ERR_EDGE_FORBIDDEN: 403,
  STEER_ERR_EDGE_UNKNOWN: 404,
  STEER_ERR_EDGE_EPOCH: 409,
  STEER_ERR_TOO_MANY_EDGES: 503,
  STEER_ERR_BAD_ROUTE: 400,
  STEER_ERR_PREFIX_LIMIT: 422,
};

/** A steering error with the HTTP status its code maps to. */
export const steeringError = codedErrorFactory<SteeringErrorCode>(STEERING_STATUS);
