/**
 * Wire constants of BGP-4 (RFC 4271) and the extensions this speaker implements. Numbers are the IANA
 * registry values; each group names the RFC that assigns them.
 */

/** Octets of the fixed message header: 16-octet marker, 2-octet length, 1-octet type (RFC 4271 §4.1). */
export const HEADER_BYTES = 19;
/** Largest message without the Extended Message capability (RFC 4271 §4.1); this speaker never negotiates RFC 8654. */
export const MAX_MESSAGE_BYTES = 4096;
/** Largest message once RFC 8654 Extended Messages are negotiated (the 2-octet length field's limit). */
export const MAX_EXTENDED_MESSAGE_BYTES = 65535;
/** The only BGP version (RFC 4271 §4.2). */
export const BGP_VERSION = 4;
/** Placeholder 2-octet AS for a 4-octet AS number (RFC 6793 §9). */
export const AS_TRANS = 23456;

export const MessageType = {
  Open: 1,
  Update: 2,
  Notification: 3,
  Keepalive: 4,
  /** RFC 2918. */
  RouteRefresh: 5,
} as const;

/** Minimum length of each message type including the header (RFC 4271 §4.2-4.5, RFC 2918 §3). */
export const MIN_MESSAGE_BYTES: Readonly<Record<number, number>> = {
  [MessageType.Open]: 29,
  [MessageType.Update]: 23,
  [MessageType.Notification]: 21,
  [MessageType.Keepalive]: 19,
  [MessageType.RouteRefresh]: 23,
};

/** Address Family Identifiers (IANA) and Subsequent AFIs (RFC 4760). */
export const Afi = { Ipv4: 1, Ipv6: 2 } as const;
export type Afi = (typeof Afi)[keyof typeof Afi];
export const Safi = { Unicast: 1 } as const;

/** Path attribute type codes (RFC 4271 §5, RFC 1997, RFC 4456, RFC 4760, RFC 6793, RFC 8092). */
export const AttrType = {
  Origin: 1,
  AsPath: 2,
  NextHop: 3,
  Med: 4,
  LocalPref: 5,
  AtomicAggregate: 6,
  Aggregator: 7,
  Communities: 8,
  OriginatorId: 9,
  ClusterList: 10,
  MpReachNlri: 14,
  MpUnreachNlri: 15,
  As4Path: 17,
  As4Aggregator: 18,
  LargeCommunities: 32,
} as const;

/** Attribute flag bits (RFC 4271 §4.3). */
export const AttrFlag = {
  Optional: 0x80,
  Transitive: 0x40,
  Partial: 0x20,
  ExtendedLength: 0x10,
} as const;

/** AS_PATH segment types (RFC 4271 §4.3, RFC 5065 for the confederation ones). */
export const SegmentType = { Set: 1, Sequence: 2, ConfedSequence: 3, ConfedSet: 4 } as const;

/** Capability codes (RFC 5492 registry). */
export const CapabilityCode = {
  Multiprotocol: 1,
  RouteRefresh: 2,
  ExtendedMessage: 6,
  GracefulRestart: 64,
  FourOctetAs: 65,
  AddPath: 69,
  EnhancedRouteRefresh: 70,
} as const;

/** OPEN optional parameter type of capabilities (RFC 5492 §4); 255 marks RFC 9072 extended lengths. */
export const OPT_PARAM_CAPABILITIES = 2;
export const OPT_PARAM_EXTENDED_LENGTH = 255;

/** NOTIFICATION error codes (RFC 4271 §4.5, RFC 7313 §5). */
export const ErrorCode = {
  MessageHeader: 1,
  Open: 2,
  Update: 3,
  HoldTimerExpired: 4,
  Fsm: 5,
  Cease: 6,
  RouteRefresh: 7,
} as const;

export const HeaderSubcode = {
  ConnectionNotSynchronized: 1,
  BadMessageLength: 2,
  BadMessageType: 3,
} as const;

export const OpenSubcode = {
  Unspecific: 0,
  UnsupportedVersion: 1,
  BadPeerAs: 2,
  BadBgpIdentifier: 3,
  UnsupportedOptionalParameter: 4,
  UnacceptableHoldTime: 6,
  /** RFC 5492 §5. */
  UnsupportedCapability: 7,
} as const;

export const UpdateSubcode = {
  MalformedAttributeList: 1,
  UnrecognizedWellKnownAttribute: 2,
  MissingWellKnownAttribute: 3,
  AttributeFlagsError: 4,
  AttributeLengthError: 5,
  InvalidOrigin: 6,
  InvalidNextHop: 8,
  OptionalAttributeError: 9,
  InvalidNetworkField: 10,
  MalformedAsPath: 11,
} as const;

/** RFC 6608 §4. */
export const FsmSubcode = {
  Unspecified: 0,
  UnexpectedInOpenSent: 1,
  UnexpectedInOpenConfirm: 2,
  UnexpectedInEstablished: 3,
} as const;

/** RFC 4486 §4 (and RFC 8538 for Hard Reset). */
export const CeaseSubcode = {
  MaxPrefixes: 1,
  AdministrativeShutdown: 2,
  PeerDeconfigured: 3,
  AdministrativeReset: 4,
  ConnectionRejected: 5,
  OtherConfigurationChange: 6,
  ConnectionCollisionResolution: 7,
  OutOfResources: 8,
  HardReset: 9,
} as const;

/** RFC 7313 §5. */
export const RouteRefreshSubcode = { InvalidMessageLength: 1 } as const;

/** Names of the error codes, for logs and the bounded `code` metric label. */
export const ERROR_CODE_NAMES: Readonly<Record<number, string>> = {
  1: 'message_header',
  2: 'open',
  3: 'update',
  4: 'hold_timer_expired',
  5: 'fsm',
  6: 'cease',
  7: 'route_refresh',
};

export function errorCodeName(code: number): string {
  return ERROR_CODE_NAMES[code] ?? 'unknown';
}
