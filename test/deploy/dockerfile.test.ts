/**
 * deploy/Dockerfile without Docker (no engine here): its instructions parsed, every COPY source
 * present and inside the build context's allow-list, the build configuration producing the
 * entrypoint, the runtime import graph free of development dependencies and of files the image
 * leaves out, and the HEALTHCHECK command run against a real edge.
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { builtinModules } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RunningEdge } from '../../edge/index.js';
import {
  DEPLOY,
  REPO,
  TEST_ADMIN_TOKEN,
  readJson,
  readText,
  record,
  run,
  runNodeScript,
  startOpsEdge,
} from './helpers.js';

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

interface Stage {
  from: string;
  name?: string;
  instructions: Instruction[];
}

/** Instructions with continuation lines joined and comments dropped (Dockerfile reference rules). */
function parseDockerfile(text: string): { args: Map<string, string>; stages: Stage[] } {
  const instructions: Instruction[] = [];
  let current: Instruction | undefined;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trim();
    if (line.startsWith('#') || (line === '' && current === undefined)) return;
    if (current === undefined) {
      const m = /^([A-Za-z]+)\s+(.*)$/.exec(line);
      if (!m) throw new Error(`Dockerfile line ${index + 1}: not an instruction: ${raw}`);
      current = { keyword: m[1]!.toUpperCase(), args: '', line: index + 1 };
      raw = m[2]!;
    }
    const continued = raw.trimEnd().endsWith('\\');
    current.args += ` ${continued ? raw.trimEnd().slice(0, -1) : raw}`;
    if (!continued) {
      current.args = current.args.trim();
      instructions.push(current);
      current = undefined;
    }
  });
  if (current !== undefined) throw new Error('Dockerfile ends inside a continued instruction');
  const args = new Map<string, string>();
  const stages: Stage[] = [];
  for (const ins of instructions) {
    if (ins.keyword === 'ARG' && stages.length === 0) {
      const [name, value] = ins.args.split('=') as [string, string | undefined];
      args.set(name, value ?? '');
    } else if (ins.keyword === 'FROM') {
      const m = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(ins.args)!;
      const from = m[1]!.replace(/\$\{(\w+)\}/g, (_x, name: string) => args.get(name) ?? '');
      stages.push({ from, ...(m[2] !== undefined ? { name: m[2] } : {}), instructions: [] });
    } else {
      const stage = stages[stages.length - 1];
      if (!stage) throw new Error(`Dockerfile line ${ins.line}: ${ins.keyword} before FROM`);
      stage.instructions.push(ins);
    }
  }
  return { args, stages };
}

/** COPY's flags, sources and destination. */
function copyParts(args: string): { from?: string; sources: string[]; dest: string } {
  const words = args.startsWith('[') ? (JSON.parse(args) as string[]) : args.split(/\s+/);
  const flags = words.filter((w) => w.startsWith('--'));
  const rest = words.filter((w) => !w.startsWith('--'));
  const from = flags.find((f) => f.startsWith('--from='))?.slice('--from='.length);
  return {
    ...(from !== undefined ? { from } : {}),
    sources: rest.slice(0, -1),
    dest: rest[rest.length - 1]!,
  };
}

/**
 * Whether `path` is sent to the builder under a .dockerignore (last matching pattern wins, `!`
 * re-includes). Patterns here are `*`, names, and `**` globs, which is what the file uses.
 */
function sentToBuilder(path: string, patterns: string[]): boolean {
  const toRegex = (pattern: string): RegExp =>
    new RegExp(
      `^${pattern
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*\*\//g, '(?:.*/)?')
        .replace(/\*\*/g, '.*')
        .replace(/\*/g, '[^/]*')}(?:/.*)?$`,
    );
  let included = true;
  for (const raw of patterns) {
    const negated = raw.startsWith('!');
    const pattern = negated ? raw.slice(1) : raw;
    if (toRegex(pattern).test(path)) included = negated;
  }
  return included;
}

/** Relative and package imports of a TypeScript file that survive compilation (no `import type`). */
function runtimeImports(source: string): string[] {
  const out: string[] = [];
  const statement = /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\s+from\s+)?['"]([^'"]+)['"]/g;
  for (const m of source.matchAll(statement)) {
    if (m[2] === undefined) out.push(m[3]!);
  }
  for (const m of source.matchAll(/\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) out.push(m[1]!);
  return out;
}

