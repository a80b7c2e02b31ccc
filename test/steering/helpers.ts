import { createServer } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import {
  ControlClient,
  controlConfigFromInput,
  type ControlClientOptions,
  type ControlConfigInput,
  type ControlEvent,
} from '../../edge/control/index.js';
import type { OriginConfigInput } from '../../origin/config.js';
import { writeFakePackage } from '../../origin/store/fixtures.js';
import { buildTestApp, fakePipeline, type TestDirs } from '../origin/helpers.js';

export const TOKEN_KEY = Buffer.alloc(32, 9);

export function edgeToken(id: string): string {
  return `${id}-secret-token-0123456789`;
}

export interface RunningTestOrigin {
  app: FastifyInstance;
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * A real origin listening on 127.0.0.1 (the fake-package pipeline: no FFmpeg) with title packages
 * published: `packages` (directories), or else one fake package of `title` (default `movie`).
 */
export async function startTestOrigin(
  dirs: TestDirs,
  steering: NonNullable<OriginConfigInput['steering']>,
  options: { port?: number; title?: string; packages?: readonly string[] } = {},
): Promise<RunningTestOrigin> {
  const app = await buildTestApp(dirs, { steering }, { createPipeline: fakePipeline().pipeline });
  let packages = options.packages;
  if (packages === undefined) {
    const title = options.title ?? 'movie';
    const pkg = join(dirs.root, `pkg-${title}`);
    await writeFakePackage(pkg, { titleId: title });
    packages = [pkg];
  }
  for (const pkg of packages) await app.origin.store.publish(pkg);
  await app.listen({ host: '127.0.0.1', port: options.port ?? 0 });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  return { app, url: `http://127.0.0.1:${port}`, port, close: () => app.close() };
}

/** A port nothing listens on right now (the kernel's pick, released). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : 0;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

export interface TestClient {
  client: ControlClient;
  events: ControlEvent[];
  status: {
    health: 'ok' | 'degraded' | 'down';
    loadGbps: number;
    draining: boolean;
    cachedTitles?: string[];
  };
}

/** A control client for edge `id` (token from edgeToken), fast timers for tests. */
export function testClient(
  originUrl: string,
  id: string,
  config: Partial<ControlConfigInput> = {},
  options: Partial<ControlClientOptions> = {},
): TestClient {
  const events: ControlEvent[] = [];
  const status: TestClient['status'] = { health: 'ok', loadGbps: 1, draining: false };
  const client = new ControlClient({
    config: controlConfigFromInput({
      originUrl,
      edgeId: id,
      token: edgeToken(id),
      cluster: 'site-a',
      publicUrl: `http://${id}.test:8081`,
      capacityGbps: 10,
      timeoutMs: 1000,
      routeFlushDelayMs: 10,
      backoff: { initialMs: 20, maxMs: 200 },
      ...config,
    }),
    status: () => status,
    onEvent: (e) => events.push(e),
    ...options,
  });
  return { client, events, status };
}

/** Polls until `check` holds (bounded). */
export async function until(
  check: () => boolean | Promise<boolean>,
  what: string,
  timeoutMs = 5000,
): Promise<void> {
  const started = Date.now();
  while (!(await check())) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}
