/**
 * UPDATE (RFC 4271 §4.3) decoding under RFC 7606: field lengths that cannot be trusted reset the
 * session; attribute errors are collected and the strongest approach decides the result.
 */
import { Afi, AttrType, ErrorCode, MessageType, Safi, UpdateSubcode } from './constants.js';
import { type AttrIssue, attributeErrorAction, strongestAction } from './errorHandling.js';
import {
  type AttributeContext,
  type PathAttributes,
  decodeAttributes,
  encodeAttributes,
} from './attributes.js';
import type { AfiSafi } from './capabilities.js';
import { encodeMessage } from './header.js';
import { type Nlri, decodeNlri, encodeNlri } from './nlri.js';
import { type ProtocolError, uint16Bytes } from './result.js';

export interface UpdateMessage {
  /** The IPv4 unicast Withdrawn Routes field. */
  withdrawn: Nlri[];
  attributes: PathAttributes;
  /** The IPv4 unicast NLRI field. */
  nlri: Nlri[];
}

export type UpdateDecodeResult =
  /** Usable; `issues` lists discarded attributes (RFC 7606 attribute discard), if any. */
  | { kind: 'ok'; update: UpdateMessage; issues: AttrIssue[] }
  /** RFC 7606 §2: every prefix the UPDATE names is to be withdrawn (see allPrefixes). */
  | { kind: 'treat-as-withdraw'; update: UpdateMessage; issues: AttrIssue[] }
  /** Send this NOTIFICATION and close the session. */
  | { kind: 'session-reset'; error: ProtocolError; issues: AttrIssue[] };

function reset(subcode: number, reason: string, issues: AttrIssue[] = []): UpdateDecodeResult {
  return {
    kind: 'session-reset',
    error: { code: ErrorCode.Update, subcode, data: new Uint8Array(0), reason },
    issues,
  };
}

export function decodeUpdate(body: Uint8Array, ctx: AttributeContext): UpdateDecodeResult {
  if (body.length < 4)
    return reset(UpdateSubcode.MalformedAttributeList, 'UPDATE shorter than its length fields');
  const withdrawnLength = (body[0]! << 8) | body[1]!;
  // RFC 4271 §6.3 and RFC 7606 §4: lengths that overrun the message are a Malformed Attribute List.
  if (2 + withdrawnLength + 2 > body.length) {
    return reset(
      UpdateSubcode.MalformedAttributeList,
      `withdrawn routes length ${withdrawnLength} overruns the message`,
    );
  }
  const attrStart = 2 + withdrawnLength + 2;
  const attrLength = (body[attrStart - 2]! << 8) | body[attrStart - 1]!;
  const attrEnd = attrStart + attrLength;
  if (attrEnd > body.length) {
    return reset(
      UpdateSubcode.MalformedAttributeList,
      `total path attribute length ${attrLength} overruns the message`,
    );
  }
  // RFC 7606 §5.3: NLRI that cannot be parsed leaves no way to withdraw it: session reset.
  const withdrawn = decodeNlri(body, 2, 2 + withdrawnLength, Afi.Ipv4, ctx.addPathIpv4);
  if (!withdrawn.ok) return reset(UpdateSubcode.InvalidNetworkField, `withdrawn routes: ${withdrawn.reason}`);
  const nlri = decodeNlri(body, attrEnd, body.length, Afi.Ipv4, ctx.addPathIpv4);
  if (!nlri.ok) return reset(UpdateSubcode.InvalidNetworkField, `NLRI: ${nlri.reason}`);
  const decoded = decodeAttributes(body, attrStart, attrEnd, ctx);
  const issues = decoded.issues;
  const attributes = decoded.attributes;
  const announces = nlri.value.length > 0 || (attributes.mpReach?.nlri.length ?? 0) > 0;
  if (announces) {
    const mandatory: number[] = [AttrType.Origin, AttrType.AsPath];
    if (nlri.value.length > 0) mandatory.push(AttrType.NextHop);
    for (const typeCode of mandatory) {
      if (decoded.seen.has(typeCode)) continue;
      issues.push({
        typeCode,
        kind: 'missing',
        action: attributeErrorAction(typeCode, 'missing'),
        error: {
          code: ErrorCode.Update,
          subcode: UpdateSubcode.MissingWellKnownAttribute,
          data: Uint8Array.of(typeCode),
          reason: `missing well-known attribute ${typeCode}`,
        },
      });
    }
  }
  const update: UpdateMessage = { withdrawn: withdrawn.value, attributes, nlri: nlri.value };
  const action = strongestAction(issues.map((i) => i.action));
  if (action === 'session-reset') {
    const first = issues.find((i) => i.action === 'session-reset')!;
    return { kind: 'session-reset', error: first.error, issues };
  }
  if (action === 'treat-as-withdraw') return { kind: 'treat-as-withdraw', update, issues };
  return { kind: 'ok', update, issues };
}

/** Every prefix an UPDATE names, announced or withdrawn, in any family (for treat-as-withdraw). */
export function allPrefixes(update: UpdateMessage): Nlri[] {
  return [
    ...update.withdrawn,
    ...update.nlri,
    ...(update.attributes.mpReach?.nlri ?? []),
    ...(update.attributes.mpUnreach?.withdrawn ?? []),
  ];
}

/**
 * The family an End-of-RIB marker closes (RFC 4724 §2): an empty UPDATE for IPv4 unicast, or one
 * holding only an empty MP_UNREACH_NLRI for another family. Undefined for any other UPDATE.
 */
export function endOfRib(update: UpdateMessage): AfiSafi | undefined {
  if (update.withdrawn.length > 0 || update.nlri.length > 0) return undefined;
  const { mpUnreach, ...rest } = update.attributes;
  const others = Object.values(rest).some((v) => v !== undefined);
  if (others) return undefined;
  if (!mpUnreach) return { afi: Afi.Ipv4, safi: Safi.Unicast };
  return mpUnreach.withdrawn.length === 0 ? { afi: mpUnreach.afi, safi: mpUnreach.safi } : undefined;
}

export function encodeUpdate(update: UpdateMessage, ctx: AttributeContext): Uint8Array {
  const withdrawn = encodeNlri(update.withdrawn, Afi.Ipv4, ctx.addPathIpv4);
  const attrs = encodeAttributes(update.attributes, ctx);
  const nlri = encodeNlri(update.nlri, Afi.Ipv4, ctx.addPathIpv4);
  const body = new Uint8Array(4 + withdrawn.length + attrs.length + nlri.length);
  body.set(uint16Bytes(withdrawn.length), 0);
  body.set(withdrawn, 2);
  body.set(uint16Bytes(attrs.length), 2 + withdrawn.length);
  body.set(attrs, 4 + withdrawn.length);
  body.set(nlri, 4 + withdrawn.length + attrs.length);
  return encodeMessage(MessageType.Update, body);
}

/** The End-of-RIB marker for a family (RFC 4724 §2). */
export function encodeEndOfRib(family: AfiSafi, ctx: AttributeContext): Uint8Array {
  if (family.afi === Afi.Ipv4 && family.safi === Safi.Unicast) {
    return encodeUpdate({ withdrawn: [], attributes: {}, nlri: [] }, ctx);
  }
  return encodeUpdate(
    {
      withdrawn: [],
      attributes: { mpUnreach: { afi: family.afi, safi: family.safi, withdrawn: [] } },
      nlri: [],
    },
    ctx,
  );
}
