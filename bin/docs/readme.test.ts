/**
 * README.md against the code: the commands, flags, npm scripts, endpoints, config keys, metrics,
 * alerts and files it names exist, and its sections come in the order the project settled on.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../common/metrics.js';
import { buildOriginApp, createEncodePipeline, originConfigFromInput } from '../../origin/index.js';
import { buildProgram } from '../main.js';
import { ROOT } from './generate.js';

let readme: string;
let configDoc: string;
let metricsDoc: string;

beforeAll(async () => {
  const read = (path: string): Promise<string> => readFile(join(ROOT, path), 'utf8');
  [readme, configDoc, metricsDoc] = await Promise.all([
    read('README.md'),
    read('docs/config.md'),
    read('docs/metrics.md'),
  ]);
});

/** The text of one `## ` section (up to the next one). */
function section(title: string): string {
  const start = readme.indexOf(`\n## ${title}\n`);
  if (start < 0) throw new Error(`no section ## ${title}`);
  const end = readme.indexOf('\n## ', start + 1);
  return readme.slice(start, end < 0 ? undefined : end);
}

/** Lines of fenced code blocks, with `\` continuations joined. */
function codeLines(text: string): string[] {
  const blocks = [...text.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1]!);
  return blocks.flatMap((b) => b.replace(/\\\n\s*/g, ' ').split('\n'));
}

