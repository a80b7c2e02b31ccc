import { codedErrorFactory } from '../../common/errors.js';

/** Error codes of the BGP speaker. Each is documented in docs/errors.md. */
export const BgpErrorCode = {
  /** A value cannot be put on the wire (a bad prefix or address, a message over the size limit). */
  Encode: 'BGP_ERR_ENCODE',
  /** The listener could not bind its address and port. */
  Listen: 'BGP_ERR_LISTEN',
  /** A connection came from an address that is not a configured neighbor; it was refused. */
  UnknownPeer: 'BGP_ERR_UNKNOWN_PEER',
  /** The peer sent a message that broke the protocol; this speaker answered with a NOTIFICATION. */
  MalformedMessage: 'BGP_ERR_MALFORMED_MESSAGE',
  /** An UPDATE carried a malformed attribute: its routes were treated as withdrawn (RFC 7606). */
  MalformedAttr: 'BGP_ERR_MALFORMED_ATTR',
  /** The peer closed the session with a NOTIFICATION. */
  PeerNotification: 'BGP_ERR_PEER_NOTIFICATION',
  /** No message from the peer within the negotiated hold time (RFC 4271 §6.5). */
  HoldTimerExpired: 'BGP_ERR_HOLD_TIMER_EXPIRED',
  /** The TCP connection failed or was closed without a NOTIFICATION. */
  ConnectionLost: 'BGP_ERR_CONNECTION_LOST',
  /** The peer announced more prefixes than the configured limit (RFC 4486 Cease subcode 1). */
  MaxPrefix: 'BGP_ERR_MAX_PREFIX',
  /** The session was shut down by this speaker (stop, or the neighbor removed). */
  AdminShutdown: 'BGP_ERR_ADMIN_SHUTDOWN',
} as const;

export type BgpErrorCode = (typeof BgpErrorCode)[keyof typeof BgpErrorCode];

/** HTTP status of each code, as docs/errors.md lists them (for status APIs that report sessions). */
const STATUS: Record<BgpErrorCode, number> = {
  BGP_ERR_ENCODE: 500,
  BGP_ERR_LISTEN: 500,
  BGP_ERR_UNKNOWN_PEER: 403,
  BGP_ERR_MALFORMED_MESSAGE: 502,
  BGP_ERR_MALFORMED_ATTR: 502,
  BGP_ERR_PEER_NOTIFICATION: 502,
  BGP_ERR_HOLD_TIMER_EXPIRED: 504,
  BGP_ERR_CONNECTION_LOST: 502,
  BGP_ERR_MAX_PREFIX: 502,
  BGP_ERR_ADMIN_SHUTDOWN: 503,
};

export const bgpError = codedErrorFactory<BgpErrorCode>(STATUS);
