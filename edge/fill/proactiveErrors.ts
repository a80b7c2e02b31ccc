import { codedErrorFactory } from '../../common/errors.js';

/** Error codes of proactive fill (`/admin/fill`). Each is documented in docs/errors.md. */
export const ProactiveErrorCode = {
  /** A fill run is in progress; only one runs at a time. */
  FillRunning: 'EDGE_ERR_FILL_RUNNING',
  /** A title asked for is not published at the origin (its title.json answers 404). */
  TitleNotFound: 'EDGE_ERR_TITLE_NOT_FOUND',
  /** The origin's title.json for a title is not JSON or does not match the title schema. */
  TitleInvalid: 'EDGE_ERR_TITLE_INVALID',
  /** The origin's popularity list could not be read (no read token configured, origin down, bad answer). */
  PopularityUnavailable: 'EDGE_ERR_POPULARITY_UNAVAILABLE',
  /** During a run the origin answered something other than 200 for an object its title.json lists. */
  ObjectStatus: 'EDGE_ERR_FILL_OBJECT_STATUS',
} as const;

export type ProactiveErrorCode = (typeof ProactiveErrorCode)[keyof typeof ProactiveErrorCode];

const STATUS: Record<ProactiveErrorCode, number> = {
  EDGE_ERR_FILL_RUNNING: 409,
  EDGE_ERR_TITLE_NOT_FOUND: 404,
  EDGE_ERR_TITLE_INVALID: 502,
  EDGE_ERR_POPULARITY_UNAVAILABLE: 503,
  EDGE_ERR_FILL_OBJECT_STATUS: 502,
};

export const proactiveError = codedErrorFactory<ProactiveErrorCode>(STATUS);
