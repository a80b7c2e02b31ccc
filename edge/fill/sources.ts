/**
 * The order in which a fill asks its sources (pure): peers of this node's cluster chosen by
 * rendezvous hashing on the cache key, then the parent tier (also rendezvous-ordered, so each
 * parent holds its share of the keys), then the origin.
 *
 * Peers: the cluster ranks every member (this node included) for the key. The peers ranked above
 * this node are asked, best first, at most MAX_PEER_SOURCES of them: the owner, and the member that
 * takes over the owner's keys when the owner is down (so it is the one that filled them
 * meanwhile). When this node ranks first it owns the key and asks no peer. A request that came
 * from a peer (see cdnLoop.ts) never goes to another peer, so a cluster whose members disagree
 * about the owner (a config rolled out to half the nodes) cannot bounce a request around.
 */
import { hrwRank, type Peer } from '../placement/hrw.js';

/** `worker`: the sibling worker process that owns the key on this node (`--workers`, edge/cluster.ts). */
export type FillSourceKind = 'worker' | 'peer' | 'parent' | 'origin';

export interface SourceRef {
  kind: FillSourceKind;
  /** The peer's or parent's id; `origin` for the origin. */
  id: string;
}

export interface FillTopology {
  /** This node's id, as the cluster's peer lists name it. */
  nodeId: string;
  /** The cluster's members (this node may be listed or not: it always takes part in the ranking). */
  peers: readonly Peer[];
  parents: readonly Peer[];
  /** This process's place among the node's worker processes, when there are several. */
  workers?: { index: number; count: number } | undefined;
}

/**
 * Peers asked before the parent tier, at most: the key's owner and its successor. A third peer
 * would only hold the key after two simultaneous failures; the parent is a better bet by then.
 */
export const MAX_PEER_SOURCES = 2;

export const ORIGIN_SOURCE: SourceRef = Object.freeze({ kind: 'origin', id: 'origin' });

/** Worker ids, as hrwRank ranks them: the indexes as strings. */
const workerIdsCache = new Map<number, Peer[]>();
function workerIds(count: number): Peer[] {
  let ids = workerIdsCache.get(count);
  if (ids === undefined) {
    ids = Array.from({ length: count }, (_, i) => ({ id: String(i) }));
    workerIdsCache.set(count, ids);
  }
  return ids;
}

/** The worker process of a node that owns `key` (fills it upstream and stores it on disk). */
export function ownerWorker(key: string, count: number): number {
  return count <= 1 ? 0 : Number(hrwRank(key, workerIds(count))[0]);
}

/**
 * The sources of a fill for `key`, in the order to try them; the origin is always last. A worker
 * that does not own the key asks the owner worker first, unless the request came from a sibling
 * worker (`fromSibling`: it is the owner being asked).
 */
export function planFillSources(
  key: string,
  topology: FillTopology,
  fromPeer: boolean,
  fromSibling = false,
): SourceRef[] {
  const plan: SourceRef[] = [];
  const workers = topology.workers;
  if (workers !== undefined && workers.count > 1 && !fromSibling) {
    const owner = ownerWorker(key, workers.count);
    if (owner !== workers.index) plan.push({ kind: 'worker', id: String(owner) });
  }
  if (!fromPeer && topology.peers.length > 0) {
    const members = topology.peers.some((p) => p.id === topology.nodeId)
      ? topology.peers
      : [...topology.peers, { id: topology.nodeId }];
    for (const id of hrwRank(key, members)) {
      if (id === topology.nodeId || plan.length === MAX_PEER_SOURCES) break;
      plan.push({ kind: 'peer', id });
    }
  }
  for (const id of hrwRank(key, topology.parents)) plan.push({ kind: 'parent', id });
  plan.push(ORIGIN_SOURCE);
  return plan;
}
