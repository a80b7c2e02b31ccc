/**
 * The Node servers of the edge benchmark, each started as its own process (`cdn edge --config` and
 * the bare `node:http` reference), so that CPU and RSS are measured per server and never mixed
 * with the driver's.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { EdgeConfigInput } from '../../../edge/index.js';
import { freePort, startChild, type ChildServer } from './processes.js';

/** Running from dist (`.js`) needs plain node; from source (`.ts`), the tsx loader. */
const FROM_SOURCE = import.meta.url.endsWith('.ts');
const EXT = FROM_SOURCE ? '.ts' : '.js';
const LOADER_ARGS = FROM_SOURCE ? ['--import', 'tsx'] : [];
const CDN_ENTRY = fileURLToPath(new URL(`../../../bin/cdn${EXT}`, import.meta.url));
const BARE_ENTRY = fileURLToPath(new URL(`./bareServer${EXT}`, import.meta.url));

export interface EdgeProcessOptions {
  name: string;
  /** Where its config (and CPU profile) go. */
  dir: string;
  originUrl: string;
  memoryMaxBytes: number;
  /** A disk tier in this dir; memory only when absent. */
  diskDir?: string;
  /** Write a V8 CPU profile (`--cpu-prof`) into this dir when the edge stops. */
  cpuProfDir?: string;
  /** Worker processes (`--workers`, node:cluster); one process when absent. */
  workers?: number;
  /** Extra environment variables (on top of this process's). */
  env?: Readonly<Record<string, string>>;
  /** Another build's `cdn` entry (a `.js` file), to run that edge instead (A/B against a baseline). */
  entry?: string;
}

export interface ChildHttpServer extends ChildServer {
  /** `http://127.0.0.1:port`. */
  url: string;
}

/** `cdn edge --config <file>` on a free port of 127.0.0.1, logging warnings only. */
export async function startEdgeProcess(options: EdgeProcessOptions): Promise<ChildHttpServer> {
  const config: EdgeConfigInput = {
    nodeId: options.name,
    listen: { host: '127.0.0.1', port: 0 },
    originUrl: options.originUrl,
    memory: { maxBytes: options.memoryMaxBytes },
    ...(options.diskDir !== undefined ? { disk: { dir: options.diskDir } } : {}),
    ...(options.workers !== undefined ? { workers: options.workers } : {}),
    logLevel: 'warn',
  };
  const configPath = join(options.dir, `${options.name}.json`);
  await writeFile(configPath, JSON.stringify(config, null, 2));
  const profArgs =
    options.cpuProfDir === undefined ? [] : ['--cpu-prof', `--cpu-prof-dir=${options.cpuProfDir}`];
  const server = await startChild({
    name: options.name,
    command: process.execPath,
    args: [
      ...(options.entry === undefined ? LOADER_ARGS : []),
      ...profArgs,
      options.entry ?? CDN_ENTRY,
      'edge',
      '--config',
      configPath,
    ],
    readyLine: /listening on (http:\/\/\S+)/,
    ...(options.env !== undefined ? { env: { ...process.env, ...options.env } } : {}),
  });
  return Object.assign(server, { url: server.ready });
}

/** The bare `node:http` server answering `paths` (fetched once from the origin) from a Map. */
export async function startBareServer(options: {
  name: string;
  originUrl: string;
  paths: readonly string[];
  workers: number;
}): Promise<ChildHttpServer> {
  const port = await freePort();
  const server = await startChild({
    name: options.name,
    command: process.execPath,
    args: [
      ...LOADER_ARGS,
      BARE_ENTRY,
      '--port',
      String(port),
      '--workers',
      String(options.workers),
      '--origin',
      options.originUrl,
      ...options.paths,
    ],
    readyLine: /listening on (http:\/\/\S+)/,
  });
  return Object.assign(server, { url: server.ready });
}
