/** Shared pieces of the deploy checks: paths, files, tools on PATH, a real edge to probe. */
import { accessSync, constants } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';
import { expect } from 'vitest';
import { parse } from 'yaml';
import { runProcess, type ProcessResult } from '../../common/process.js';
import { edgeConfigFromInput, startEdge, type RunningEdge } from '../../edge/index.js';

export const REPO = join(import.meta.dirname, '..', '..');
export const DEPLOY = join(REPO, 'deploy');

export function readText(...path: string[]): Promise<string> {
  return readFile(join(...path), 'utf8');
}

/** Parses YAML with `<<` merge keys resolved (Compose uses them). */
export async function readYaml(...path: string[]): Promise<unknown> {
  return parse(await readText(...path), { merge: true }) as unknown;
}

export async function readJson(...path: string[]): Promise<unknown> {
  return JSON.parse(await readText(...path)) as unknown;
}

export function isRecord(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** `value` as a record, or a test failure naming `what`. */
export function record(value: unknown, what: string): Record<string, unknown> {
  if (!isRecord(value)) throw new Error(`${what} is not a map: ${JSON.stringify(value)}`);
  return value;
}

/** The absolute path of a program on PATH, if any (optional tools: promtool, bird, ...). */
export function onPath(program: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir === '') continue;
    const candidate = join(dir, program);
    try {
      accessSync(candidate, constants.X_OK);
      return candidate;
    } catch {
      // not here
    }
  }
  for (const dir of ['/usr/sbin', '/sbin']) {
    try {
      accessSync(join(dir, program), constants.X_OK);
      return join(dir, program);
    } catch {
      // not here
    }
  }
  return undefined;
}

/** Runs a program to completion (never throws on a non-zero exit), bounded in time. */
export function run(
  command: string,
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; cwd?: string; timeoutMs?: number } = {},
): Promise<ProcessResult> {
  return runProcess(command, args, {
    allowNonZeroExit: true,
    captureStdout: true,
    timeoutMs: options.timeoutMs ?? 30_000,
    ...(options.env !== undefined ? { env: options.env } : {}),
    ...(options.cwd !== undefined ? { cwd: options.cwd } : {}),
  });
}

/** Runs `node -e script` with only `env` (plus PATH): how the deploy files' inline probes run. */
export function runNodeScript(script: string, env: Record<string, string>): Promise<ProcessResult> {
  return run(process.execPath, ['-e', script], { env: { PATH: process.env.PATH ?? '', ...env } });
}

export const TEST_ADMIN_TOKEN = 'deploy-test-admin-token-0123456789';

/** A real memory-only edge on 127.0.0.1 with an admin token (no origin needed for ops routes). */
export function startOpsEdge(): Promise<RunningEdge> {
  return startEdge(
    edgeConfigFromInput({
      nodeId: 'edge-deploy-test',
      listen: { host: '127.0.0.1', port: 0 },
      // Nothing listens on the discard port: the ops routes never fill.
      originUrl: 'http://127.0.0.1:9',
      adminToken: TEST_ADMIN_TOKEN,
      logLevel: 'silent',
    }),
  );
}

/** The edge's readiness: its status code and the reason in the body. */
export async function readiness(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(5000) });
  return { status: response.status, body: await response.text() };
}

/** Parses a `KEY=VALUE` environment file (comments and blank lines skipped). */
export function parseEnvFile(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(line);
    if (m) out[m[1]!] = m[2]!.trim();
  }
  return out;
}

export interface BirdBgpProtocol {
  name: string;
  localAddress?: string;
  localAs?: number;
  neighborAddress?: string;
  neighborPort?: number;
  neighborAs?: number;
  /** The body with its template's body in front (filters, channels). */
  body: string;
}

/** The values of `define NAME = value;` in a BIRD config. */
export function birdDefines(text: string): Map<string, string> {
  return new Map(
    [...stripBirdComments(text).matchAll(/\bdefine\s+(\w+)\s*=\s*([^;]+);/g)].map((m) => [
      m[1]!,
      m[2]!.trim(),
    ]),
  );
}

