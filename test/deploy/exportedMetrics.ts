/**
 * The metric names and label names the code really exports, read from running processes rather
 * than from the source: a real origin (every plugin: content, jobs, steering, QoE) and a real edge
 * with both cache tiers, its BGP speaker and control client on 127.0.0.1, scraped over HTTP (see
 * bin/docs/exportedMetrics.ts, shared with the metrics reference). Label names come from the samples
 * and from each metric's declared label names (series without samples yet still count).
 */
import type { Registry } from 'prom-client';
import { collectProcessMetrics } from '../../bin/docs/exportedMetrics.js';

export interface ExportedMetric {
  /** Which processes export it (process metrics: both). */
  sources: Set<'origin' | 'edge'>;
  /** The metric family's type from `# TYPE`. */
  type: string;
  labels: Set<string>;
}

/** Sample names (histograms as `_bucket`, `_sum`, `_count`) to what they carry. */
export type ExportedMetrics = Map<string, ExportedMetric>;

/** Labels every sample of a scrape carries: the registry's default labels. */
function commonLabels(sampleLabels: Set<string>[]): Set<string> {
  const [first, ...rest] = sampleLabels;
  return new Set([...(first ?? [])].filter((l) => rest.every((s) => s.has(l))));
}

/** Adds the families of one exposition text to `out`; declared label names from `registry`. */
export function addExposition(
  out: ExportedMetrics,
  text: string,
  registry: Registry,
  source: 'origin' | 'edge',
): void {
  const types = new Map<string, string>();
  const sampleLabels = new Map<string, Set<string>>();
  const allSamples: Set<string>[] = [];
  for (const line of text.split('\n')) {
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type) {
      types.set(type[1]!, type[2]!);
      continue;
    }
    const sample = /^([A-Za-z_:][\w:]*)(\{(.*)\})? /.exec(line);
    if (!sample) continue;
    const labels = new Set([...(sample[3] ?? '').matchAll(/([A-Za-z_]\w*)="/g)].map((m) => m[1]!));
    allSamples.push(labels);
    const seen = sampleLabels.get(sample[1]!) ?? new Set<string>();
    for (const l of labels) seen.add(l);
    sampleLabels.set(sample[1]!, seen);
  }
  const defaults = commonLabels(allSamples);
  for (const [family, type] of types) {
    const declared = (
      registry.getSingleMetric(family) as unknown as { labelNames?: readonly string[] } | undefined
    )?.labelNames;
    const base = new Set([...defaults, ...(declared ?? [])]);
    const names =
      type === 'histogram'
        ? [`${family}_bucket`, `${family}_sum`, `${family}_count`]
        : type === 'summary'
          ? [family, `${family}_sum`, `${family}_count`]
          : [family];
    for (const name of names) {
      const prior = out.get(name);
      const labels = new Set([...(prior?.labels ?? []), ...base, ...(sampleLabels.get(name) ?? [])]);
      if (name.endsWith('_bucket')) labels.add('le');
      if (type === 'summary' && name === family) labels.add('quantile');
      out.set(name, { sources: new Set([...(prior?.sources ?? []), source]), type, labels });
    }
  }
}

/** Starts an origin and an edge on 127.0.0.1 (bin/docs/exportedMetrics.ts), scrapes both, stops them. */
export async function collectExportedMetrics(): Promise<ExportedMetrics> {
  const out: ExportedMetrics = new Map();
  for (const p of await collectProcessMetrics()) addExposition(out, p.exposition, p.registry, p.process);
  return out;
}
