/**
 * The demo's system on loopback, as data: an origin with steering and the QoE collector; three
 * edges in two sites, the layout of deploy/compose.yaml (site A: edge-a1 and edge-a2, peers of one
 * cluster; site B: edge-b1, whose parent tier is site A); and, when BIRD is installed, the ISP's
 * router announcing each site its client prefixes over BGP. Pure: the shell picks the addresses
 * and ports and starts the processes.
 */
import type { EdgeConfigInput } from '../../edge/index.js';
import type { OriginConfigInput } from '../../origin/index.js';

/** The ISP's AS and the CDN's AS (private-use ASNs, RFC 6996), as in deploy/bird/. */
export const ISP_AS = 64500;
export const CDN_AS = 64512;
/** The community every announced route carries and the edges' import policy requires. */
export const CLIENT_COMMUNITY = '64500:100';

export interface DemoSite {
  id: string;
  /** Client prefixes the ISP announces to this site's edges (documentation space, RFC 5737 / 3849). */
  prefixes: readonly string[];
}

export const DEMO_SITES: readonly DemoSite[] = [
  { id: 'site-a', prefixes: ['198.51.100.0/24', '2001:db8:a::/48'] },
  { id: 'site-b', prefixes: ['203.0.113.0/24', '2001:db8:b::/48'] },
];

/**
 * The prefixes the fleet's clients come from, sites alternating and both address families:
 * session slot i takes the (i mod 4)-th (IPv4 of site A, of site B, then IPv6 of each).
 */
export const CLIENT_PREFIXES: readonly string[] = [0, 1].flatMap((family) =>
  DEMO_SITES.map((site) => site.prefixes[family]!),
);

export interface DemoEdgePlan {
  id: string;
  site: string;
  /** Ids of the other edges of its cluster (fill peers). */
  peers: readonly string[];
  /** Ids of its parent tier. */
  parents: readonly string[];
}

export const DEMO_EDGES: readonly DemoEdgePlan[] = [
  { id: 'edge-a1', site: 'site-a', peers: ['edge-a1', 'edge-a2'], parents: [] },
  { id: 'edge-a2', site: 'site-a', peers: ['edge-a1', 'edge-a2'], parents: [] },
  { id: 'edge-b1', site: 'site-b', peers: [], parents: ['edge-a1', 'edge-a2'] },
];

/** The edge the demo kills part way through the fleet: the first choice of site A's clients. */
export const DEMO_VICTIM = 'edge-a1';

/** Where one edge listens. */
export interface EdgeAddress {
  host: string;
  port: number;
  bgpPort: number;
}

export interface DemoSecrets {
  apiToken: string;
  /** URL-token key (base64, 32 bytes) shared by steering and the edges. */
  urlTokenKey: string;
  /** Fill-token key (base64, 32 bytes) the edges sign peer and parent fills with. */
  fillKey: string;
  /** Control-plane bearer token of each edge. */
  edgeTokens: Record<string, string>;
}

export interface DemoTiming {
  /** Heartbeat period the origin asks of edges, ms: a dead edge leaves rotation after 3 of them. */
  heartbeatIntervalMs: number;
  /** Content steering TTL, s: how soon players re-ask steering. */
  steeringTtlS: number;
}

export const DEMO_TIMING: DemoTiming = {
  // 1 s heartbeats, 3 missed: a killed edge leaves steering within about 4 s, fast enough to see
  // in a fleet of a minute, while 3 edges make 3 small requests a second.
  heartbeatIntervalMs: 1000,
  // Players re-read the steering manifest every 2 s, so sessions that started before the kill
  // learn the new ranking quickly (HLS/DASH content steering TTL, RFC 8216bis §7.2).
  steeringTtlS: 2,
};

export const hostUrl = (host: string, port: number): string =>
  `http://${host.includes(':') ? `[${host}]` : host}:${port}`;

export function originConfigInput(
  dataDir: string,
  host: string,
  secrets: DemoSecrets,
  timing: DemoTiming = DEMO_TIMING,
): OriginConfigInput {
  return {
    dataDir,
    ingestDir: `${dataDir}/ingest`,
    host,
    port: 0,
    apiToken: secrets.apiToken,
    logLevel: 'info',
    steering: {
      edgeTokens: secrets.edgeTokens,
      heartbeatIntervalMs: timing.heartbeatIntervalMs,
      missedHeartbeats: 3,
      // Clients outside every announced prefix go to site A.
      defaultCluster: 'site-a',
      // The demo's players claim addresses in the ISP's prefixes (they all really are 127.0.0.1).
      allowClientIpOverride: true,
      manifestTtlS: timing.steeringTtlS,
      tokens: { keyId: 'k1', key: secrets.urlTokenKey, ttlS: 3600 },
    },
    // Every player of the fleet reports from 127.0.0.1: no per-client rate limit.
    qoe: { sink: 'file', rateLimitEventsPerS: 0 },
  };
}

