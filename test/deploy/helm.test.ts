/**
 * The Helm chart, rendered by test/deploy/helmLite.ts (a renderer of the template subset the chart
 * uses: Helm itself is not installed here) and checked as Kubernetes manifests: kinds, selectors,
 * probes, the preStop drain (run against a real edge), volumes and Secrets, and the rendered
 * edge.json and origin.json validated by the parts' own config schemas.
 */
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEdge } from '../../edge/index.js';
import { originConfigFromInput } from '../../origin/index.js';
import { checkEdgeConfig } from './edgeConfig.js';
import { renderChart, type RenderedChart } from './helmLite.js';
import {
  DEPLOY,
  TEST_ADMIN_TOKEN,
  expectDrainedBy,
  readText,
  record,
  runNodeScript,
  startOpsEdge,
} from './helpers.js';

const CHART = join(DEPLOY, 'helm', 'open-edge-cdn');
const TOKENS = {
  tokens: {
    adminToken: 'helm-admin-token-0123456789',
    apiToken: 'helm-api-token-0123456789',
    readToken: 'helm-read-token-0123456789',
  },
};

type Manifest = Record<string, unknown>;

function find(chart: RenderedChart, kind: string, nameSuffix: string): Manifest {
  const found = chart.manifests.filter(
    (m) => m.doc.kind === kind && String(record(m.doc.metadata, 'metadata').name).endsWith(nameSuffix),
  );
  if (found.length !== 1) throw new Error(`expected one ${kind} *${nameSuffix}, found ${found.length}`);
  return found[0]!.doc;
}

