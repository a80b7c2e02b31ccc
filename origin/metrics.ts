import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { JOB_STATES } from './jobs/types.js';
import type { JobQueue } from './jobs/queue.js';
import type { ContentStore } from './store/types.js';

/** The origin's Prometheus series (registered on the registry passed in, never the global one). */
export interface OriginMetrics {
  requests: Counter<'route' | 'method' | 'status'>;
  responseBytes: Counter<'route'>;
  jobPhaseDuration: Histogram<'phase'>;
  openStreams: Gauge;
  /** Connects the gauges read at scrape time (job counts, queue depth, store size). */
  bind(sources: { queue: JobQueue; store: ContentStore }): void;
}

export function createOriginMetrics(registry: Registry): OriginMetrics {
  let queue: JobQueue | undefined;
  let store: ContentStore | undefined;
  const requests = new Counter({
    name: 'cdn_origin_requests_total',
    help: 'HTTP requests answered, by route pattern, method and status',
    labelNames: ['route', 'method', 'status'] as const,
    registers: [registry],
  });
  const responseBytes = new Counter({
    name: 'cdn_origin_response_bytes_total',
    help: 'Body bytes of completed responses, by route pattern',
    labelNames: ['route'] as const,
    registers: [registry],
  });
  const jobPhaseDuration = new Histogram({
    name: 'cdn_origin_job_phase_duration_seconds',
    help: 'Time encode jobs spend in each phase (queued: waiting for a slot)',
    labelNames: ['phase'] as const,
    // From a second (packaging a short title) to two hours (a feature film's ladder search).
    buckets: [1, 5, 15, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200],
    registers: [registry],
  });
  const openStreams = new Gauge({
    name: 'cdn_origin_open_streams',
    help: 'File streams open for responses in flight',
    registers: [registry],
  });
  new Gauge({
    name: 'cdn_origin_jobs',
    help: 'Encode jobs known (running, queued and retained finished ones), by state',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!queue) return;
      const counts = queue.counts();
      for (const state of JOB_STATES) this.set({ state }, counts[state]);
    },
  });
  new Gauge({
    name: 'cdn_origin_queue_depth',
    help: 'Encode jobs waiting for a slot',
    registers: [registry],
    collect() {
      if (queue) this.set(queue.depth());
    },
  });
  new Gauge({
    name: 'cdn_origin_store_bytes',
    help: 'Bytes of every stored version of every published title',
    registers: [registry],
    async collect() {
      if (store) this.set((await store.usage()).bytes);
    },
  });
  new Gauge({
    name: 'cdn_origin_store_titles',
    help: 'Published titles',
    registers: [registry],
    async collect() {
      if (store) this.set((await store.usage()).titles);
    },
  });
  return {
    requests,
    responseBytes,
    jobPhaseDuration,
    openStreams,
    bind(sources) {
      queue = sources.queue;
      store = sources.store;
    },
  };
}
