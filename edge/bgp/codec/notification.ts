/**
 * NOTIFICATION (RFC 4271 §4.5), with the shutdown communication of RFC 8203 / RFC 9003: on Cease
 * subcodes Administrative Shutdown and Administrative Reset the data may carry a length octet and
 * up to 255 octets of UTF-8 explaining why.
 */
import { BgpErrorCode, bgpError } from '../errors.js';
import { CeaseSubcode, ErrorCode, HeaderSubcode, MessageType } from './constants.js';
import { encodeMessage } from './header.js';
import { type Decoded, fail, ok, uint16Bytes } from './result.js';

export interface NotificationMessage {
  code: number;
  subcode: number;
  data: Uint8Array;
}

/** Longest shutdown communication in octets (RFC 9003 §2, up from RFC 8203's 128). */
export const MAX_SHUTDOWN_MESSAGE_BYTES = 255;

export function decodeNotification(body: Uint8Array): Decoded<NotificationMessage> {
  if (body.length < 2) {
    return fail(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      'short NOTIFICATION',
      uint16Bytes(body.length + 19),
    );
  }
  return ok({ code: body[0]!, subcode: body[1]!, data: body.slice(2) });
}

export function encodeNotification(message: NotificationMessage): Uint8Array {
  return encodeMessage(
    MessageType.Notification,
    Uint8Array.from([message.code, message.subcode, ...message.data]),
  );
}

function isShutdownSubcode(code: number, subcode: number): boolean {
  return (
    code === ErrorCode.Cease &&
    (subcode === CeaseSubcode.AdministrativeShutdown || subcode === CeaseSubcode.AdministrativeReset)
  );
}

/** The data of a shutdown NOTIFICATION: length octet then UTF-8; throws when over 255 octets. */
export function shutdownData(message: string): Uint8Array {
  const text = Buffer.from(message, 'utf8');
  if (text.length > MAX_SHUTDOWN_MESSAGE_BYTES) {
    throw bgpError(
      BgpErrorCode.Encode,
      `shutdown communication of ${text.length} octets is over ${MAX_SHUTDOWN_MESSAGE_BYTES}`,
    );
  }
  return Uint8Array.from([text.length, ...text]);
}

export type ShutdownCommunication =
  | { kind: 'none' }
  | { kind: 'message'; text: string }
  /** Data present but not a valid communication (RFC 9003 §3: log it as such, the session ends anyway). */
  | { kind: 'invalid'; reason: string };

/** Reads the shutdown communication of a received NOTIFICATION. */
export function shutdownCommunication(message: NotificationMessage): ShutdownCommunication {
  if (!isShutdownSubcode(message.code, message.subcode) || message.data.length === 0) return { kind: 'none' };
  const length = message.data[0]!;
  if (length === 0) return { kind: 'none' };
  if (1 + length > message.data.length) return { kind: 'invalid', reason: 'length octet overruns the data' };
  try {
    const text = new TextDecoder('utf-8', { fatal: true }).decode(message.data.subarray(1, 1 + length));
    return { kind: 'message', text };
  } catch {
    return { kind: 'invalid', reason: 'not UTF-8' };
  }
}
