/**
 * A decoding result: the value, or the protocol error that the session answers with a NOTIFICATION
 * (code, subcode and data as RFC 4271 §6 prescribes for the case).
 */
export interface ProtocolError {
  code: number;
  subcode: number;
  data: Uint8Array;
  /** Human-readable cause, for logs and the session-down event (never sent on the wire). */
  reason: string;
}

export type Decoded<T> = { ok: true; value: T } | { ok: false; error: ProtocolError };

export const EMPTY = new Uint8Array(0);

export function fail(
  code: number,
  subcode: number,
  reason: string,
  data: Uint8Array = EMPTY,
): {
  ok: false;
  error: ProtocolError;
} {
  return { ok: false, error: { code, subcode, data, reason } };
}

export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Two big-endian octets, as the data of Bad Message Length (RFC 4271 §6.1) and similar. */
export function uint16Bytes(value: number): Uint8Array {
  return Uint8Array.of((value >>> 8) & 0xff, value & 0xff);
}