const at = (value: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((v, key) => (v as Record<string | number, unknown> | undefined)?.[key], value);

function podSpec(workload: Manifest): Record<string, unknown> {
  return record(at(workload, 'spec', 'template', 'spec'), 'pod spec');
}

function container(workload: Manifest, name: string): Record<string, unknown> {
  const containers = podSpec(workload).containers as Record<string, unknown>[];
  return containers.find((c) => c.name === name)!;
}

function envValue(c: Record<string, unknown>, name: string): Record<string, unknown> {
  return (c.env as Record<string, unknown>[]).find((e) => e.name === name)!;
}

function matches(selector: unknown, labels: unknown): boolean {
  const want = record(selector, 'selector');
  const have = record(labels, 'labels');
  return Object.entries(want).every(([k, v]) => have[k] === v);
}

/** The Secret's file text (stringData). */
function secretFile(secret: Manifest, key: string): string {
  return String(record(secret.stringData, 'stringData')[key]);
}

/** Parses a Kubernetes quantity of bytes such as 100Gi. */
function quantityBytes(text: string): number {
  const m = /^(\d+)(Ki|Mi|Gi|Ti)?$/.exec(text)!;
  const unit = { Ki: 2 ** 10, Mi: 2 ** 20, Gi: 2 ** 30, Ti: 2 ** 40 }[m[2] as 'Ki'] ?? 1;
  return Number(m[1]) * unit;
}

describe('deploy/helm/open-edge-cdn', () => {
  let chart: RenderedChart;
  let edges: Manifest;
  let origin: Manifest;

  beforeAll(async () => {
    chart = await renderChart(CHART, TOKENS);
    edges = find(chart, 'StatefulSet', '-edge');
    origin = find(chart, 'Deployment', '-origin');
  });

  it('renders every template to well-formed manifests with bounded names', () => {
    const kinds = chart.manifests.map((m) => m.doc.kind).sort();
    expect(kinds).toEqual(
      [
        'Deployment',
        'PersistentVolumeClaim',
        'PodDisruptionBudget',
        'Secret',
        'Secret',
        'Secret',
        'Service',
        'Service',
        'Service',
        'ServiceMonitor',
        'ServiceMonitor',
        'StatefulSet',
      ].sort(),
    );
    for (const { file, doc } of chart.manifests) {
      expect(typeof doc.apiVersion, file).toBe('string');
      const name = String(record(doc.metadata, `${file} metadata`).name);
      expect(name, file).toMatch(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/);
      // Pod names add `-<ordinal>` and a StatefulSet's controller revision hash to these.
      expect(name.length, file).toBeLessThanOrEqual(52);
    }
  });

  it('refuses to render without tokens, and uses an existing Secret when named', async () => {
    await expect(renderChart(CHART, {})).rejects.toThrow(/tokens.adminToken/);
    const existing = await renderChart(CHART, { tokens: { existingSecret: 'my-cdn-tokens' } });
    expect(existing.manifests.filter((m) => m.doc.kind === 'Secret')).toHaveLength(2);
    const edge = container(find(existing, 'StatefulSet', '-edge'), 'edge');
    expect(at(envValue(edge, 'EDGE_ADMIN_TOKEN'), 'valueFrom', 'secretKeyRef', 'name')).toBe('my-cdn-tokens');
  });

  it('references only Secret keys that the chart creates', () => {
    const tokens = find(chart, 'Secret', '-tokens');
    const keys = Object.keys(record(tokens.stringData, 'stringData'));
    const name = record(tokens.metadata, 'metadata').name;
    for (const workload of [edges, origin]) {
      for (const c of podSpec(workload).containers as Record<string, unknown>[]) {
        for (const env of (c.env as Record<string, unknown>[]) ?? []) {
          const ref = at(env, 'valueFrom', 'secretKeyRef') as Record<string, unknown> | undefined;
          if (!ref) continue;
          expect(ref.name).toBe(name);
          expect(keys).toContain(ref.key);
        }
      }
    }
  });

  it('runs edges as a StatefulSet with a persistent disk tier where edge.json puts it', () => {
    const spec = record(edges.spec, 'spec');
    expect(matches(at(spec, 'selector', 'matchLabels'), at(spec, 'template', 'metadata', 'labels'))).toBe(
      true,
    );
    const headless = find(chart, 'Service', '-edge-headless');
    expect(spec.serviceName).toBe(record(headless.metadata, 'metadata').name);
    expect(at(headless, 'spec', 'clusterIP')).toBe('None');
    const claims = spec.volumeClaimTemplates as Record<string, unknown>[];
    expect(claims).toHaveLength(1);
    const claimName = at(claims[0], 'metadata', 'name');
    const mount = (container(edges, 'edge').volumeMounts as Record<string, unknown>[]).find(
      (m) => m.name === claimName,
    )!;
    const edgeJson = JSON.parse(
      secretFile(find(chart, 'Secret', '-edge-config'), 'edge.json').replaceAll('__POD_NAME__', 'x-edge-0'),
    ) as { disk: { dir: string; maxBytes: number } };
    expect(mount.mountPath).toBe(edgeJson.disk.dir);
    // The tier's bound leaves room in its volume for the index and files in flight.
    const volumeBytes = quantityBytes(String(at(claims[0], 'spec', 'resources', 'requests', 'storage')));
    expect(edgeJson.disk.maxBytes).toBeLessThanOrEqual(volumeBytes * 0.95);
  });

  it('gives each pod an edge.json the edge accepts: its own node id, every replica as a peer', async () => {
    for (const replicas of [3, 5]) {
      const rendered = await renderChart(CHART, { ...TOKENS, edge: { replicas, memoryBytes: 64 * 2 ** 30 } });
      const set = find(rendered, 'StatefulSet', '-edge');
      const setName = String(record(set.metadata, 'metadata').name);
      const headless = String(at(set, 'spec', 'serviceName'));
      const template = secretFile(find(rendered, 'Secret', '-edge-config'), 'edge.json');
      const pod = `${setName}-${replicas - 1}`;
      const { config } = checkEdgeConfig(
        record(JSON.parse(template.replaceAll('__POD_NAME__', pod)), 'edge.json'),
        'rendered edge.json',
      );
      expect(config.nodeId).toBe(pod);
      expect(config.memory.maxBytes).toBe(64 * 2 ** 30);
      expect(config.cluster?.peers.map((p) => p.id)).toEqual(
        Array.from({ length: replicas }, (_x, i) => `${setName}-${i}`),
      );
      for (const peer of config.cluster!.peers) {
        expect(new URL(peer.url).hostname).toBe(`${peer.id}.${headless}.video.svc`);
        expect(Number(new URL(peer.url).port)).toBe(config.listen.port);
      }
      const originService = find(rendered, 'Service', '-origin');
      expect(new URL(config.originUrl).hostname).toBe(record(originService.metadata, 'metadata').name);
      expect(Number(new URL(config.originUrl).port)).toBe(at(originService, 'spec', 'ports', 0, 'port'));
    }
  });

  it('passes extra edge config through, per pod where it names the pod, and drops the disk tier when disabled', async () => {
    const key = Buffer.alloc(32, 7).toString('base64');
    const rendered = await renderChart(CHART, {
      ...TOKENS,
      edge: {
        disk: { enabled: false },
        extraConfig: {
          tokens: { required: true, keys: { k1: key } },
          control: {
            token: 'steering-edge-token-0123456789',
            publicUrl: 'https://__POD_NAME__.edges.example.net',
            capacityGbps: 10,
          },
        },
      },
    });
    const set = find(rendered, 'StatefulSet', '-edge');
    expect(at(set, 'spec', 'volumeClaimTemplates')).toBeUndefined();
    const pod = `${String(record(set.metadata, 'metadata').name)}-2`;
    const { config, control } = checkEdgeConfig(
      record(
        JSON.parse(
          secretFile(find(rendered, 'Secret', '-edge-config'), 'edge.json').replaceAll('__POD_NAME__', pod),
        ),
        'edge.json',
      ),
      'edge.json',
    );
    expect(config.disk).toBeUndefined();
    expect(config.tokens.required).toBe(true);
    // Each pod registers with steering under its own name and URL, in the replicas' cluster.
    expect(control?.edgeId).toBe(pod);
    expect(control?.publicUrl).toBe(`https://${pod}.edges.example.net`);
    expect(control?.cluster).toBe(config.cluster?.id);
    expect(control?.originUrl).toBe(config.originUrl);
  });

  it('renders each pod config from the shared template in an init container', () => {
    const init = (podSpec(edges).initContainers as Record<string, unknown>[])[0]!;
    const script = (init.command as string[]).join(' ');
    expect(script).toContain('__POD_NAME__');
    expect(at(envValue(init, 'POD_NAME'), 'valueFrom', 'fieldRef', 'fieldPath')).toBe('metadata.name');
    const mounts = (name: Record<string, unknown>) => name.volumeMounts as Record<string, unknown>[];
    const written = mounts(init).find((m) => m.readOnly !== true)!;
    expect(mounts(container(edges, 'edge')).find((m) => m.name === written.name)!.mountPath).toBe('/etc/cdn');
    expect(container(edges, 'edge').args).toEqual(['edge', '--config', '/etc/cdn/edge.json']);
  });

  it('probes readiness on /readyz and liveness on /healthz, on the port the process listens on', () => {
    for (const [workload, name] of [
      [edges, 'edge'],
      [origin, 'origin'],
    ] as const) {
      const c = container(workload, name);
      expect(at(c, 'readinessProbe', 'httpGet', 'path')).toBe('/readyz');
      expect(at(c, 'livenessProbe', 'httpGet', 'path')).toBe('/healthz');
      const portName = at(c, 'readinessProbe', 'httpGet', 'port');
      const port = (c.ports as Record<string, unknown>[]).find((p) => p.name === portName)!;
      const config = JSON.parse(
        secretFile(find(chart, 'Secret', `-${name}-config`), `${name}.json`).replaceAll(
          '__POD_NAME__',
          'p-0',
        ),
      ) as { port?: number; listen?: { port: number } };
      expect(port.containerPort).toBe(config.listen?.port ?? config.port);
    }
  });

  it('leaves time for the preStop drain before the kill', () => {
    const c = container(edges, 'edge');
    const drainWaitS = Number(at(envValue(c, 'CDN_DRAIN_WAIT_S'), 'value'));
    expect(drainWaitS).toBeGreaterThan(0);
    // The drain call's 5 s timeout and the edge's 5 s in-flight grace after SIGTERM come on top.
    expect(Number(podSpec(edges).terminationGracePeriodSeconds)).toBeGreaterThanOrEqual(drainWaitS + 10);
    expect(at(c, 'lifecycle', 'preStop', 'exec', 'command', 0)).toBe('node');
  });

  describe('the preStop hook against a real edge', () => {
    let edge: RunningEdge;
    beforeAll(async () => {
      edge = await startOpsEdge();
    });
    afterAll(async () => {
      await edge.close();
    });

    it('drains the edge with the admin token from the environment', async () => {
      const command = at(container(edges, 'edge'), 'lifecycle', 'preStop', 'exec', 'command') as string[];
      expect(command.slice(0, 2)).toEqual(['node', '-e']);
      await expectDrainedBy(command[2]!, edge.url);
    });

    it('still exits cleanly when the edge is already gone', async () => {
      const command = at(container(edges, 'edge'), 'lifecycle', 'preStop', 'exec', 'command') as string[];
      const result = await runNodeScript(command[2]!, {
        EDGE_PORT: '9',
        EDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
        CDN_DRAIN_WAIT_S: '0',
      });
      expect(result.exitCode).toBe(0);
    });
  });

  it('runs the origin as one replica on its own volume with a config it accepts', () => {
    const spec = record(origin.spec, 'spec');
    expect(spec.replicas).toBe(1);
    expect(at(spec, 'strategy', 'type')).toBe('Recreate');
    const pvc = find(chart, 'PersistentVolumeClaim', '-origin-data');
    const volume = (podSpec(origin).volumes as Record<string, unknown>[]).find(
      (v) => at(v, 'persistentVolumeClaim', 'claimName') === record(pvc.metadata, 'metadata').name,
    )!;
    const mount = (container(origin, 'origin').volumeMounts as Record<string, unknown>[]).find(
      (m) => m.name === volume.name,
    )!;
    const config = originConfigFromInput(
      {
        ...record(
          JSON.parse(secretFile(find(chart, 'Secret', '-origin-config'), 'origin.json')),
          'origin.json',
        ),
        apiToken: TOKENS.tokens.apiToken,
      },
      'rendered origin.json',
    );
    expect(config.dataDir).toBe(mount.mountPath);
    expect(config.steering.defaultCluster).toBeDefined();
  });

  it('runs as the image user with a read-only root and a writable /tmp', async () => {
    const dockerfile = await readText(DEPLOY, 'Dockerfile');
    const uid = Number(/^USER (\d+)/m.exec(dockerfile)![1]);
    for (const [workload, name] of [
      [edges, 'edge'],
      [origin, 'origin'],
    ] as const) {
      const security = record(podSpec(workload).securityContext, 'securityContext');
      expect(security.runAsUser).toBe(uid);
      expect(security.runAsNonRoot).toBe(true);
      const c = container(workload, name);
      expect(at(c, 'securityContext', 'readOnlyRootFilesystem')).toBe(true);
      expect((c.volumeMounts as Record<string, unknown>[]).some((m) => m.mountPath === '/tmp')).toBe(true);
    }
  });

  it('selects the right pods with every Service and the PodDisruptionBudget', () => {
    const podLabels = (w: Manifest) => at(w, 'spec', 'template', 'metadata', 'labels');
    for (const [suffix, workload] of [
      ['-edge', edges],
      ['-edge-headless', edges],
      ['-origin', origin],
    ] as const) {
      const service = find(chart, 'Service', suffix);
      expect(matches(at(service, 'spec', 'selector'), podLabels(workload)), suffix).toBe(true);
      const other = workload === edges ? origin : edges;
      expect(matches(at(service, 'spec', 'selector'), podLabels(other)), suffix).toBe(false);
      const portNames = (
        container(workload, workload === edges ? 'edge' : 'origin').ports as Record<string, unknown>[]
      ).map((p) => p.name);
      for (const port of at(service, 'spec', 'ports') as Record<string, unknown>[]) {
        expect(portNames).toContain(port.targetPort);
      }
    }
    const pdb = find(chart, 'PodDisruptionBudget', '-edge');
    expect(matches(at(pdb, 'spec', 'selector', 'matchLabels'), podLabels(edges))).toBe(true);
    expect(at(pdb, 'spec', 'maxUnavailable')).toBe(1);
  });

  it('scrapes both parts with ServiceMonitors under the job names and labels of the rules', () => {
    const jobs: Record<string, string> = { '-edge': 'cdn-edge', '-origin': 'cdn-origin' };
    for (const [suffix, job] of Object.entries(jobs)) {
      const monitor = find(chart, 'ServiceMonitor', suffix);
      const service = find(chart, 'Service', suffix);
      const serviceLabels = record(at(service, 'metadata', 'labels'), 'labels');
      expect(matches(at(monitor, 'spec', 'selector', 'matchLabels'), serviceLabels)).toBe(true);
      const jobLabel = String(at(monitor, 'spec', 'jobLabel'));
      expect(serviceLabels[jobLabel]).toBe(job);
      const endpoint = (at(monitor, 'spec', 'endpoints') as Record<string, unknown>[])[0]!;
      expect(endpoint.path).toBe('/metrics');
      expect((at(service, 'spec', 'ports') as Record<string, unknown>[]).map((p) => p.name)).toContain(
        endpoint.port,
      );
      const relabel = (endpoint.relabelings as Record<string, unknown>[]).map((r) => r.targetLabel);
      expect(relabel).toContain('site');
    }
  });

  it('leaves ServiceMonitors out for clusters without the Prometheus Operator', async () => {
    const rendered = await renderChart(CHART, { ...TOKENS, serviceMonitor: { enabled: false } });
    expect(rendered.manifests.some((m) => m.doc.kind === 'ServiceMonitor')).toBe(false);
  });

  it('rolls pods when their config changes', async () => {
    const changed = await renderChart(CHART, { ...TOKENS, edge: { cluster: 'site-2' } });
    const checksum = (c: RenderedChart) =>
      at(find(c, 'StatefulSet', '-edge'), 'spec', 'template', 'metadata', 'annotations', 'checksum/config');
    expect(checksum(changed)).not.toBe(checksum(chart));
    const same = await renderChart(CHART, TOKENS);
    expect(checksum(same)).toBe(checksum(chart));
  });
});
