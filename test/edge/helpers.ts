import { mkdtemp, rm } from 'node:fs/promises';
import {
  createServer,
  request as httpRequest,
  type IncomingMessage,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Registry } from 'prom-client';
import { createMetricsRegistry } from '../../common/metrics.js';
import { buildEdgeApp, type EdgeApp } from '../../edge/app.js';
import type { Logger } from '../../common/logging.js';
import { DiskStore, type DiskFs } from '../../edge/cache/diskStore.js';
import { MemoryStore } from '../../edge/cache/memoryStore.js';
import { edgeConfigFromInput, type EdgeConfigInput } from '../../edge/config.js';

export const ADMIN_TOKEN = 'edge-admin-token-0123456789';
export const NODE = 'edge-t';

export type StubHandler = (req: IncomingMessage, res: ServerResponse) => void;

/** A small origin on 127.0.0.1 that counts requests per path and answers with per-path handlers. */
export interface StubOrigin {
  url: string;
  server: Server;
  routes: Map<string, StubHandler>;
  count(path: string): number;
  requests: { path: string; headers: IncomingMessage['headers'] }[];
  close(): Promise<void>;
}

export async function startStubOrigin(): Promise<StubOrigin> {
  const routes = new Map<string, StubHandler>();
  const counts = new Map<string, number>();
  const requests: StubOrigin['requests'] = [];
  const server = createServer((req, res) => {
    const path = req.url ?? '/';
    counts.set(path, (counts.get(path) ?? 0) + 1);
    requests.push({ path, headers: req.headers });
    const handler = routes.get(path);
    if (handler) handler(req, res);
    else {
      res.writeHead(404, { 'content-type': 'application/json', 'cache-control': 'no-store' });
      res.end('{"error":"ORIGIN_ERR_NOT_FOUND"}');
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    server,
    routes,
    requests,
    count: (path) => counts.get(path) ?? 0,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

/** A handler serving fixed bytes with a strong ETag, Last-Modified and the given Cache-Control; answers 304 to a matching If-None-Match. */
export function objectHandler(body: Buffer, cacheControl: string, etag = '"v1"', delayMs = 0): StubHandler {
  return (req, res) => {
    // No Date: the edge's test clock is not the wall clock, and ages come from the response time.
    res.sendDate = false;
    const send = (): void => {
      const headers = {
        'content-type': 'video/mp4',
        etag,
        'last-modified': 'Wed, 01 Jan 2025 00:00:00 GMT',
        'cache-control': cacheControl,
      };
      if (req.headers['if-none-match'] === etag) {
        res.writeHead(304, headers);
        res.end();
        return;
      }
      res.writeHead(200, { ...headers, 'content-length': body.length });
      res.end(body);
    };
    if (delayMs > 0) setTimeout(send, delayMs);
    else send();
  };
}

export interface TestEdge {
  app: EdgeApp;
  url: string;
  memory: MemoryStore;
  disk: DiskStore | undefined;
  registry: Registry;
  clock: { nowMs: number };
  close(): Promise<void>;
}

export async function startTestEdge(
  originUrl: string,
  overrides: Partial<EdgeConfigInput> = {},
  options: { diskDir?: string; clock?: { nowMs: number }; diskFs?: DiskFs; logger?: Logger } = {},
): Promise<TestEdge> {
  const config = edgeConfigFromInput({
    nodeId: NODE,
    originUrl,
    adminToken: ADMIN_TOKEN,
    listen: { host: '127.0.0.1', port: 0 },
    logLevel: 'silent',
    ...(options.diskDir !== undefined ? { disk: { dir: options.diskDir } } : {}),
    ...overrides,
  });
  const clock = options.clock ?? { nowMs: Date.now() };
  const memory = new MemoryStore({ maxBytes: config.memory.maxBytes, now: () => clock.nowMs });
  let disk: DiskStore | undefined;
  if (config.disk) {
    disk = new DiskStore({
      dir: config.disk.dir,
      maxBytes: config.disk.maxBytes,
      now: () => clock.nowMs,
      ...(options.diskFs ? { fs: options.diskFs } : {}),
    });
    await disk.open();
  }
  const registry = createMetricsRegistry({ processMetrics: false });
  const app = buildEdgeApp({
    config,
    registry,
    memory,
    ...(disk ? { disk } : {}),
    ...(options.logger ? { logger: options.logger } : {}),
    nowMs: () => clock.nowMs,
  });
  const url = await app.listen();
  return { app, url, memory, disk, registry, clock, close: () => app.close() };
}

export async function makeTempDir(prefix = 'edge-test-'): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** A raw GET (no URL normalisation, unlike fetch), for path-traversal tests. */
export function rawGet(base: string, path: string): Promise<{ status: number; body: string }> {
  const { hostname, port } = new URL(base);
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: hostname, port, path, method: 'GET' }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end();
  });
}

export function admin(base: string, path: string, body: unknown, token = ADMIN_TOKEN): Promise<Response> {
  return fetch(`${base}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Polls until `check` holds, for background work (refreshes, disk writes). */
export async function until(check: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not reached in time');
    await sleep(10);
  }
}