export function edgeConfigInput(
  plan: DemoEdgePlan,
  addresses: ReadonlyMap<string, EdgeAddress>,
  context: {
    originUrl: string;
    cacheDir: string;
    secrets: DemoSecrets;
    /** The ISP router's address when BGP is used; undefined: static routes. */
    birdHost: string | undefined;
  },
): EdgeConfigInput {
  const self = addresses.get(plan.id)!;
  const url = (id: string) => {
    const a = addresses.get(id)!;
    return { id, url: hostUrl(a.host, a.port) };
  };
  const site = DEMO_SITES.find((s) => s.id === plan.site)!;
  const { secrets } = context;
  return {
    nodeId: plan.id,
    listen: { host: self.host, port: self.port },
    originUrl: context.originUrl,
    logLevel: 'info',
    memory: { maxBytes: 64 * 1024 * 1024 },
    disk: { dir: context.cacheDir, maxBytes: 512 * 1024 * 1024 },
    tokens: { required: true, keys: { k1: secrets.urlTokenKey } },
    fillAuth: { keys: { f1: secrets.fillKey }, signingKeyId: 'f1' },
    ...(plan.peers.length > 0 ? { cluster: { id: plan.site, peers: plan.peers.map(url) } } : {}),
    parents: plan.parents.map(url),
    ...(context.birdHost !== undefined
      ? {
          bgp: {
            localAs: CDN_AS,
            routerId: routerIdFor(self.host, DEMO_EDGES.indexOf(plan)),
            listen: { host: self.host, port: self.bgpPort },
            connectRetryS: 1,
            idleHoldS: 1,
            neighbors: [{ name: 'isp', address: context.birdHost, peerAs: ISP_AS, passive: true }],
            importPolicy: {
              prefixes: [
                { prefix: '198.51.100.0/22', maxLength: 24 },
                { prefix: '203.0.113.0/24', maxLength: 24 },
                { prefix: '2001:db8::/32', maxLength: 48 },
              ],
              maxPrefixes: 1000,
              communities: { require: [CLIENT_COMMUNITY] },
            },
          },
        }
      : {}),
    control: {
      token: secrets.edgeTokens[plan.id]!,
      cluster: plan.site,
      capacityGbps: 10,
      routeFlushDelayMs: 50,
      backoff: { initialMs: 100, maxMs: 2000 },
      // The cache summary feeds steering's "has the title" preference: refresh it often here.
      cacheSummaryIntervalMs: 2000,
      ...(context.birdHost === undefined ? { staticRoutes: [...site.prefixes] } : {}),
    },
  };
}

/** A BGP router id: the edge's IPv4 address, or a documentation address when it shares 127.0.0.1. */
function routerIdFor(host: string, index: number): string {
  return host === '127.0.0.1' ? `192.0.2.${11 + index}` : host;
}

/**
 * BIRD 2 as the ISP's router: static client prefixes per site, exported with the community to
 * each edge's passive speaker (BIRD dials), multihop over loopback, quick timers so sessions come
 * up within a second or two.
 */
export function birdConfig(birdHost: string, addresses: ReadonlyMap<string, EdgeAddress>): string {
  const statics = DEMO_SITES.flatMap((site) => {
    const v4 = site.prefixes.filter((p) => !p.includes(':'));
    const v6 = site.prefixes.filter((p) => p.includes(':'));
    const name = site.id.replace(/-/g, '_');
    return [
      `protocol static ${name}_v4 { ipv4; ${v4.map((p) => `route ${p} blackhole;`).join(' ')} }`,
      `protocol static ${name}_v6 { ipv6; ${v6.map((p) => `route ${p} blackhole;`).join(' ')} }`,
    ];
  });
  const filters = DEMO_SITES.map((site) => {
    const name = site.id.replace(/-/g, '_');
    return `filter to_${name} {
  if proto != "${name}_v4" && proto != "${name}_v6" then reject;
  bgp_community.add((${CLIENT_COMMUNITY.replace(':', ',')}));
  accept;
}`;
  });
  const sessions = DEMO_EDGES.map((edge) => {
    const a = addresses.get(edge.id)!;
    const site = edge.site.replace(/-/g, '_');
    return `protocol bgp ${edge.id.replace(/-/g, '_')} {
  multihop;
  local ${birdHost} as ${ISP_AS};
  neighbor ${a.host} port ${a.bgpPort} as ${CDN_AS};
  connect delay time 0;
  connect retry time 1;
  error wait time 1, 2;
  ipv4 { import none; export filter to_${site}; };
  ipv6 { import none; export filter to_${site}; next hop address 2001:db8:ffff::2; };
}`;
  });
  return `# The demo's ISP router (generated by cdn demo).
router id 192.0.2.1;
log stderr all;
protocol device {}
${statics.join('\n')}
${filters.join('\n')}
${sessions.join('\n')}
`;
}