/** Backticked spans of a text. */
function spans(text: string): string[] {
  return [...text.matchAll(/`([^`\n]+)`/g)].map((m) => m[1]!);
}

describe('README.md', () => {
  it('opens with what it is and the two commands', () => {
    const lines = readme.split('\n');
    expect(lines[0]).toBe('# open-edge-cdn');
    expect(lines[2]).toMatch(/^An open-source adaptive video streaming CDN in TypeScript/);
    const firstBlock = codeLines(readme.slice(0, readme.indexOf('\n## '))).slice(0, 2);
    expect(firstBlock[0]).toMatch(/^npm ci && npm run demo\s+#/);
    expect(firstBlock[1]).toMatch(/^npm ci && npm test\s+#/);
  });

  it('has its sections in order: architecture, the demo, the commands, references, operations, errors, development', () => {
    const order = [
      'Architecture',
      'The demo: `cdn demo`',
      'Encoding a title: `cdn encode`',
      'Packaging: `cdn package`',
      'The origin: `cdn origin`',
      'The edge: `cdn edge`',
      'BGP and steering',
      'QoE',
      'Players: `cdn play` and `/player`',
      'Configuration reference',
      'Metrics reference',
      'Operations',
      'Error codes',
      'Development',
    ];
    const headings = [...readme.matchAll(/^## (.*)$/gm)].map((m) => m[1]);
    expect(headings).toEqual(order);
    expect(section('Operations')).toMatch(/### Draining[\s\S]*### Purging/);
  });

  it('runs only commands and flags that exist', async () => {
    const program = await buildProgram();
    const flagsOf = new Map(
      program.commands.map((c) => [c.name(), new Set(['--help', ...c.options.map((o) => o.long ?? '')])]),
    );
    const invocations = codeLines(readme).filter((l) => /\bcdn [a-z]/.test(l));
    expect(invocations.length).toBeGreaterThan(5);
    for (const line of invocations) {
      const command = /\bcdn ([a-z]+)/.exec(line)![1]!;
      expect(flagsOf.has(command), line).toBe(true);
      for (const flag of line.match(/(?<=\s)--[a-z][a-z-]*/g) ?? []) {
        expect(flagsOf.get(command)!.has(flag), `${flag} in: ${line}`).toBe(true);
      }
    }
    // Flags the prose names (`--workers N|auto`) belong to some command.
    const anyFlag = new Set([...flagsOf.values()].flatMap((s) => [...s]));
    const prose = spans(readme).flatMap((s) => /^--[a-z][a-z-]*/.exec(s) ?? []);
    expect(prose.length).toBeGreaterThan(3);
    for (const flag of prose) expect(anyFlag.has(flag), flag).toBe(true);
  });

  it('names only npm scripts that exist', async () => {
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as {
      scripts: Record<string, string>;
    };
    for (const [, script] of readme.matchAll(/npm run ([a-z:]+)/g)) {
      expect(pkg.scripts[script!], `npm run ${script}`).toBeDefined();
    }
  });

  it('links to and names files that exist', () => {
    const paths = [
      ...[...readme.matchAll(/\]\(([^)#]+)(?:#[^)]*)?\)/g)].map((m) => m[1]!),
      ...spans(readme).filter((s) =>
        /^(deploy|docs|encoder|manifests|origin|edge|player-sim|common|bin|test)\/\S*$/.test(s),
      ),
    ];
    expect(paths.length).toBeGreaterThan(5);
    for (const path of paths) expect(existsSync(join(ROOT, path)), path).toBe(true);
  });

  it('names only config keys of the configuration reference', () => {
    const keys = [...configDoc.matchAll(/^\| `([^`]+)` +\|/gm)].map((m) => m[1]!);
    const topLevel = new Set(keys.map((k) => k.split(/[.[]/)[0]!));
    const isKey = (token: string): boolean =>
      keys.some(
        (k) => k === token || k.endsWith(`.${token}`) || k.startsWith(`${token}.`) || k.startsWith(token),
      );
    const keyLike = /^[a-z][A-Za-z]*(?:\.[a-z][A-Za-z]*|\[\])*$/;
    // Dotted keys anywhere, and every camelCase or dotted key of the configuration section.
    const dotted = spans(readme).filter(
      (s) => keyLike.test(s) && s.includes('.') && topLevel.has(s.split('.')[0]!),
    );
    const inSection = spans(section('Configuration reference')).filter((s) => keyLike.test(s));
    expect(dotted.length).toBeGreaterThan(10);
    for (const token of [...dotted, ...inSection]) expect(isKey(token), token).toBe(true);
  });

  it('names only metrics, recording rules and alerts that exist', async () => {
    const alerts = await readFile(join(ROOT, 'deploy/prometheus/alerts.yaml'), 'utf8');
    // `cdn_qoe_*` names a family of series, not one.
    const metrics = (readme.match(/\bcdn_[a-z0-9_]+/g) ?? []).filter((m) => !m.endsWith('_'));
    const rules = readme.match(/(?<![\w-])cdn:[a-z0-9_:]+/g) ?? [];
    expect(metrics.length).toBeGreaterThan(10);
    for (const name of [...metrics, ...rules]) expect(metricsDoc, name).toContain(`\`${name}\``);
    for (const alert of readme.match(/\bCdn[A-Z][A-Za-z]+/g) ?? []) {
      expect(alerts, alert).toContain(`alert: ${alert}\n`);
    }
    const dashboards = [...readme.matchAll(/\*\*(CDN \/ [^*]+)\*\*/g)].map((m) => m[1]!);
    expect(dashboards).toHaveLength(4);
    for (const title of dashboards) expect(metricsDoc, title).toContain(`dashboard "${title}"`);
  });

  describe('endpoints', () => {
    let dir: string;
    let routes: string[];

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'cdn-readme-'));
      const app = await buildOriginApp({
        config: originConfigFromInput({ dataDir: dir, authDisabled: true, logLevel: 'silent' }),
        registry: createMetricsRegistry({ processMetrics: false }),
        createPipeline: (store) => createEncodePipeline({ store }),
      });
      await app.ready();
      routes = routesOf(app.printRoutes({ commonPrefix: false }));
      await app.close();
    });
    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it("names only the origin's routes", () => {
      expect(routes).toContain('/v1/steering/:title');
      const named = [
        ...readme.matchAll(/(?<![\w.])\/(?:v1\/[\w/{}<>:.-]*[\w}>]|player|docs\/json)(?:\/\.\.\.)?/g),
      ].map((m) => m[0]);
      expect(named.length).toBeGreaterThan(10);
      for (const path of named)
        expect(
          routes.some((r) => matches(r, path)),
          path,
        ).toBe(true);
    });

    it("names only the edge's admin and health routes", async () => {
      const app = await readFile(join(ROOT, 'edge/app.ts'), 'utf8');
      for (const path of new Set(readme.match(/\/admin\/[a-z]+/g) ?? []))
        expect(app, path).toContain(`'${path}'`);
      for (const path of ['/healthz', '/readyz', '/metrics']) expect(app).toContain(`'${path}'`);
    });
  });
});

/** Full paths from fastify's printRoutes tree (each level indented by four characters). */
function routesOf(tree: string): string[] {
  const stack: string[] = [];
  const out: string[] = [];
  for (const line of tree.split('\n')) {
    const m = /^([│ ]*)[├└]── (\S+)/.exec(line);
    if (m === null) continue;
    const depth = m[1]!.length / 4;
    const path = (depth === 0 ? '' : stack[depth - 1]!) + m[2]!;
    stack[depth] = path;
    stack.length = depth + 1;
    out.push(path);
  }
  return out;
}

/**
 * Whether a README path (`/v1/jobs/<jobId>`, `/v1/edges/{id}/heartbeat`) is a route pattern; one
 * ending in `/...` stands for the routes under it.
 */
function matches(route: string, path: string): boolean {
  const under = path.endsWith('/...');
  const want = path.replace(/\/\.\.\.$/, '').split('/');
  const all = route.split('/');
  if (under ? all.length <= want.length : all.length !== want.length) return false;
  const have = all.slice(0, want.length);
  return have.every((seg, i) => {
    const w = want[i]!;
    if (seg.startsWith(':')) return /^[<{].*[>}]$|^[\w.-]+$/.test(w);
    return seg === w;
  });
}
