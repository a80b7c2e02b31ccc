/**
 * deploy/compose.yaml without Docker: parsed and cross-checked against the files it mounts (edge
 * and origin configs validated by the parts' own schemas, the BIRD router config, Prometheus and
 * Grafana provisioning), and validated by `docker-compose config` when docker-compose is installed.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parsePrefix, prefixContains } from '../../edge/bgp/index.js';
import { originConfigFromInput } from '../../origin/index.js';
import { checkEdgeConfig, type CheckedEdgeConfig } from './edgeConfig.js';
import {
  DEPLOY,
  birdAddedCommunities,
  birdBgpProtocols,
  birdStaticRoutes,
  expectBirdParses,
  isRecord,
  onPath,
  readJson,
  readText,
  readYaml,
  record,
  run,
} from './helpers.js';

const EDGES = ['edge-a1', 'edge-a2', 'edge-b1'] as const;

/** `${NAME:-default}` as compose resolves it with NAME unset. */
function withDefaults(value: string): string {
  return value.replace(/\$\{\w+:-([^}]*)\}/g, '$1');
}

/** A service's `environment` as a map (compose accepts a map or a list of KEY=VALUE). */
function environmentOf(service: Record<string, unknown>): Record<string, string> {
  const env = service.environment;
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const [k, ...v] = String(e).split('=');
        return [k!, withDefaults(v.join('='))];
      }),
    );
  }
  return Object.fromEntries(
    Object.entries(isRecord(env) ? env : {}).map(([k, v]) => [k, withDefaults(String(v))]),
  );
}

/** Bind mounts of a service: host path (relative to deploy/) to container path. */
function bindMounts(service: Record<string, unknown>): { host: string; container: string }[] {
  const volumes = Array.isArray(service.volumes) ? (service.volumes as unknown[]) : [];
  return volumes
    .map((v) => String(v).split(':'))
    .filter(([host]) => host!.startsWith('.') || host!.startsWith('/') || host!.startsWith('${'))
    .map(([host, container]) => ({ host: host!, container: container! }));
}

function ipv4Of(service: Record<string, unknown>): string {
  const networks = record(service.networks, 'networks');
  return String(record(networks.cdn, 'networks.cdn').ipv4_address);
}

