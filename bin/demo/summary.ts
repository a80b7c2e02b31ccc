/**
 * The terminal summary of `cdn demo` (pure: DemoReportData in, text out), and the figures it shares
 * with the HTML report.
 */
import { alignColumns, formatHttpFleetTable } from '../../player-sim/index.js';
import { formatLadderSummary } from '../commands/encode.js';
import type { DemoEdgeSummary, DemoReportData, DemoRestart } from './reportData.js';

/** `value` with `digits` decimals, or "-" when it is missing or not finite. */
export function fixedOrDash(value: number | undefined, digits: number): string {
  return value === undefined || !Number.isFinite(value) ? '-' : value.toFixed(digits);
}

/** "82.8%" from a ratio, or "-" when it is not finite. */
export function percent(ratio: number, digits = 1): string {
  return Number.isFinite(ratio) ? `${(ratio * 100).toFixed(digits)}%` : '-';
}

/** Client requests an edge answered, all cache statuses together. */
export function edgeRequests(edge: DemoEdgeSummary): number {
  return Object.values(edge.requestsByStatus).reduce((sum, n) => sum + n, 0);
}

/** Bytes all edges sent to clients. */
export function servedBytes(data: DemoReportData): number {
  return data.edges.reduce((sum, e) => sum + e.bytesServed, 0);
}

/** Sessions that failed over at least once, and how many of those completed. */
export function failoverCounts(data: DemoReportData): { failedOver: number; completed: number } {
  const failedOver = data.fleet.sessions.filter((s) => s.failovers > 0);
  return {
    failedOver: failedOver.length,
    completed: failedOver.filter((s) => s.outcome === 'completed').length,
  };
}

/** "12.3 s" from ms. */
export function seconds(ms: number): string {
  return `${fixedOrDash(ms / 1000, 1)} s`;
}

/** The sentence on the BD-rate when the ladder has no fixed-ladder comparison (formatLadderSummary has one otherwise). */
export const NO_FIXED_LADDER = 'BD-rate: the fixed ladder was not encoded in this run, nothing to compare';

/** Columns of the per-edge table. */
export const EDGE_TABLE_HEADER = [
  'site',
  'edge',
  'requests',
  'hit %',
  'served MB',
  'fills peer/parent/origin',
  'coalesced',
  'prefetch used/issued',
  'state',
] as const;

function edgeTable(data: DemoReportData): string {
  const rows = data.edges.map((e) => [
    e.site,
    e.id,
    String(edgeRequests(e)),
    fixedOrDash(e.hitRatio * 100, 1),
    fixedOrDash(e.bytesServed / 1e6, 2),
    ['peer', 'parent', 'origin'].map((source) => String(e.fillsBySource[source] ?? 0)).join('/'),
    String(e.coalesced),
    `${e.prefetch.used}/${e.prefetch.issued}`,
    e.killedAtMs === undefined ? 'up' : `killed at ${seconds(e.killedAtMs)}`,
  ]);
  return alignColumns([EDGE_TABLE_HEADER, ...rows]);
}

/**
 * What `cdn demo` prints at the end: the run, the ladder with its BD-rate, where the routes came
 * from, each edge, the origin's offload, the QoE per ABR strategy, the failovers and where the
 * report is.
 */
/** One line on the killed edge's restart. */
export function formatRestart(r: DemoRestart): string {
  const answered =
    r.firstRequestCacheStatus === undefined ? '' : `; first request: ${r.firstRequestCacheStatus}`;
  return `${r.edgeId} restarted: ready in ${seconds(r.readyMs)} with ${r.diskObjects} objects kept by its disk tier, offered by steering again after ${seconds(r.backInSteeringMs)}${answered}`;
}

export function formatDemoSummary(data: DemoReportData, reportPath: string): string {
  const timings = Object.entries(data.timingsMs)
    .map(([phase, ms]) => `${phase} ${seconds(ms)}`)
    .join(', ');
  const { failedOver, completed } = failoverCounts(data);
  const fleet = data.fleet;
  const lines = [
    `cdn demo (${data.mode}): title ${data.title.id}, ${fixedOrDash(data.title.durationS, 1)} s, ${data.title.source}`,
    `time: ${timings}`,
    '',
    formatLadderSummary(data.ladder),
    ...(data.ladder.fixedLadder ? [] : [NO_FIXED_LADDER]),
    '',
    `routes (${data.routes.source}): ${data.routes.note}`,
    '',
    data.edges.length > 0 ? edgeTable(data) : 'edges: none ran',
    `origin: ${data.origin.contentRequests} requests, ${fixedOrDash(data.origin.contentBytes / 1e6, 2)} MB to the edges; offload ${percent(data.originOffload)} of ${fixedOrDash(servedBytes(data) / 1e6, 2)} MB served`,
    '',
    fleet.sessions.length > 0
      ? `QoE per ABR strategy (${fleet.mode}, ${fleet.sessions.length} of ${fleet.planned} sessions${fleet.interrupted ? ', interrupted' : ''}):\n${formatHttpFleetTable(fleet)}`
      : 'QoE: no sessions ran',
    `failovers: ${failedOver} session${failedOver === 1 ? '' : 's'} failed over, ${completed} of them completed`,
    ...(data.restart ? [formatRestart(data.restart)] : []),
    '',
    `report: ${reportPath}`,
  ];
  return lines.join('\n');
}
