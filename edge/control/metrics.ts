/**
 * The control client's Prometheus series, on the edge's registry. Gauges are read from the client
 * at scrape time; counters follow its events. Labels are bounded (`result`: ok or error).
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import type { ControlEvent, ControlStats } from './client.js';

export interface ControlMetrics {
  /** Counts one client event (pass it the client's onEvent). */
  event(event: ControlEvent): void;
}

export function createControlMetrics(
  registry: Registry,
  stats: () => ControlStats,
  nowMs: () => number = Date.now,
): ControlMetrics {
  const heartbeats = new Counter({
    name: 'cdn_edge_control_heartbeats_total',
    help: 'Control plane calls by result: ok for each acknowledged heartbeat, error for each failed registration or heartbeat',
    labelNames: ['result'],
    registers: [registry],
  });
  const routesSent = new Counter({
    name: 'cdn_edge_control_routes_sent_total',
    help: 'Route announcements and withdrawals sent to the control plane (resends included)',
    registers: [registry],
  });
  const resyncs = new Counter({
    name: 'cdn_edge_control_resyncs_total',
    help: 'Times the control plane had forgotten this edge, so it registered again and resent its table',
    registers: [registry],
  });
  heartbeats.inc({ result: 'ok' }, 0);
  heartbeats.inc({ result: 'error' }, 0);
  let lastOkMs: number | undefined;
  new Gauge({
    name: 'cdn_edge_control_registered',
    help: 'Whether the edge is registered with the steering control plane (1) or not (0)',
    registers: [registry],
    collect() {
      this.set(stats().registered ? 1 : 0);
    },
  });
  new Gauge({
    name: 'cdn_edge_control_routes',
    help: 'Routes this edge reports to the control plane, and those not yet acknowledged',
    labelNames: ['state'],
    registers: [registry],
    collect() {
      const s = stats();
      this.set({ state: 'advertised' }, s.routes);
      this.set({ state: 'pending' }, s.pendingRoutes);
    },
  });
  new Gauge({
    name: 'cdn_edge_control_heartbeat_age_seconds',
    help: 'Seconds since the last heartbeat the control plane acknowledged (absent before the first)',
    registers: [registry],
    collect() {
      this.reset();
      if (lastOkMs !== undefined) this.set((nowMs() - lastOkMs) / 1000);
    },
  });
  return {
    event(event) {
      switch (event.kind) {
        case 'heartbeat':
          lastOkMs = nowMs();
          heartbeats.inc({ result: 'ok' });
          routesSent.inc(event.routesSent);
          break;
        case 'error':
          heartbeats.inc({ result: 'error' });
          break;
        case 'resync':
          resyncs.inc();
          break;
        case 'registered':
        case 'routes_rejected':
          break;
      }
    },
  };
}
