/**
 * What the demo reads from the processes' `/metrics` (Prometheus text exposition 0.0.4): samples,
 * and the figures of an edge and of the origin built from them. Pure: text in, numbers out.
 */

export interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

const SAMPLE_LINE = /^([A-Za-z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/;
const LABEL_PAIR = /([A-Za-z_]\w*)="((?:[^"\\]|\\.)*)"/g;

const unescapeLabel = (value: string): string =>
  value.replace(/\\(["\\n])/g, (_, c: string) => (c === 'n' ? '\n' : c));

/** Every sample of an exposition; comments, blank and malformed lines are skipped. */
export function parseExposition(text: string): Sample[] {
  const samples: Sample[] = [];
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = SAMPLE_LINE.exec(line);
    if (!match) continue;
    const value = Number(match[3]);
    if (Number.isNaN(value) && match[3] !== 'NaN') continue;
    const labels: Record<string, string> = {};
    for (const pair of (match[2] ?? '').matchAll(LABEL_PAIR)) labels[pair[1]!] = unescapeLabel(pair[2]!);
    samples.push({ name: match[1]!, labels, value });
  }
  return samples;
}

/** Sum of the samples named `name` whose labels include `match`. */
export function sumOf(samples: readonly Sample[], name: string, match: Record<string, string> = {}): number {
  let sum = 0;
  for (const s of samples) {
    if (s.name !== name) continue;
    if (Object.entries(match).every(([k, v]) => s.labels[k] === v)) sum += s.value;
  }
  return sum;
}

/** Sums of `name` by the value of `label`. */
export function byLabel(samples: readonly Sample[], name: string, label: string): Record<string, number> {
  const out: Record<string, number> = {};
  for (const s of samples) {
    if (s.name !== name) continue;
    const key = s.labels[label] ?? '';
    out[key] = (out[key] ?? 0) + s.value;
  }
  return out;
}

/**
 * Cache statuses answered without a body fetched upstream for that request: the recording rule
 * `cdn:edge_cached_requests:rate5m` in deploy/prometheus/alerts.yaml counts the same ones.
 */
export const CACHED_STATUSES: readonly string[] = [
  'hit',
  'stale',
  'stale_if_error',
  'revalidated',
  'collapsed',
];

export interface EdgeFigures {
  requestsByStatus: Record<string, number>;
  requests: number;
  cachedRequests: number;
  bytesServed: number;
  /** Upstream fill requests by source (peer, parent, origin). */
  fillsBySource: Record<string, number>;
  coalesced: number;
  prefetch: { issued: number; used: number; wasted: number };
}

export function edgeFigures(samples: readonly Sample[]): EdgeFigures {
  const requestsByStatus = byLabel(samples, 'cdn_edge_requests_total', 'cache_status');
  const requests = Object.values(requestsByStatus).reduce((a, b) => a + b, 0);
  const cachedRequests = CACHED_STATUSES.reduce((sum, s) => sum + (requestsByStatus[s] ?? 0), 0);
  const prefetch = byLabel(samples, 'cdn_edge_prefetch_total', 'outcome');
  return {
    requestsByStatus,
    requests,
    cachedRequests,
    bytesServed: sumOf(samples, 'cdn_edge_response_bytes_total'),
    fillsBySource: byLabel(samples, 'cdn_edge_upstream_requests_total', 'source'),
    coalesced: sumOf(samples, 'cdn_edge_coalesced_waiters_total'),
    prefetch: { issued: prefetch.issued ?? 0, used: prefetch.used ?? 0, wasted: prefetch.wasted ?? 0 },
  };
}

/** Cached over all requests; NaN with none. */
export function hitRatioOf(figures: Pick<EdgeFigures, 'requests' | 'cachedRequests'>): number {
  return figures.requests > 0 ? figures.cachedRequests / figures.requests : Number.NaN;
}

/** The origin's `/content` traffic: requests and body bytes. */
export function originContentFigures(samples: readonly Sample[]): { requests: number; bytes: number } {
  return {
    requests: sumOf(samples, 'cdn_origin_requests_total', { route: '/content/*' }),
    bytes: sumOf(samples, 'cdn_origin_response_bytes_total', { route: '/content/*' }),
  };
}