describe('deploy/compose.yaml', () => {
  let services: Record<string, Record<string, unknown>>;
  let compose: Record<string, unknown>;
  const edges = new Map<string, CheckedEdgeConfig>();
  let originJson: Record<string, unknown>;

  beforeAll(async () => {
    compose = record(await readYaml(DEPLOY, 'compose.yaml'), 'compose.yaml');
    services = Object.fromEntries(
      Object.entries(record(compose.services, 'services')).map(([k, v]) => [k, record(v, k)]),
    );
    for (const name of EDGES) {
      const mount = bindMounts(services[name]!).find((m) => m.container === '/etc/cdn/edge.json')!;
      edges.set(name, checkEdgeConfig(record(await readJson(DEPLOY, mount.host), mount.host), mount.host));
    }
    originJson = record(await readJson(DEPLOY, 'config', 'origin.json'), 'origin.json');
  });

  it('has an origin, three edges in two sites, BIRD, Prometheus and Grafana', () => {
    for (const name of ['origin', ...EDGES, 'isp-router', 'prometheus', 'grafana']) {
      expect(services[name], name).toBeDefined();
    }
    const sites = new Map<string, string[]>();
    for (const name of EDGES) {
      const site = edges.get(name)!.control?.cluster ?? '';
      sites.set(site, [...(sites.get(site) ?? []), name]);
    }
    expect([...sites.values()].map((s) => s.length).sort()).toEqual([1, 2]);
  });

  it('passes `docker-compose config` (the Compose schema)', async (ctx) => {
    const dockerCompose = onPath('docker-compose');
    if (!dockerCompose) ctx.skip('docker-compose is not installed (Debian package docker-compose)');
    const result = await run(dockerCompose!, ['-f', 'compose.yaml', 'config', '-q'], { cwd: DEPLOY });
    expect(result.stderrTail).toBe('');
    expect(result.exitCode).toBe(0);
  });

  it('mounts and builds only files that exist', () => {
    for (const [name, service] of Object.entries(services)) {
      for (const mount of bindMounts(service)) {
        // Defaults outside the repository (model and media directories) are the user's to provide.
        if (mount.host.startsWith('${')) continue;
        expect(existsSync(join(DEPLOY, mount.host)), `${name}: ${mount.host}`).toBe(true);
      }
      if (isRecord(service.build)) {
        const { context, dockerfile } = service.build as { context: string; dockerfile?: string };
        const path = join(DEPLOY, context, dockerfile ?? 'Dockerfile');
        expect(existsSync(path), `${name}: ${path}`).toBe(true);
      }
    }
  });

  it('runs the cdn parts with the image entrypoint and a health check on their own port', () => {
    const ports: Record<string, number> = { origin: Number(originJson.port) };
    for (const name of EDGES) ports[name] = edges.get(name)!.config.listen.port;
    for (const [name, port] of Object.entries(ports)) {
      const service = services[name]!;
      expect(service.image).toBe('open-edge-cdn:dev');
      expect(record(service.build, 'build').dockerfile).toBe('deploy/Dockerfile');
      const command = service.command as string[];
      expect(command[0]).toBe(name === 'origin' ? 'origin' : 'edge');
      expect(new URL(environmentOf(service).CDN_HEALTHCHECK_URL!).port).toBe(String(port));
      // The published port maps onto the process's port.
      const published = (service.ports as string[]).map((p) => p.split(':'));
      expect(
        published.every((p) => p[0] === '127.0.0.1' && Number(p[2]) === port),
        name,
      ).toBe(true);
    }
  });

  it('gives every edge a config the edge accepts, with consistent sites, peers and parents', () => {
    const steering = record(originJson.steering, 'steering');
    const tokens = record(steering.edgeTokens, 'edgeTokens');
    for (const name of EDGES) {
      const { config, control } = edges.get(name)!;
      expect(config.nodeId).toBe(name);
      expect(new URL(config.originUrl).hostname).toBe('origin');
      // The disk tier is a named volume of its own, mounted where edge.json puts the tier.
      const cache = (services[name]!.volumes as string[])
        .map((v) => v.split(':'))
        .find(([h]) => h === `${name}-cache`);
      expect(cache?.[1]).toBe(config.disk?.dir);
      expect(Object.keys(record(compose.volumes, 'volumes'))).toContain(`${name}-cache`);
      // Peers and parents are compose services, addressed at their edge port.
      for (const upstream of [...(config.cluster?.peers ?? []), ...config.parents]) {
        const url = new URL(upstream.url);
        expect(EDGES as readonly string[]).toContain(url.hostname);
        expect(url.hostname).toBe(upstream.id);
        expect(Number(url.port)).toBe(edges.get(url.hostname)!.config.listen.port);
      }
      expect(control, `${name} control section`).toBeDefined();
      expect(control!.edgeId).toBe(name);
      expect(control!.token).toBe(tokens[name]);
      expect(new URL(control!.originUrl).hostname).toBe('origin');
      const published = (services[name]!.ports as string[])[0]!.split(':')[1];
      expect(new URL(control!.publicUrl).port).toBe(published);
    }
    const a1 = edges.get('edge-a1')!.config;
    const a2 = edges.get('edge-a2')!.config;
    const b1 = edges.get('edge-b1')!.config;
    expect(a1.cluster?.id).toBe(a2.cluster?.id);
    expect(a1.cluster?.peers.map((p) => p.id).sort()).toEqual(['edge-a1', 'edge-a2']);
    expect(a2.cluster?.peers).toEqual(a1.cluster?.peers);
    // Site B fills from site A as its parent tier.
    expect(b1.cluster).toBeUndefined();
    expect(b1.parents.map((p) => p.id).sort()).toEqual(['edge-a1', 'edge-a2']);
  });

  it('gives the origin a config it accepts, with steering for every edge', () => {
    const env = environmentOf(services.origin!);
    const config = originConfigFromInput({ ...originJson, apiToken: env.ORIGIN_API_TOKEN }, 'origin.json');
    expect(Object.keys(config.steering.edgeTokens).sort()).toEqual([...EDGES].sort());
    const clusters = new Set(EDGES.map((e) => edges.get(e)!.control!.cluster));
    expect(clusters.has(config.steering.defaultCluster!)).toBe(true);
    const data = bindMounts(services.origin!);
    expect((services.origin!.volumes as string[]).some((v) => v.endsWith(`:${config.dataDir}`))).toBe(true);
    expect(data.some((m) => m.container === '/etc/cdn/origin.json')).toBe(true);
  });

  describe('BIRD as the ISP router', () => {
    let conf: string;
    beforeAll(async () => {
      const mount = bindMounts(services['isp-router']!).find((m) => m.container === '/etc/bird/bird.conf')!;
      conf = await readText(DEPLOY, mount.host);
    });

    it('parses with `bird -p`', (ctx) => expectBirdParses(join(DEPLOY, 'bird', 'compose-router.conf'), ctx));

    it('peers with every edge at its address, BGP port and AS, and they with it', () => {
      const router = ipv4Of(services['isp-router']!);
      const protocols = birdBgpProtocols(conf);
      expect(protocols).toHaveLength(EDGES.length);
      for (const name of EDGES) {
        const bgp = edges.get(name)!.bgp;
        expect(bgp, `${name} bgp section`).toBeDefined();
        const address = ipv4Of(services[name]!);
        const protocol = protocols.find((p) => p.neighborAddress === address);
        expect(protocol, `a BIRD protocol for ${name} (${address})`).toBeDefined();
        expect(protocol!.neighborPort).toBe(bgp!.listen.port);
        expect(protocol!.neighborAs).toBe(bgp!.localAs);
        expect(protocol!.localAddress).toBe(router);
        expect(bgp!.routerId).toBe(address);
        expect(bgp!.neighbors).toHaveLength(1);
        expect(bgp!.neighbors[0]!.address).toBe(router);
        expect(bgp!.neighbors[0]!.peerAs).toBe(protocol!.localAs);
        expect(bgp!.neighbors[0]!.passive).toBe(true);
      }
    });

    it('announces only prefixes and communities the edges import', () => {
      const routes = [...birdStaticRoutes(conf).values()].flat();
      expect(routes.length).toBeGreaterThan(0);
      const communities = birdAddedCommunities(conf);
      for (const name of EDGES) {
        const policy = edges.get(name)!.bgp!.importPolicy;
        for (const route of routes) {
          const prefix = parsePrefix(route)!;
          const inside = policy.prefixes.some((b) => {
            const bound = parsePrefix(b.prefix)!;
            const maxLength = b.maxLength ?? (bound.bytes.length === 4 ? 24 : 48);
            return (
              prefixContains(bound, prefix) &&
              prefix.length >= (b.minLength ?? bound.length) &&
              prefix.length <= maxLength
            );
          });
          expect(inside, `${route} within ${name}'s import bounds`).toBe(true);
        }
        for (const required of policy.communities.require) expect(communities).toContain(required);
      }
    });
  });

  it('scrapes every part with Prometheus under the job names the rules use', async () => {
    const prometheus = record(await readYaml(DEPLOY, 'prometheus', 'prometheus.yml'), 'prometheus.yml');
    const jobs = new Map<string, string[]>();
    for (const job of prometheus.scrape_configs as Record<string, unknown>[]) {
      const targets = (job.static_configs as Record<string, unknown>[]).flatMap((c) => c.targets as string[]);
      jobs.set(String(job.job_name), targets);
    }
    expect(jobs.get('cdn-origin')).toEqual([`origin:${String(originJson.port)}`]);
    expect([...jobs.get('cdn-edge')!].sort()).toEqual(
      EDGES.map((e) => `${e}:${edges.get(e)!.config.listen.port}`).sort(),
    );
    const mounts = bindMounts(services.prometheus!);
    for (const ruleFile of prometheus.rule_files as string[]) {
      expect(mounts.some((m) => m.container === ruleFile)).toBe(true);
    }
  });

  it('provisions Grafana with the Prometheus data source and the dashboards directory', async () => {
    const mounts = bindMounts(services.grafana!);
    const provisioning = mounts.find((m) => m.container === '/etc/grafana/provisioning')!;
    const dashboards = mounts.find((m) => m.container.startsWith('/var/lib/grafana/dashboards'))!;
    const datasource = record(
      await readYaml(DEPLOY, provisioning.host, 'datasources', 'prometheus.yaml'),
      'datasource',
    );
    const source = record((datasource.datasources as unknown[])[0], 'datasource');
    expect(new URL(String(source.url)).hostname).toBe('prometheus');
    expect(source.uid).toBe('prometheus');
    const provider = record(
      await readYaml(DEPLOY, provisioning.host, 'dashboards', 'open-edge-cdn.yaml'),
      'dashboard provider',
    );
    const options = record(record((provider.providers as unknown[])[0], 'provider').options, 'options');
    expect(options.path).toBe(dashboards.container);
    const home = environmentOf(services.grafana!).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH!;
    expect(existsSync(join(DEPLOY, dashboards.host, home.slice(dashboards.container.length)))).toBe(true);
  });

  it('puts every fixed address inside the network', () => {
    const network = record(record(compose.networks, 'networks').cdn, 'cdn');
    const subnet = String(record((record(network.ipam, 'ipam').config as unknown[])[0], 'ipam').subnet);
    const bound = parsePrefix(subnet)!;
    const addresses = ['origin', ...EDGES, 'isp-router'].map((n) => ipv4Of(services[n]!));
    expect(new Set(addresses).size).toBe(addresses.length);
    for (const address of addresses) expect(prefixContains(bound, parsePrefix(`${address}/32`)!)).toBe(true);
  });
});
