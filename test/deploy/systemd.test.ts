/**
 * The bare-metal files: systemd units (`systemd-analyze verify` when present, and the keys a
 * hardened, draining service needs), the example /etc/cdn configs loaded by the parts' own config
 * loaders with the example environment files, the ExecStop drain run against a real edge, and the
 * ISP-side BIRD example (`bird -p`, and its neighbor, prefixes and community against edge.json).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parsePrefix, prefixContains } from '../../edge/bgp/index.js';
import { loadEdgeConfig, type RunningEdge } from '../../edge/index.js';
import { loadOriginConfig } from '../../origin/index.js';
import { checkEdgeConfig, type CheckedEdgeConfig } from './edgeConfig.js';
import {
  DEPLOY,
  TEST_ADMIN_TOKEN,
  birdAddedCommunities,
  birdBgpProtocols,
  birdDefines,
  expectBirdParses,
  expectDrainedBy,
  onPath,
  parseEnvFile,
  readJson,
  readText,
  readiness,
  record,
  run,
  runNodeScript,
  startOpsEdge,
} from './helpers.js';

const SYSTEMD = join(DEPLOY, 'systemd');

type Unit = Map<string, Map<string, string[]>>;

/** A unit file's sections and keys (a key may repeat), continuation lines joined. */
function parseUnit(text: string): Unit {
  const unit: Unit = new Map();
  let section: Map<string, string[]> | undefined;
  for (const line of text.replace(/\\\n/g, ' ').split('\n')) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#') || trimmed.startsWith(';')) continue;
    const head = /^\[(.+)\]$/.exec(trimmed);
    if (head) {
      section = new Map();
      unit.set(head[1]!, section);
      continue;
    }
    const m = /^([A-Za-z]+)=(.*)$/.exec(trimmed);
    if (!m || !section) throw new Error(`not a unit file line: ${line}`);
    section.set(m[1]!, [...(section.get(m[1]!) ?? []), m[2]!]);
  }
  return unit;
}

function key(unit: Unit, section: string, name: string): string | undefined {
  return unit.get(section)?.get(name)?.at(-1);
}

/** Splits a command line as systemd does: words, double-quoted strings as one word. */
function commandWords(line: string): string[] {
  return [...line.matchAll(/"((?:[^"\\]|\\.)*)"|(\S+)/g)].map((m) => m[1] ?? m[2]!);
}

function seconds(value: string): number {
  const m = /^(\d+)\s*(s|min)?$/.exec(value)!;
  return Number(m[1]) * (m[2] === 'min' ? 60 : 1);
}

