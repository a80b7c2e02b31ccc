/**
 * The speaker's Prometheus series, on a registry passed in. The `peer` label is a configured
 * neighbor name (bounded by the config); `code` is one of seven NOTIFICATION code names.
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { errorCodeName } from './codec/constants.js';

export interface BgpMetrics {
  sessionUp(peer: string, up: boolean): void;
  prefixes(peer: string, received: number, accepted: number, rejected: number): void;
  ribSize(peer: string, routes: number): void;
  updateProcessed(durationS: number): void;
  notification(direction: 'sent' | 'received', code: number): void;
}

export function createBgpMetrics(registry: Registry, peers: readonly string[]): BgpMetrics {
  const up = new Gauge({
    name: 'cdn_bgp_sessions_up',
    help: 'Whether the BGP session with the peer is Established (1) or not (0)',
    labelNames: ['peer'],
    registers: [registry],
  });
  const received = new Counter({
    name: 'cdn_bgp_prefixes_received_total',
    help: 'Prefixes announced by the peer, before import policy',
    labelNames: ['peer'],
    registers: [registry],
  });
  const accepted = new Counter({
    name: 'cdn_bgp_prefixes_accepted_total',
    help: 'Announced prefixes that passed import policy',
    labelNames: ['peer'],
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'cdn_bgp_prefixes_rejected_total',
    help: 'Announced prefixes refused by import policy or treated as withdrawn (RFC 7606)',
    labelNames: ['peer'],
    registers: [registry],
  });
  const rib = new Gauge({
    name: 'cdn_bgp_adj_rib_in_routes',
    help: 'Routes held from the peer after import policy (stale ones included)',
    labelNames: ['peer'],
    registers: [registry],
  });
  const processing = new Histogram({
    name: 'cdn_bgp_update_processing_seconds',
    help: 'Time to decode one UPDATE and apply it to the RIBs',
    // 10 µs .. 100 ms: one UPDATE carries at most 4096 octets, a few hundred prefixes.
    buckets: [0.00001, 0.00003, 0.0001, 0.0003, 0.001, 0.003, 0.01, 0.03, 0.1],
    registers: [registry],
  });
  const notifications = new Counter({
    name: 'cdn_bgp_notifications_total',
    help: 'NOTIFICATION messages by direction and error code',
    labelNames: ['direction', 'code'],
    registers: [registry],
  });
  for (const peer of peers) {
    up.set({ peer }, 0);
    rib.set({ peer }, 0);
    received.inc({ peer }, 0);
    accepted.inc({ peer }, 0);
    rejected.inc({ peer }, 0);
  }
  return {
    sessionUp: (peer, isUp) => up.set({ peer }, isUp ? 1 : 0),
    prefixes: (peer, r, a, j) => {
      if (r) received.inc({ peer }, r);
      if (a) accepted.inc({ peer }, a);
      if (j) rejected.inc({ peer }, j);
    },
    ribSize: (peer, n) => rib.set({ peer }, n),
    updateProcessed: (s) => processing.observe(s),
    notification: (direction, code) => notifications.inc({ direction, code: errorCodeName(code) }),
  };
}
