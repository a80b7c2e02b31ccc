/**
 * The metric names and label names the code really exports, read from running processes rather
 * than from the source: a real origin (every plugin: content, jobs, steering, QoE) and a real edge
 * with both cache tiers on 127.0.0.1, scraped over HTTP, plus the BGP speaker's metrics factory
 * (the edge registers it once a `bgp` section is configured). Label names come from the samples
 * and from each metric's declared label names (series without samples yet still count).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from '../../common/metrics.js';
import { createBgpMetrics } from '../../edge/bgp/index.js';
import { edgeConfigFromInput, startEdge } from '../../edge/index.js';
import { buildOriginApp, createEncodePipeline, originConfigFromInput } from '../../origin/index.js';

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

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}/metrics: ${response.status}`);
  return response.text();
}

/** Starts an origin and an edge on 127.0.0.1, scrapes both, stops them. */
export async function collectExportedMetrics(): Promise<ExportedMetrics> {
  const dir = await mkdtemp(join(tmpdir(), 'cdn-deploy-metrics-'));
  const out: ExportedMetrics = new Map();
  try {
    // As origin/main.ts builds it (default label `part`), with the real encode pipeline.
    const originRegistry = createMetricsRegistry({ defaultLabels: { part: 'origin' } });
    const origin = await buildOriginApp({
      config: originConfigFromInput({
        dataDir: join(dir, 'origin'),
        authDisabled: true,
        logLevel: 'silent',
      }),
      registry: originRegistry,
      createPipeline: (store) => createEncodePipeline({ store }),
    });
    try {
      const originUrl = await origin.listen({ host: '127.0.0.1', port: 0 });
      const edge = await startEdge(
        edgeConfigFromInput({
          nodeId: 'edge-metrics',
          listen: { host: '127.0.0.1', port: 0 },
          originUrl,
          disk: { dir: join(dir, 'edge'), maxBytes: 16 * 1024 * 1024 },
          logLevel: 'silent',
        }),
      );
      try {
        // One miss through the edge, so that request, upstream and origin series have samples.
        await fetch(`${edge.url}/content/none/manifest.mpd`, { signal: AbortSignal.timeout(10_000) }).then(
          (r) => r.arrayBuffer(),
        );
        addExposition(out, await scrape(originUrl), originRegistry, 'origin');
        addExposition(out, await scrape(edge.url), edge.registry, 'edge');
      } finally {
        await edge.close();
      }
    } finally {
      await origin.close();
    }
    // The speaker's series, registered as the edge registers them (edge default labels).
    const bgpRegistry = createMetricsRegistry({
      defaultLabels: { part: 'edge', node: 'edge-metrics' },
      processMetrics: false,
    });
    createBgpMetrics(bgpRegistry, ['isp']);
    addExposition(out, await bgpRegistry.metrics(), bgpRegistry, 'edge');
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  return out;
}