function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]!;
}

describe('deploy/Dockerfile', () => {
  let stages: Stage[];
  let ignore: string[];
  let pkg: Record<string, unknown>;

  beforeAll(async () => {
    stages = parseDockerfile(await readText(DEPLOY, 'Dockerfile')).stages;
    ignore = (await readText(DEPLOY, 'Dockerfile.dockerignore'))
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '' && !l.startsWith('#'));
    pkg = record(await readJson(REPO, 'package.json'), 'package.json');
  });

  const stage = (name: string): Stage => {
    const found = stages.find((s) => s.name === name);
    if (!found) throw new Error(`no stage ${name}`);
    return found;
  };
  const runtime = (): Stage => stages[stages.length - 1]!;
  const instruction = (s: Stage, keyword: string): Instruction[] =>
    s.instructions.filter((i) => i.keyword === keyword);

  it('builds in stages and runs any `cdn` subcommand on node:20-bookworm-slim as a non-root user', () => {
    expect(stages.map((s) => s.name)).toEqual(['build', 'deps', 'runtime']);
    expect(runtime().from).toBe('node:20-bookworm-slim');
    const entrypoint = instruction(runtime(), 'ENTRYPOINT');
    expect(entrypoint).toHaveLength(1);
    expect(JSON.parse(entrypoint[0]!.args)).toEqual(['node', 'dist/bin/cdn.js']);
    const user = instruction(runtime(), 'USER').at(-1)!.args;
    expect(user.split(':')[0]).not.toMatch(/^(0|root)$/);
    // The production dependencies stage installs without devDependencies.
    expect(instruction(stage('deps'), 'RUN')[0]!.args).toMatch(/npm ci --omit=dev/);
  });

  it('copies only files that exist and that the build context sends', () => {
    const names = new Set(stages.map((s) => s.name));
    for (const s of stages) {
      for (const copy of instruction(s, 'COPY').map((i) => copyParts(i.args))) {
        if (copy.from !== undefined) {
          expect(names.has(copy.from), `COPY --from=${copy.from}`).toBe(true);
          expect(stages.findIndex((x) => x.name === copy.from)).toBeLessThan(stages.indexOf(s));
          continue;
        }
        for (const source of copy.sources) {
          expect(existsSync(join(REPO, source)), `COPY source ${source}`).toBe(true);
          expect(sentToBuilder(source, ignore), `${source} is excluded by Dockerfile.dockerignore`).toBe(
            true,
          );
        }
      }
    }
    // And the heavy local directories are not sent.
    for (const local of ['node_modules', 'dist', 'tmp', 'edge/node_modules']) {
      expect(sentToBuilder(local, ignore), local).toBe(false);
    }
  });

  it('compiles bin/cdn.ts to the entrypoint with every directory the compiler includes', async () => {
    const build = stage('build');
    const buildScript = String(record(pkg.scripts, 'scripts').build);
    expect(instruction(build, 'RUN').some((r) => r.args.includes('npm run build'))).toBe(true);
    const project = /-p\s+(\S+)/.exec(buildScript)![1]!;
    const shown = await run(join(REPO, 'node_modules', '.bin', 'tsc'), ['-p', project, '--showConfig'], {
      cwd: REPO,
    });
    expect(shown.exitCode).toBe(0);
    const config = JSON.parse(shown.stdout) as {
      compilerOptions: { outDir: string; rootDir: string };
      files: string[];
      include: string[];
    };
    expect(config.files.map((f) => relative(REPO, resolve(REPO, f)))).toContain('bin/cdn.ts');
    const entry = join(config.compilerOptions.outDir, relative(config.compilerOptions.rootDir, 'bin/cdn.js'));
    expect(relative(REPO, resolve(REPO, entry))).toBe('dist/bin/cdn.js');
    // Everything the compiler reads is copied into the build stage before `npm run build`.
    const copied = new Set(
      instruction(build, 'COPY').flatMap((i) => copyParts(i.args).sources.map((s) => s.replace(/\/$/, ''))),
    );
    for (const dir of config.include) expect(copied.has(relative(REPO, resolve(REPO, dir))), dir).toBe(true);
    expect(copied.has(project)).toBe(true);
    // The compiled entry needs package.json beside dist/ at run time (bin/main.ts reads its version).
    const runtimeCopies = instruction(runtime(), 'COPY').flatMap((i) => copyParts(i.args).sources);
    expect(runtimeCopies).toContain('package.json');
  });

  it('runs no code at run time that needs a development dependency or a file the image drops', async () => {
    const dependencies = new Set(Object.keys(record(pkg.dependencies, 'dependencies')));
    const builtins = new Set(builtinModules);
    const build = stage('build');
    const copiedDirs = instruction(build, 'COPY')
      .map((i) => copyParts(i.args).sources[0]!)
      .filter((s) => existsSync(join(REPO, s)));
    // dist/test is removed after the build: test/ must not be on the runtime path.
    const dropped = instruction(build, 'RUN').some((r) => /rm -rf dist\/test\b/.test(r.args)) ? ['test'] : [];
    const seen = new Set<string>();
    const problems: string[] = [];
    const queue = [join(REPO, 'bin', 'cdn.ts')];
    while (queue.length > 0) {
      const file = queue.pop()!;
      if (seen.has(file)) continue;
      seen.add(file);
      const rel = relative(REPO, file);
      const top = rel.split('/')[0]!;
      if (!copiedDirs.includes(top) || dropped.includes(top)) problems.push(`${rel} is not in the image`);
      const source = await readFile(file, 'utf8');
      for (const specifier of runtimeImports(source)) {
        if (specifier.startsWith('.')) {
          const target = resolve(dirname(file), specifier.replace(/\.js$/, '.ts'));
          if (existsSync(target)) queue.push(target);
          else if (!existsSync(resolve(dirname(file), specifier)))
            problems.push(`${rel} imports missing ${specifier}`);
        } else if (!specifier.startsWith('node:') && !builtins.has(specifier)) {
          const name = packageName(specifier);
          if (!dependencies.has(name)) problems.push(`${rel} imports ${name}, not a production dependency`);
        }
      }
      // Files read relative to the compiled code (dist/...) must be in the image too.
      const compiled = join(REPO, 'dist', rel.replace(/\.ts$/, '.js'));
      for (const m of source.matchAll(/new URL\(\s*'([^']+)'\s*,\s*import\.meta\.url\s*\)/g)) {
        const target = relative(REPO, resolve(dirname(compiled), m[1]!));
        const fromSource =
          target.startsWith('dist/') && existsSync(join(REPO, target.slice(5).replace(/\.js$/, '.ts')));
        if (target !== 'package.json' && !fromSource)
          problems.push(`${rel} reads ${target} at run time, which the image does not hold`);
      }
    }
    expect(seen.size).toBeGreaterThan(20);
    expect(problems).toEqual([]);
  });

  describe('HEALTHCHECK', () => {
    let edge: RunningEdge;
    let probe: string;

    beforeAll(async () => {
      edge = await startOpsEdge();
      const check = instruction(runtime(), 'HEALTHCHECK')[0]!.args;
      const command = JSON.parse(check.slice(check.indexOf('CMD') + 3).trim()) as string[];
      expect(command.slice(0, 2)).toEqual(['node', '-e']);
      probe = command[2]!;
    });
    afterAll(async () => {
      await edge.close();
    });

    it('is healthy while the URL answers 2xx and unhealthy otherwise', async () => {
      expect((await runNodeScript(probe, { CDN_HEALTHCHECK_URL: `${edge.url}/healthz` })).exitCode).toBe(0);
      // A drained edge is alive but not ready: probing /readyz then fails.
      await fetch(`${edge.url}/admin/drain`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` },
      });
      expect((await runNodeScript(probe, { CDN_HEALTHCHECK_URL: `${edge.url}/readyz` })).exitCode).toBe(1);
      // Nothing listening.
      expect(
        (await runNodeScript(probe, { CDN_HEALTHCHECK_URL: 'http://127.0.0.1:9/healthz' })).exitCode,
      ).toBe(1);
    });

    it('counts a container without a URL (one-shot cdn encode) as healthy', async () => {
      expect((await runNodeScript(probe, {})).exitCode).toBe(0);
    });
  });
});
