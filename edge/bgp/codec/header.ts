/**
 * The message header (RFC 4271 §4.1) and a framer that cuts a TCP byte stream into messages,
 * checking each header as soon as its 19 octets are in (RFC 4271 §6.1).
 */
import { BgpErrorCode, bgpError } from '../errors.js';
import {
  ErrorCode,
  HEADER_BYTES,
  HeaderSubcode,
  MAX_MESSAGE_BYTES,
  MIN_MESSAGE_BYTES,
  MessageType,
} from './constants.js';
import { type ProtocolError, uint16Bytes } from './result.js';

/** One message cut from the stream: its type and body (a view, valid until the next push). */
export interface Frame {
  type: number;
  body: Uint8Array;
}

/** Prepends the header (all-ones marker, length, type) to a body. */
export function encodeMessage(
  type: number,
  body: Uint8Array,
  maxMessageBytes = MAX_MESSAGE_BYTES,
): Uint8Array {
  const length = HEADER_BYTES + body.length;
  if (length > maxMessageBytes) {
    throw bgpError(
      BgpErrorCode.Encode,
      `message of ${length} octets is over the ${maxMessageBytes}-octet limit`,
    );
  }
  const out = new Uint8Array(length);
  out.fill(0xff, 0, 16);
  out[16] = length >>> 8;
  out[17] = length & 0xff;
  out[18] = type;
  out.set(body, HEADER_BYTES);
  return out;
}

/**
 * Checks the header at `offset` (19 octets present): marker, length bounds, known type, and the
 * type's own minimum length (exactly 19 for KEEPALIVE). Returns the message length or the error.
 */
export function checkHeader(
  buf: Uint8Array,
  offset: number,
  maxMessageBytes: number,
): number | ProtocolError {
  for (let i = 0; i < 16; i++) {
    if (buf[offset + i] !== 0xff) {
      return {
        code: ErrorCode.MessageHeader,
        subcode: HeaderSubcode.ConnectionNotSynchronized,
        data: new Uint8Array(0),
        reason: 'message marker is not all ones',
      };
    }
  }
  const length = (buf[offset + 16]! << 8) | buf[offset + 17]!;
  const type = buf[offset + 18]!;
  const badLength = (why: string): ProtocolError => ({
    code: ErrorCode.MessageHeader,
    subcode: HeaderSubcode.BadMessageLength,
    data: uint16Bytes(length),
    reason: `message length ${length} ${why}`,
  });
  if (length < HEADER_BYTES || length > maxMessageBytes) {
    return badLength(`outside ${HEADER_BYTES}..${maxMessageBytes}`);
  }
  const minimum = MIN_MESSAGE_BYTES[type];
  if (minimum === undefined) {
    return {
      code: ErrorCode.MessageHeader,
      subcode: HeaderSubcode.BadMessageType,
      data: Uint8Array.of(type),
      reason: `unknown message type ${type}`,
    };
  }
  if (type === MessageType.Keepalive && length !== HEADER_BYTES) return badLength('for a KEEPALIVE');
  // A short ROUTE-REFRESH is RFC 7313's Invalid Message Length, reported by its decoder.
  if (type !== MessageType.RouteRefresh && length < minimum) return badLength(`under the minimum ${minimum}`);
  return length;
}

export type FramerResult = { frames: Frame[]; error?: ProtocolError };

/**
 * Accumulates stream bytes and returns complete messages. After an error the stream is unusable
 * (RFC 4271 §6: the connection is closed), so the framer returns nothing more.
 */
export class MessageFramer {
  #pending: Uint8Array = new Uint8Array(0);
  #failed = false;

  constructor(private readonly maxMessageBytes = MAX_MESSAGE_BYTES) {}

  /** Octets held waiting for the rest of a message. */
  get bufferedBytes(): number {
    return this.#pending.length;
  }

  push(chunk: Uint8Array): FramerResult {
    if (this.#failed) return { frames: [] };
    let buf: Uint8Array;
    if (this.#pending.length === 0) buf = chunk;
    else {
      buf = new Uint8Array(this.#pending.length + chunk.length);
      buf.set(this.#pending, 0);
      buf.set(chunk, this.#pending.length);
    }
    const frames: Frame[] = [];
    let pos = 0;
    while (buf.length - pos >= HEADER_BYTES) {
      const checked = checkHeader(buf, pos, this.maxMessageBytes);
      if (typeof checked !== 'number') {
        this.#failed = true;
        this.#pending = new Uint8Array(0);
        return { frames, error: checked };
      }
      if (buf.length - pos < checked) break;
      frames.push({ type: buf[pos + 18]!, body: buf.subarray(pos + HEADER_BYTES, pos + checked) });
      pos += checked;
    }
    // Keep a copy: the caller may reuse the chunk's memory.
    this.#pending = pos === buf.length ? new Uint8Array(0) : buf.slice(pos);
    return { frames };
  }
}
