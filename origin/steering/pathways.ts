/**
 * What players report on each content steering reload, and how it changes the priority (pure).
 *
 * HLS (Apple "HLS Content Steering" §5): `_HLS_pathway="<id>"` is the pathway in use and
 * `_HLS_throughput=<bit/s>` the player's throughput estimate. DASH (DASH-IF CTS 001 / ETSI TS 103 998
 * §7.3, as dash.js sends it): `_DASH_pathway="<id>,<id>"` lists the service locations used since the
 * last request and `_DASH_throughput=<bit/s>,<bit/s>` their throughputs, paired by position (missing
 * ones at the end). Values may come with or without the double quotes.
 *
 * A pathway is demoted for the session (moved behind every other pathway, order otherwise kept) for
 * `holdMs` when the player reports it below the throughput floor, or when the player left the
 * pathway this server put first last time (it failed over, so that edge is failing for it).
 */
import { PATHWAY_ID_PATTERN } from '../../manifests/index.js';

export interface PathwayReport {
  pathway: string;
  throughputBps?: number;
}

export interface SteeringQuery {
  _HLS_pathway?: string;
  _HLS_throughput?: string;
  _DASH_pathway?: string;
  _DASH_throughput?: string;
}

export type ReportParse = { ok: true; reports: PathwayReport[] } | { ok: false; reason: string };

const THROUGHPUT_TEXT = /^[0-9]{1,15}(\.[0-9]+)?$/;

function unquote(text: string): string {
  return text.length >= 2 && text.startsWith('"') && text.endsWith('"') ? text.slice(1, -1) : text;
}

function parseList(
  name: string,
  pathwaysText: string | undefined,
  throughputText: string | undefined,
): ReportParse {
  if (pathwaysText === undefined) {
    return throughputText === undefined || throughputText === ''
      ? { ok: true, reports: [] }
      : { ok: false, reason: `${name}_throughput without ${name}_pathway` };
  }
  const pathways = unquote(pathwaysText)
    .split(',')
    .filter((p) => p !== '');
  for (const p of pathways) {
    if (!PATHWAY_ID_PATTERN.test(p))
      return { ok: false, reason: `${name}_pathway ${JSON.stringify(p)} is not a pathway id` };
  }
  const throughputs = throughputText === undefined ? [] : unquote(throughputText).split(',');
  if (throughputs.length > pathways.length && throughputs.some((t, i) => i >= pathways.length && t !== '')) {
    return { ok: false, reason: `${name}_throughput has more values than ${name}_pathway` };
  }
  const reports: PathwayReport[] = [];
  for (const [i, pathway] of pathways.entries()) {
    const t = throughputs[i];
    if (t === undefined || t === '') {
      reports.push({ pathway });
      continue;
    }
    if (!THROUGHPUT_TEXT.test(t))
      return { ok: false, reason: `${name}_throughput ${JSON.stringify(t)} is not a number` };
    reports.push({ pathway, throughputBps: Number(t) });
  }
  return { ok: true, reports };
}

/** The pathways a player reports (HLS or DASH parameters; HLS wins when both are present). */
export function parseSteeringReport(query: SteeringQuery): ReportParse {
  if (query._HLS_pathway !== undefined || query._HLS_throughput !== undefined) {
    const hls = parseList('_HLS', query._HLS_pathway, query._HLS_throughput);
    if (hls.ok && hls.reports.length > 1)
      return { ok: false, reason: '_HLS_pathway names one pathway (the one in use)' };
    return hls;
  }
  return parseList('_DASH', query._DASH_pathway, query._DASH_throughput);
}

/** What the server remembers of one session between reloads. */
export interface SessionMemory {
  /** The pathway put first in the last answer. */
  lastFirst?: string;
  /** Demoted pathways and until when, in ms since the epoch. */
  demotedUntilMs: Readonly<Record<string, number>>;
}

export interface Demotion {
  pathway: string;
  reason: 'slow' | 'left';
}

export interface PriorityInput {
  /** Edge ids ranked by selection, best first. */
  ranking: readonly string[];
  reports: readonly PathwayReport[];
  memory: SessionMemory | undefined;
  nowMs: number;
  /** Below this a pathway is slow, in bit/s. */
  minThroughputBps: number;
  holdMs: number;
  /**
   * Edges selection placed in the same tier as the first (the same prefix match, or all in the
   * default cluster). A session reporting one of them as its pathway keeps it first: moving a
   * playing session between equally good edges (say, because one reported the title cached a
   * heartbeat earlier) costs a new connection and cold caches and buys nothing.
   */
  sameTierAsFirst?: readonly string[];
}

export interface PriorityResult {
  priority: string[];
  memory: SessionMemory;
  /** Demotions made by this request. */
  demoted: Demotion[];
}

/** The steering priority for one reload, and the session's new memory. */
export function steeringPriority(input: PriorityInput): PriorityResult {
  const { ranking, reports, nowMs } = input;
  const until: Record<string, number> = {};
  for (const [pathway, t] of Object.entries(input.memory?.demotedUntilMs ?? {})) {
    if (t > nowMs) until[pathway] = t;
  }
  const demoted: Demotion[] = [];
  const demote = (pathway: string, reason: Demotion['reason']): void => {
    until[pathway] = nowMs + input.holdMs;
    if (!demoted.some((d) => d.pathway === pathway)) demoted.push({ pathway, reason });
  };
  const lastFirst = input.memory?.lastFirst;
  if (
    lastFirst !== undefined &&
    reports.length > 0 &&
    ranking.includes(lastFirst) &&
    !reports.some((r) => r.pathway === lastFirst)
  ) {
    demote(lastFirst, 'left');
  }
  for (const r of reports) {
    if (
      r.throughputBps !== undefined &&
      r.throughputBps < input.minThroughputBps &&
      ranking.includes(r.pathway)
    ) {
      demote(r.pathway, 'slow');
    }
  }
  const isDemoted = (id: string): boolean => until[id] !== undefined;
  const priority = [...ranking.filter((id) => !isDemoted(id)), ...ranking.filter(isDemoted)];
  const current = reports.at(-1)?.pathway;
  if (
    current !== undefined &&
    !isDemoted(current) &&
    priority.includes(current) &&
    input.sameTierAsFirst?.includes(current) === true
  ) {
    priority.splice(priority.indexOf(current), 1);
    priority.unshift(current);
  }
  const memory: SessionMemory = { demotedUntilMs: until };
  if (priority[0] !== undefined) memory.lastFirst = priority[0];
  return { priority, memory, demoted };
}
