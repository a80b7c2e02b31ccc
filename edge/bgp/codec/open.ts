/**
 * OPEN (RFC 4271 §4.2) with Capabilities optional parameters (RFC 5492 §4) and RFC 9072 extended
 * optional parameter lengths. Decoding checks syntax only; the semantic checks (peer AS, hold time,
 * identifier) are negotiate.ts's.
 */
import { BgpErrorCode, bgpError } from '../errors.js';
import { formatIpv4, parseIpv4 } from './address.js';
import { type Capability, decodeCapabilities, encodeCapability } from './capabilities.js';
import {
  BGP_VERSION,
  ErrorCode,
  HEADER_BYTES,
  HeaderSubcode,
  MessageType,
  OPT_PARAM_CAPABILITIES,
  OPT_PARAM_EXTENDED_LENGTH,
  OpenSubcode,
} from './constants.js';
import { encodeMessage } from './header.js';
import { type Decoded, fail, ok, uint16Bytes } from './result.js';

export interface OpenMessage {
  version: number;
  /** The 2-octet My Autonomous System field (AS_TRANS when the real AS needs 4 octets). */
  myAs: number;
  holdTimeS: number;
  /** BGP Identifier in dotted-quad form. */
  bgpId: string;
  capabilities: Capability[];
}

/** Octets of the fixed part of an OPEN body: version, AS, hold time, identifier, parameters length. */
const OPEN_FIXED_BYTES = 10;

export function decodeOpen(body: Uint8Array): Decoded<OpenMessage> {
  const messageLength = body.length + HEADER_BYTES;
  const badLength = (): ReturnType<typeof fail> =>
    fail(
      ErrorCode.MessageHeader,
      HeaderSubcode.BadMessageLength,
      `OPEN optional parameters do not fill the message`,
      uint16Bytes(messageLength),
    );
  if (body.length < OPEN_FIXED_BYTES) return badLength();
  const view = new DataView(body.buffer, body.byteOffset, body.length);
  const version = view.getUint8(0);
  if (version !== BGP_VERSION) {
    // RFC 4271 §6.2: the data is the largest version this speaker supports, in two octets.
    return fail(
      ErrorCode.Open,
      OpenSubcode.UnsupportedVersion,
      `BGP version ${version}`,
      uint16Bytes(BGP_VERSION),
    );
  }
  const myAs = view.getUint16(1);
  const holdTimeS = view.getUint16(3);
  const bgpId = formatIpv4(body, 5);
  let paramsLength = view.getUint8(9);
  let pos = OPEN_FIXED_BYTES;
  let extended = false;
  // RFC 9072 §2: a length of 255 followed by a parameter type of 255 introduces 2-octet lengths.
  if (
    paramsLength === OPT_PARAM_EXTENDED_LENGTH &&
    body.length >= 13 &&
    view.getUint8(10) === OPT_PARAM_EXTENDED_LENGTH
  ) {
    extended = true;
    paramsLength = view.getUint16(11);
    pos = 13;
  }
  if (pos + paramsLength !== body.length) return badLength();
  const capabilities: Capability[] = [];
  const headerBytes = extended ? 3 : 2;
  while (pos < body.length) {
    if (pos + headerBytes > body.length) return badLength();
    const type = view.getUint8(pos);
    const length = extended ? view.getUint16(pos + 1) : view.getUint8(pos + 1);
    const start = pos + headerBytes;
    if (start + length > body.length) return badLength();
    if (type !== OPT_PARAM_CAPABILITIES) {
      return fail(
        ErrorCode.Open,
        OpenSubcode.UnsupportedOptionalParameter,
        `optional parameter type ${type}`,
      );
    }
    const caps = decodeCapabilities(body, start, start + length);
    if (!caps.ok) return caps;
    capabilities.push(...caps.value);
    pos = start + length;
  }
  return ok({ version, myAs, holdTimeS, bgpId, capabilities });
}

/** Encodes an OPEN with all capabilities in one parameter (RFC 5492 §4 allows either layout). */
export function encodeOpen(open: Omit<OpenMessage, 'version'>): Uint8Array {
  const id = parseIpv4(open.bgpId);
  if (!id) throw bgpError(BgpErrorCode.Encode, `BGP identifier is not an IPv4 address: ${open.bgpId}`);
  const caps = open.capabilities.flatMap(encodeCapability);
  let params: number[];
  if (caps.length === 0) params = [0];
  else if (caps.length + 2 <= 255) params = [caps.length + 2, OPT_PARAM_CAPABILITIES, caps.length, ...caps];
  else {
    // RFC 9072 §2: extended optional parameters when they do not fit in 255 octets.
    const total = caps.length + 3;
    params = [
      OPT_PARAM_EXTENDED_LENGTH,
      OPT_PARAM_EXTENDED_LENGTH,
      total >>> 8,
      total & 0xff,
      OPT_PARAM_CAPABILITIES,
      caps.length >>> 8,
      caps.length & 0xff,
      ...caps,
    ];
  }
  const body = Uint8Array.from([
    BGP_VERSION,
    (open.myAs >>> 8) & 0xff,
    open.myAs & 0xff,
    (open.holdTimeS >>> 8) & 0xff,
    open.holdTimeS & 0xff,
    ...id,
    ...params,
  ]);
  return encodeMessage(MessageType.Open, body);
}
