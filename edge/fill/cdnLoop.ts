/**
 * Loop prevention between edges with the `CDN-Loop` request header (RFC 8586), pure.
 *
 *     CDN-Loop  = #cdn-info
 *     cdn-info  = OWS cdn-id *( OWS ";" OWS parameter )
 *
 * Every fill request an edge sends upstream (to a peer, a parent or the origin) carries the
 * `CDN-Loop` it received, with its own member appended (RFC 8586 §2: a CDN adds itself to the
 * field and never removes others): `<cdn-id>; node=<nodeId>`, where the cdn-id is the cluster's
 * id (or the node's id for a node outside any cluster). An edge reading a request's field:
 * - names itself (its cdn-id with its own node id, or its node id when it has no cluster):
 *   the request went round in a loop, and is refused with EDGE_ERR_FILL_LOOP (508, RFC 5842 §7.2)
 *   instead of being forwarded again (RFC 8586 §3);
 * - names its cluster with another node: the request comes from a peer, and goes on to the parent
 *   tier or the origin only, never to another peer;
 * - anything else: an ordinary client request.
 * Clients can send the header too; the worst they can do is skip the peers (a miss costs the
 * origin what it would anyway) or be refused.
 */

/** One member of the field: its cdn-id and parameters (names lower-cased, quoted values unquoted). */
export interface CdnLoopMember {
  cdnId: string;
  params: Readonly<Record<string, string>>;
}

export interface LoopIdentity {
  /** The cluster's id; undefined outside any cluster. */
  clusterId: string | undefined;
  nodeId: string;
}

export type LoopVerdict = { kind: 'client' } | { kind: 'peer'; fromNode: string } | { kind: 'loop' };

/**
 * Members read at most: a real chain is a peer, one or two parent tiers and perhaps another CDN;
 * a longer field is treated as a loop rather than parsed without bound.
 */
export const MAX_CDN_LOOP_MEMBERS = 16;

/** Longest field read, in characters (node's header limit is 16 KiB for all fields together). */
const MAX_CDN_LOOP_CHARS = 4096;

const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** Splits on `separator` outside quoted strings (RFC 9110 §5.6.4), keeping escapes. */
function splitOutsideQuotes(text: string, separator: string): string[] {
  const parts: string[] = [];
  let current = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted && c === '\\' && i + 1 < text.length) {
      current += c + text[++i]!;
      continue;
    }
    if (c === '"') quoted = !quoted;
    if (c === separator && !quoted) {
      parts.push(current);
      current = '';
    } else current += c;
  }
  parts.push(current);
  return parts;
}

function unquote(value: string): string {
  if (value.length >= 2 && value.startsWith('"') && value.endsWith('"')) {
    return value.slice(1, -1).replace(/\\(.)/g, '$1');
  }
  return value;
}

/**
 * The members of a `CDN-Loop` field (repeated fields are one list, RFC 9110 §5.3). Empty list
 * elements and members without a cdn-id are skipped. `undefined` when the field is too long or has
 * too many members to be anything but a loop.
 */
export function parseCdnLoop(value: string | readonly string[] | undefined): CdnLoopMember[] | undefined {
  if (value === undefined) return [];
  const text = typeof value === 'string' ? value : value.join(', ');
  if (text.length > MAX_CDN_LOOP_CHARS) return undefined;
  const members: CdnLoopMember[] = [];
  for (const element of splitOutsideQuotes(text, ',')) {
    const [idPart, ...paramParts] = splitOutsideQuotes(element, ';');
    const cdnId = (idPart ?? '').trim();
    if (cdnId === '') continue;
    if (members.length === MAX_CDN_LOOP_MEMBERS) return undefined;
    const params: Record<string, string> = {};
    for (const part of paramParts) {
      const eq = part.indexOf('=');
      if (eq <= 0) continue;
      const name = part.slice(0, eq).trim().toLowerCase();
      if (TOKEN.test(name)) params[name] = unquote(part.slice(eq + 1).trim());
    }
    members.push({ cdnId, params });
  }
  return members;
}

/** The cdn-id this node writes: its cluster's id, or its own id outside any cluster. */
function cdnIdOf(self: LoopIdentity): string {
  return self.clusterId ?? self.nodeId;
}

/** What a request's `CDN-Loop` members say about where it comes from (see the module comment). */
export function loopVerdict(members: readonly CdnLoopMember[] | undefined, self: LoopIdentity): LoopVerdict {
  if (members === undefined) return { kind: 'loop' };
  const cdnId = cdnIdOf(self);
  let fromNode: string | undefined;
  for (const member of members) {
    if (member.cdnId !== cdnId) continue;
    const node = member.params.node;
    if (self.clusterId === undefined || node === self.nodeId) return { kind: 'loop' };
    fromNode ??= node ?? '';
  }
  return fromNode === undefined ? { kind: 'client' } : { kind: 'peer', fromNode };
}

/** This node's member of the field: `<cdn-id>; node=<nodeId>` (the id quoted when not a token). */
export function cdnLoopMember(self: LoopIdentity): string {
  const node = TOKEN.test(self.nodeId) ? self.nodeId : `"${self.nodeId.replace(/(["\\])/g, '\\$1')}"`;
  return `${cdnIdOf(self)}; node=${node}`;
}

/** The field to send upstream: what the request carried, then this node's member. */
export function appendCdnLoop(received: string | readonly string[] | undefined, member: string): string {
  const prior = typeof received === 'string' ? received : received?.join(', ');
  return prior === undefined || prior.trim() === '' ? member : `${prior}, ${member}`;
}
