import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { EDGE_STATES, type EdgeRegistry } from './registry.js';
import type { SelectionOutcome } from './select.js';

export type HeartbeatResult = 'applied' | 'duplicate' | 'unknown' | 'epoch' | 'rejected' | 'unauthorized';

/** The steering control plane's Prometheus series (on the registry passed in, never the global one). */
export interface SteeringMetrics {
  decisions: Counter<'outcome'>;
  selectionDuration: Histogram;
  heartbeats: Counter<'result'>;
  routeUpdates: Counter<'kind'>;
  /** Connects the gauges read at scrape time to the registry and clock. */
  bind(registry: EdgeRegistry, nowMs: () => number): void;
}

const OUTCOMES: readonly SelectionOutcome[] = ['matched_prefix', 'default', 'no_healthy_edge'];

export function createSteeringMetrics(registry: Registry): SteeringMetrics {
  let edges: EdgeRegistry | undefined;
  let clock: () => number = () => 0;
  const decisions = new Counter({
    name: 'cdn_steering_decisions_total',
    help: 'Steering decisions, by outcome (client in an announced prefix, default cluster, no edge in rotation)',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of OUTCOMES) decisions.inc({ outcome }, 0);
  const selectionDuration = new Histogram({
    name: 'cdn_steering_selection_duration_seconds',
    help: 'Time to rank edges for one client (route lookup and ranking)',
    // From 2 µs (a trie lookup and a handful of edges) to 10 ms (hundreds of candidate edges).
    buckets: [2e-6, 5e-6, 1e-5, 2.5e-5, 5e-5, 1e-4, 2.5e-4, 5e-4, 1e-3, 2.5e-3, 1e-2],
    registers: [registry],
  });
  const heartbeats = new Counter({
    name: 'cdn_steering_heartbeats_total',
    help: 'Edge registrations and heartbeats answered, by result',
    labelNames: ['result'] as const,
    registers: [registry],
  });
  const routeUpdates = new Counter({
    name: 'cdn_steering_route_updates_total',
    help: 'Route announcements and withdrawals applied from edge heartbeats',
    labelNames: ['kind'] as const,
    registers: [registry],
  });
  new Gauge({
    name: 'cdn_steering_route_table_prefixes',
    help: 'Distinct prefixes in the route table, by address family',
    labelNames: ['family'] as const,
    registers: [registry],
    collect() {
      if (!edges) return;
      const size = edges.routes.size;
      this.set({ family: 'ipv4' }, size.ipv4);
      this.set({ family: 'ipv6' }, size.ipv6);
    },
  });
  new Gauge({
    name: 'cdn_steering_edges',
    help: 'Registered edges, by state (active, draining, down, stale: heartbeats missed, pending: none yet)',
    labelNames: ['state'] as const,
    registers: [registry],
    collect() {
      if (!edges) return;
      const now = clock();
      const counts = Object.fromEntries(EDGE_STATES.map((s) => [s, 0]));
      for (const edge of edges.edges()) counts[edges.stateOf(edge, now)]!++;
      for (const state of EDGE_STATES) this.set({ state }, counts[state]!);
    },
  });
  new Gauge({
    name: 'cdn_steering_heartbeat_age_seconds',
    help: 'Time since each registered edge last sent a heartbeat (since registration before the first)',
    labelNames: ['edge'] as const,
    registers: [registry],
    collect() {
      if (!edges) return;
      const now = clock();
      // Forgotten edges disappear from the series.
      this.reset();
      for (const edge of edges.edges()) {
        this.set({ edge: edge.id }, (now - (edge.lastHeartbeatMs ?? edge.registeredAtMs)) / 1000);
      }
    },
  });
  return {
    decisions,
    selectionDuration,
    heartbeats,
    routeUpdates,
    bind(registryOfEdges, nowMs) {
      edges = registryOfEdges;
      clock = nowMs;
    },
  };
}