describe('deploy/systemd', () => {
  const units = new Map<string, Unit>();
  let edgeExample: CheckedEdgeConfig;

  beforeAll(async () => {
    for (const name of ['cdn-edge.service', 'cdn-origin.service']) {
      units.set(name, parseUnit(await readText(SYSTEMD, name)));
    }
    edgeExample = checkEdgeConfig(
      record(await readJson(SYSTEMD, 'edge.json'), 'edge.json'),
      'edge.json',
      parseEnvFile(await readText(SYSTEMD, 'edge.env.example')),
    );
  });

  it('passes `systemd-analyze verify`', async (ctx) => {
    const analyze = onPath('systemd-analyze');
    if (!analyze) ctx.skip('systemd-analyze is not installed');
    let dir = SYSTEMD;
    let work: string | undefined;
    if (!existsSync('/usr/bin/node')) {
      // verify checks that ExecStart's program exists: point it at this machine's node.
      work = await mkdtemp(join(tmpdir(), 'cdn-units-'));
      for (const name of units.keys()) {
        const text = await readText(SYSTEMD, name);
        await writeFile(join(work, name), text.replaceAll('/usr/bin/node', process.execPath));
      }
      dir = work;
    }
    try {
      const result = await run(analyze!, ['verify', ...[...units.keys()].map((n) => join(dir, n))]);
      // Unknown keys and bad values are warnings on stderr with exit code 0: none allowed.
      expect(result.stderrTail).toBe('');
      expect(result.exitCode).toBe(0);
    } finally {
      if (work) await rm(work, { recursive: true, force: true });
    }
  });

  it('runs each part from the installed package with its config, as its own user, restarted on failure', async () => {
    const sysusers = await readText(SYSTEMD, 'open-edge-cdn.sysusers.conf');
    for (const [name, part] of [
      ['cdn-edge.service', 'edge'],
      ['cdn-origin.service', 'origin'],
    ] as const) {
      const unit = units.get(name)!;
      const exec = commandWords(key(unit, 'Service', 'ExecStart')!);
      expect(exec.slice(0, 3)).toEqual(['/usr/bin/node', '/opt/open-edge-cdn/dist/bin/cdn.js', part]);
      expect(exec.slice(3)).toEqual(['--config', `/etc/cdn/${part}.json`]);
      const user = key(unit, 'Service', 'User')!;
      expect(user).not.toBe('root');
      expect(sysusers).toMatch(new RegExp(`^u ${user} `, 'm'));
      expect(key(unit, 'Service', 'Restart')).toBe('on-failure');
      expect(key(unit, 'Service', 'KillSignal')).toBe('SIGTERM');
      expect(key(unit, 'Service', 'ExecReload')).toBeUndefined();
      expect(key(unit, 'Unit', 'After')).toContain('network-online.target');
      expect(key(unit, 'Install', 'WantedBy')).toBe('multi-user.target');
      expect(Number(key(unit, 'Service', 'LimitNOFILE'))).toBeGreaterThanOrEqual(65536);
    }
  });

  it('is hardened, with only the state directory writable and the JIT left working', () => {
    for (const [name, unit] of units) {
      const service = unit.get('Service')!;
      expect(key(unit, 'Service', 'ProtectSystem'), name).toBe('strict');
      for (const flag of [
        'NoNewPrivileges',
        'PrivateTmp',
        'PrivateDevices',
        'ProtectKernelModules',
        'RestrictSUIDSGID',
      ]) {
        expect(key(unit, 'Service', flag), `${name} ${flag}`).toBe('yes');
      }
      const state = key(unit, 'Service', 'StateDirectory')!;
      expect(service.get('ReadWritePaths')).toEqual([`/var/lib/${state}`]);
      // V8 needs writable executable memory.
      expect(key(unit, 'Service', 'MemoryDenyWriteExecute') ?? 'no', name).toBe('no');
    }
  });

  it('keeps the edge disk tier in its state directory and can bind the ports edge.json names', () => {
    const unit = units.get('cdn-edge.service')!;
    const { config, bgp } = edgeExample;
    expect(config.disk?.dir).toBe(`/var/lib/${key(unit, 'Service', 'StateDirectory')!}`);
    const ports = [config.listen.port, ...(bgp ? [bgp.listen.port] : [])];
    const privileged = ports.some((p) => p < 1024);
    expect(key(unit, 'Service', 'AmbientCapabilities') === 'CAP_NET_BIND_SERVICE').toBe(privileged);
    expect(key(unit, 'Service', 'CapabilityBoundingSet')).toBe(privileged ? 'CAP_NET_BIND_SERVICE' : '');
  });

  it('loads the example edge.json through the edge loader with the example environment file', async () => {
    const unit = units.get('cdn-edge.service')!;
    const envFile = key(unit, 'Service', 'EnvironmentFile')!;
    expect(envFile).toBe('/etc/cdn/edge.env');
    const env = parseEnvFile(await readText(SYSTEMD, 'edge.env.example'));
    expect(Object.keys(env).sort()).toEqual(['EDGE_ADMIN_TOKEN', 'EDGE_ORIGIN_READ_TOKEN']);
    const config = await loadEdgeConfig({ configPath: join(SYSTEMD, 'edge.json'), env });
    expect(config.adminToken).toBe(env.EDGE_ADMIN_TOKEN);
    expect(config.proactiveFill.enabled).toBe(true);
    expect(config.tokens.required).toBe(true);
    expect(edgeExample.control?.edgeId).toBe(edgeExample.config.nodeId);
  });

  it('loads the example origin.json with the example environment file, steering the example edge', async () => {
    const unit = units.get('cdn-origin.service')!;
    expect(key(unit, 'Service', 'EnvironmentFile')).toBe('/etc/cdn/origin.env');
    const env = parseEnvFile(await readText(SYSTEMD, 'origin.env.example'));
    const config = await loadOriginConfig({ configPath: join(SYSTEMD, 'origin.json'), env });
    expect(config.dataDir).toBe(`/var/lib/${key(unit, 'Service', 'StateDirectory')!}`);
    expect(config.apiToken).toBe(env.ORIGIN_API_TOKEN);
    // The edge's read token is the origin's, its control token is the one steering knows, and
    // steering signs URLs with a key the edge accepts.
    const edgeEnv = parseEnvFile(await readText(SYSTEMD, 'edge.env.example'));
    expect(config.readToken).toBe(edgeEnv.EDGE_ORIGIN_READ_TOKEN);
    const control = edgeExample.control!;
    expect(config.steering.edgeTokens[control.edgeId]).toBe(control.token);
    expect(edgeExample.config.tokens.keys[config.steering.tokens!.keyId]).toBe(config.steering.tokens!.key);
  });

  it('drains before the stop signal and outlasts the drain', () => {
    const unit = units.get('cdn-edge.service')!;
    const stop = key(unit, 'Service', 'ExecStop')!;
    expect(stop.startsWith('-')).toBe(true);
    const drainWaitS = Number(/CDN_DRAIN_WAIT_S \|\| (\d+)/.exec(stop)![1]);
    // The drain call's 5 s timeout, then the edge's 5 s in-flight grace after SIGTERM.
    expect(seconds(key(unit, 'Service', 'TimeoutStopSec')!)).toBeGreaterThanOrEqual(drainWaitS + 10);
    expect(key(unit, 'Service', 'KillMode')).toBe('mixed');
  });

  describe('the ExecStop drain against a real edge', () => {
    let edge: RunningEdge;
    let script: string;
    beforeAll(async () => {
      edge = await startOpsEdge();
      const words = commandWords(key(units.get('cdn-edge.service')!, 'Service', 'ExecStop')!.slice(1));
      expect(words.slice(0, 2)).toEqual(['/usr/bin/node', '-e']);
      script = words[2]!;
    });
    afterAll(async () => {
      await edge.close();
    });

    it('puts the edge out of readiness with the admin token from the environment file', async () => {
      await expectDrainedBy(script, edge.url);
    });

    it('does not drain with a wrong token, and exits cleanly when the edge is gone', async () => {
      const fresh = await startOpsEdge();
      try {
        const wrong = await runNodeScript(script, {
          EDGE_PORT: new URL(fresh.url).port,
          EDGE_ADMIN_TOKEN: 'not-the-admin-token-at-all',
          CDN_DRAIN_WAIT_S: '0',
        });
        expect(wrong.exitCode).toBe(0);
        expect((await readiness(fresh.url)).status).toBe(200);
      } finally {
        await fresh.close();
      }
      const gone = await runNodeScript(script, { EDGE_PORT: '9', EDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
      expect(gone.exitCode).toBe(0);
    });
  });

  describe('the ISP router example (deploy/bird/isp-router.conf)', () => {
    let conf: string;
    beforeAll(async () => {
      conf = await readText(DEPLOY, 'bird', 'isp-router.conf');
    });

    it('parses with `bird -p`', (ctx) => expectBirdParses(join(DEPLOY, 'bird', 'isp-router.conf'), ctx));

    it('peers with the appliance of edge.json as that appliance expects', () => {
      const bgp = edgeExample.bgp!;
      const [protocol, ...others] = birdBgpProtocols(conf);
      expect(others).toEqual([]);
      expect(protocol!.neighborAddress).toBe(bgp.routerId);
      expect(protocol!.neighborAs).toBe(bgp.localAs);
      expect(protocol!.neighborPort ?? 179).toBe(bgp.listen.port);
      const neighbor = bgp.neighbors.find((n) => n.address === protocol!.localAddress);
      expect(neighbor, 'edge.json names this router as a neighbor').toBeDefined();
      expect(neighbor!.peerAs).toBe(protocol!.localAs);
      expect(neighbor!.passive).toBe(true);
    });

    it('hands over only prefixes and the community the appliance imports', () => {
      const policy = edgeExample.bgp!.importPolicy;
      const defines = birdDefines(conf);
      // CLIENT_PREFIXES_V4 = [ 198.51.100.0/22{22,24} ]: the covering prefix and its length range.
      for (const name of ['CLIENT_PREFIXES_V4', 'CLIENT_PREFIXES_V6']) {
        const m = /\[\s*([0-9A-Fa-f.:]+\/\d+)\{(\d+),(\d+)\}\s*\]/.exec(defines.get(name)!)!;
        const announced = parsePrefix(m[1]!)!;
        const bound = policy.prefixes.find((b) => prefixContains(parsePrefix(b.prefix)!, announced));
        expect(bound, `${m[1]} within edge.json's import bounds`).toBeDefined();
        expect(Number(m[3])).toBeLessThanOrEqual(bound!.maxLength ?? 128);
      }
      const communities = birdAddedCommunities(conf);
      for (const required of policy.communities.require) expect(communities).toContain(required);
    });
  });
});
