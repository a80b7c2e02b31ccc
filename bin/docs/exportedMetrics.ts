/**
 * What the real registries export, read from running processes rather than from the source: a real
 * origin (every plugin: content, jobs, steering, QoE) and a real edge with both cache tiers, its BGP
 * speaker and its control-plane client, on 127.0.0.1. Used by the metrics reference (docs/metrics.md)
 * and by the deploy checks (test/deploy: every dashboard and rule query names an exported metric).
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from '../../common/metrics.js';
import { edgeConfigFromInput, startEdge } from '../../edge/index.js';
import { buildOriginApp, createEncodePipeline, originConfigFromInput } from '../../origin/index.js';

export type MetricsProcess = 'origin' | 'edge';

/** One metric family as its registry declares it. */
export interface MetricFamily {
  name: string;
  /** counter, gauge, histogram or summary. */
  type: string;
  help: string;
  /** Declared label names (default labels and `le`/`quantile` not included). */
  labelNames: string[];
}

/** One process's registry: its families, its default labels and a scrape of it. */
export interface ProcessMetrics {
  process: MetricsProcess;
  families: MetricFamily[];
  /** Labels the registry adds to every series (`part`, `node`). */
  defaultLabels: string[];
  /** The `/metrics` exposition text, scraped over HTTP while the process ran. */
  exposition: string;
  registry: Registry;
}

interface DeclaredMetric {
  name: string;
  help: string;
  type: string;
  labelNames?: readonly string[];
}

/** The families a registry declares, by name. */
export function familiesOf(registry: Registry): MetricFamily[] {
  return (registry.getMetricsAsArray() as unknown as DeclaredMetric[])
    .map((m) => ({ name: m.name, type: String(m.type), help: m.help, labelNames: [...(m.labelNames ?? [])] }))
    .sort((a, b) => a.name.localeCompare(b.name));
}

/** Labels every series of a registry carries: the ones it adds by default. */
async function defaultLabelsOf(registry: Registry): Promise<string[]> {
  const series = (await registry.getMetricsAsJSON()).flatMap((m) =>
    (m.values as { labels: Record<string, unknown> }[]).map((v) => new Set(Object.keys(v.labels))),
  );
  const [first, ...rest] = series;
  return [...(first ?? [])].filter((l) => rest.every((s) => s.has(l))).sort();
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(10_000) });
  if (!response.ok) throw new Error(`GET ${url}/metrics: ${response.status}`);
  return response.text();
}

/** Starts an origin and an edge on 127.0.0.1, reads both registries and scrapes both, stops them. */
export async function collectProcessMetrics(): Promise<ProcessMetrics[]> {
  const dir = await mkdtemp(join(tmpdir(), 'cdn-metrics-'));
  try {
    // As origin/main.ts builds it (default label `part`), with the real encode pipeline.
    const originRegistry = createMetricsRegistry({ defaultLabels: { part: 'origin' } });
    const origin = await buildOriginApp({
      config: originConfigFromInput({ dataDir: join(dir, 'origin'), authDisabled: true, logLevel: 'silent' }),
      registry: originRegistry,
      createPipeline: (store) => createEncodePipeline({ store }),
    });
    try {
      const originUrl = await origin.listen({ host: '127.0.0.1', port: 0 });
      // Every edge section that registers series: disk tier, BGP speaker (a neighbor, so that the
      // per-peer series exist; it never connects), control client (registers with the origin).
      const edge = await startEdge(
        edgeConfigFromInput({
          nodeId: 'edge-metrics',
          listen: { host: '127.0.0.1', port: 0 },
          originUrl,
          disk: { dir: join(dir, 'edge'), maxBytes: 16 * 1024 * 1024 },
          logLevel: 'silent',
          bgp: {
            localAs: 64512,
            routerId: '192.0.2.1',
            listen: { host: '127.0.0.1', port: 0 },
            neighbors: [{ name: 'isp', address: '127.0.0.2', peerAs: 64500, passive: true }],
          },
          control: { cluster: 'metrics', capacityGbps: 1 },
        }),
      );
      try {
        // One miss through the edge, so that request, upstream and origin series have samples.
        await fetch(`${edge.url}/content/none/manifest.mpd`, { signal: AbortSignal.timeout(10_000) }).then(
          (r) => r.arrayBuffer(),
        );
        const read = async (
          process: MetricsProcess,
          url: string,
          registry: Registry,
        ): Promise<ProcessMetrics> => ({
          process,
          families: familiesOf(registry),
          defaultLabels: await defaultLabelsOf(registry),
          exposition: await scrape(url),
          registry,
        });
        return [await read('origin', originUrl, originRegistry), await read('edge', edge.url, edge.registry)];
      } finally {
        await edge.close();
      }
    } finally {
      await origin.close();
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/** The families prom-client's default process metrics add (`cdn_` prefix), which vary by platform. */
export function processMetricNames(): Set<string> {
  return new Set(familiesOf(createMetricsRegistry()).map((f) => f.name));
}