function stripBirdComments(text: string): string {
  return text.replace(/#[^\n]*/g, '');
}

interface BirdBlock {
  kind: 'protocol' | 'template';
  from?: string;
  body: string;
}

/** `protocol|template <type> NAME [from T] { ... }` blocks of a BIRD config, braces matched. */
function birdBlocks(text: string, type: string): Map<string, BirdBlock> {
  const source = stripBirdComments(text);
  const blocks = new Map<string, BirdBlock>();
  const head = new RegExp(`\\b(protocol|template)\\s+${type}\\s+(\\w+)(?:\\s+from\\s+(\\w+))?\\s*\\{`, 'g');
  for (const m of source.matchAll(head)) {
    let depth = 1;
    let i = m.index + m[0].length;
    for (; i < source.length && depth > 0; i++) {
      if (source[i] === '{') depth++;
      else if (source[i] === '}') depth--;
    }
    blocks.set(m[2]!, {
      kind: m[1] as BirdBlock['kind'],
      ...(m[3] !== undefined ? { from: m[3] } : {}),
      body: source.slice(m.index + m[0].length, i - 1),
    });
  }
  return blocks;
}

/**
 * The BGP protocols of a BIRD 2 config, templates applied and `define`d constants resolved: enough
 * to check neighbor addresses, ports and AS numbers against the edges' configs (`bird -p` checks
 * the syntax).
 */
export function birdBgpProtocols(text: string): BirdBgpProtocol[] {
  const defines = birdDefines(text);
  const resolve = (value: string): number => Number(defines.get(value) ?? value);
  const blocks = birdBlocks(text, 'bgp');
  const out: BirdBgpProtocol[] = [];
  for (const [name, block] of blocks) {
    if (block.kind !== 'protocol') continue;
    const body = `${block.from !== undefined ? (blocks.get(block.from)?.body ?? '') : ''}\n${block.body}`;
    const protocol: BirdBgpProtocol = { name, body };
    for (const m of body.matchAll(/\blocal\s+([0-9A-Fa-f.:]+)?\s*(?:port\s+\d+\s+)?as\s+(\w+)\s*;/g)) {
      if (m[1] !== undefined) protocol.localAddress = m[1];
      protocol.localAs = resolve(m[2]!);
    }
    for (const m of body.matchAll(/\bneighbor\s+([0-9A-Fa-f.:]+)\s+(?:port\s+(\d+)\s+)?as\s+(\w+)\s*;/g)) {
      protocol.neighborAddress = m[1]!;
      if (m[2] !== undefined) protocol.neighborPort = Number(m[2]);
      protocol.neighborAs = resolve(m[3]!);
    }
    out.push(protocol);
  }
  return out;
}

/** Static routes of a BIRD config (`route PREFIX ...;`) by protocol name. */
export function birdStaticRoutes(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const [name, block] of birdBlocks(text, 'static')) {
    out.set(
      name,
      [...block.body.matchAll(/\broute\s+([0-9A-Fa-f.:]+\/\d+)/g)].map((r) => r[1]!),
    );
  }
  return out;
}

/** Standard communities a BIRD config adds (`bgp_community.add((A, B))`), constants resolved. */
export function birdAddedCommunities(text: string): string[] {
  const defines = birdDefines(text);
  const out: string[] = [];
  for (const m of stripBirdComments(text).matchAll(
    /bgp_community\.add\(\s*(\(\s*\w+\s*,\s*\w+\s*\)|\w+)\s*\)/g,
  )) {
    const pair = m[1]!.startsWith('(') ? m[1]! : (defines.get(m[1]!) ?? m[1]!);
    const parts = /\(\s*(\w+)\s*,\s*(\w+)\s*\)/.exec(pair);
    if (parts) out.push([parts[1]!, parts[2]!].map((p) => defines.get(p) ?? p).join(':'));
  }
  return out;
}

/** Runs a drain command (preStop hook, ExecStop) against `edgeUrl` and expects the edge drained. */
export async function expectDrainedBy(script: string, edgeUrl: string): Promise<void> {
  expect((await readiness(edgeUrl)).status).toBe(200);
  const result = await runNodeScript(script, {
    EDGE_PORT: new URL(edgeUrl).port,
    EDGE_ADMIN_TOKEN: TEST_ADMIN_TOKEN,
    CDN_DRAIN_WAIT_S: '0',
  });
  expect(result.exitCode).toBe(0);
  const ready = await readiness(edgeUrl);
  expect(ready.status).toBe(503);
  expect(ready.body).toContain('draining');
}

/** `bird -p -c path` (parse only) succeeds silently; skips when BIRD is not installed. */
export async function expectBirdParses(path: string, ctx: { skip: (note: string) => never }): Promise<void> {
  const bird = onPath('bird');
  if (!bird) ctx.skip('bird is not installed (Debian package bird2)');
  const result = await run(bird, ['-p', '-c', path]);
  expect(result.stderrTail).toBe('');
  expect(result.exitCode).toBe(0);
}
