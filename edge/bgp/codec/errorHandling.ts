/**
 * RFC 7606 revised error handling for UPDATE messages, as a pure decision: which approach a given
 * attribute error gets. "Session reset" is RFC 4271's NOTIFICATION; "treat-as-withdraw" withdraws
 * every prefix of the UPDATE and keeps the session; "attribute discard" drops only the attribute.
 */
import { AttrType } from './constants.js';
import type { ProtocolError } from './result.js';

export type ErrorAction = 'attribute-discard' | 'treat-as-withdraw' | 'session-reset';

export type AttrErrorKind =
  /** Optional or Transitive bit in conflict with the attribute type (RFC 7606 §3 c). */
  | 'flags'
  /** Attribute length wrong for its type. */
  | 'length'
  /** Right length, bad content (an undefined ORIGIN, a bad AS_PATH segment, ...). */
  | 'value'
  /** The attribute appears a second time (RFC 7606 §3 g). */
  | 'duplicate'
  /** A well-known attribute this speaker does not know (RFC 4271 §6.3). */
  | 'unrecognized-well-known'
  /** A well-known mandatory attribute is absent (RFC 7606 §3 d). */
  | 'missing'
  /** An attribute's length runs past the path attributes field (RFC 7606 §4). */
  | 'overrun';

/** One attribute error found while decoding, with the NOTIFICATION it maps to under RFC 4271. */
export interface AttrIssue {
  typeCode: number;
  kind: AttrErrorKind;
  action: ErrorAction;
  error: ProtocolError;
}

const STRENGTH: Readonly<Record<ErrorAction, number>> = {
  'attribute-discard': 0,
  'treat-as-withdraw': 1,
  'session-reset': 2,
};

/** RFC 7606 §3 f: when several errors differ in approach, the strongest wins. */
export function strongestAction(actions: Iterable<ErrorAction>): ErrorAction | undefined {
  let best: ErrorAction | undefined;
  for (const action of actions) if (best === undefined || STRENGTH[action] > STRENGTH[best]) best = action;
  return best;
}

/** Attributes whose malformation only drops the attribute itself. */
const DISCARDABLE = new Set<number>([
  AttrType.AtomicAggregate, // RFC 7606 §7.6
  AttrType.Aggregator, // RFC 7606 §7.7
  AttrType.As4Path, // RFC 6793 §6
  AttrType.As4Aggregator, // RFC 6793 §6
]);

/**
 * The approach for an error of `kind` in the attribute `typeCode`. MP_REACH_NLRI and MP_UNREACH_NLRI
 * errors reset the session (RFC 7606 §7.11-7.12, and §3 g for repeats: their NLRI cannot be trusted,
 * so not even a withdraw is possible); unknown well-known attributes too (RFC 4271 §6.3); other
 * repeats are dropped; the rest follow the per-attribute rules of RFC 7606 §7 and RFC 8092 §6.
 */
export function attributeErrorAction(typeCode: number, kind: AttrErrorKind): ErrorAction {
  if (typeCode === AttrType.MpReachNlri || typeCode === AttrType.MpUnreachNlri) return 'session-reset';
  if (kind === 'unrecognized-well-known') return 'session-reset';
  if (kind === 'duplicate') return 'attribute-discard';
  if (kind === 'missing' || kind === 'overrun') return 'treat-as-withdraw';
  if (DISCARDABLE.has(typeCode)) return 'attribute-discard';
  return 'treat-as-withdraw';
}
