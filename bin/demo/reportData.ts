/**
 * What `cdn demo` measured, as plain data: the input of the summary it prints and of its HTML
 * report (both pure renderings of this), and the `summary.json` it writes beside the report.
 */
import type { LadderFile } from '../../encoder/index.js';
import type { HttpFleetReport } from '../../player-sim/index.js';

export interface DemoEdgeSummary {
  id: string;
  /** The site (steering cluster) the edge belongs to. */
  site: string;
  /** Base URL the edge serves on, e.g. http://127.0.0.11:40123. */
  url: string;
  /** Ids of the edges it fills from before the origin (its parent tier); empty for none. */
  parents: string[];
  /** Ids of the peers of its cluster (itself included); empty for none. */
  peers: string[];
  /** Client prefixes it announced to steering. */
  prefixes: string[];
  /** Ms after the fleet's start at which the demo killed it; absent when it ran to the end. */
  killedAtMs?: number;
  /** Client requests by cache status (hit, miss, stale, ...) from its /metrics. */
  requestsByStatus: Record<string, number>;
  /** Hits over all client requests answered from the cache or filled (0..1); NaN with no request. */
  hitRatio: number;
  /** Bytes sent to clients. */
  bytesServed: number;
  /** Fills upstream by source (peer, parent, origin) as requests. */
  fillsBySource: Record<string, number>;
  /** Client requests that joined a fill already in flight (coalesced). */
  coalesced: number;
  /** CMCD prefetches: issued, later used by a client, wasted (evicted or expired unused). */
  prefetch: { issued: number; used: number; wasted: number };
}

/** One sample of an edge's hit ratio, from two consecutive /metrics scrapes. */
export interface HitRatioPoint {
  /** Ms after the fleet's start. */
  tMs: number;
  /** Hits over requests between this scrape and the previous one; NaN when there were none. */
  intervalRatio: number;
  /** Hits over requests since the start. */
  cumulativeRatio: number;
  /** Requests between the two scrapes. */
  requests: number;
}

export interface SessionTimelinePoint {
  /** Ms after the session's start. */
  tMs: number;
  /** Bitrate of the rung playing at tMs, kbit/s; undefined before playback starts. */
  bitrateKbps: number | undefined;
  /** Seconds of media buffered ahead of the playhead at tMs. */
  bufferS: number;
}

export interface DemoSessionTimeline {
  sessionId: string;
  strategy: string;
  trace: string;
  clientIp?: string;
  /** Edges used, in order; more than one after a failover. */
  edges: string[];
  failovers: number;
  outcome: string;
  /** Ms after the fleet's start at which the session started. */
  startOffsetMs: number;
  points: SessionTimelinePoint[];
  /** Ms after the session's start of each stall: start and duration. */
  rebuffers: { startMs: number; durationMs: number }[];
  /** Ms after the session's start of each failover (the report marks them), when they were recorded. */
  failoverAtMs?: number[];
}

export interface DemoRestart {
  edgeId: string;
  /** From the new process's start to its /readyz answering 200, ms. */
  readyMs: number;
  /** Objects its disk tier reopened (survived the SIGKILL). */
  diskObjects: number;
  /** From the start until steering offered the edge to its site's clients again, ms. */
  backInSteeringMs: number;
  /** RFC 9211 Cache-Status of a first request for the title's manifest after the restart. */
  firstRequestCacheStatus?: string;
}

export interface DemoReportData {
  /** ISO 8601 time the report was made. */
  generatedAt: string;
  /** `quick` for the shorter run (`--quick`). */
  mode: 'full' | 'quick';
  title: {
    id: string;
    durationS: number;
    /** What the source was: "generated: 30 s 1280x720 lavfi 'moderate' with audio", or a file name. */
    source: string;
  };
  /** The encoder's ladder.json: probes, convex hull, chosen rungs with measured quality, fixed ladder and BD-rate. */
  ladder: LadderFile;
  /** Where the edges' client prefixes came from, and a sentence saying so. */
  routes: { source: 'bgp' | 'static'; note: string };
  origin: {
    url: string;
    /** Requests and bytes the origin served to edges under /content. */
    contentRequests: number;
    contentBytes: number;
  };
  edges: DemoEdgeSummary[];
  /** 1 - origin content bytes / bytes all edges served to clients (0..1). */
  originOffload: number;
  hitRatioSeries: { edgeId: string; points: HitRatioPoint[] }[];
  fleet: HttpFleetReport;
  sessions: DemoSessionTimeline[];
  /** The killed edge started again after the fleet, on the same disk tier. */
  restart?: DemoRestart;
  /** Wall time of each phase, ms (encode, package, start, fleet, total). */
  timingsMs: Record<string, number>;
}
