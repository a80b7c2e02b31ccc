import { readdir } from 'node:fs/promises';
import { request } from 'node:http';
import { connect } from 'node:net';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  AUTH,
  buildTestApp,
  fakePipeline,
  makeDirs,
  removeDirs,
  type TestDirs,
} from '../test/origin/helpers.js';
import { writeFakePackage } from './store/fixtures.js';

/** Over a real socket: raw request paths reach the server exactly as sent (no client-side normalising). */
let dirs: TestDirs;
let app: FastifyInstance;
let port: number;
let version: string;

function rawGet(
  path: string,
  headers: Record<string, string> = {},
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, method: 'GET', headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () =>
        resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
      );
    });
    req.on('error', reject);
    req.end();
  });
}

async function openFds(): Promise<number> {
  return (await readdir('/proc/self/fd')).length;
}

beforeAll(async () => {
  dirs = await makeDirs('origin-socket-');
  app = await buildTestApp(dirs, {}, { createPipeline: fakePipeline().pipeline });
  const pkg = join(dirs.root, 'pkg');
  // 8 MB segments: far more than socket buffers hold, so an aborted download is really cut short.
  version = (
    await writeFakePackage(pkg, { titleId: 'movie', segmentBytes: 8 * 1024 * 1024, segmentCount: 1 })
  ).version;
  await app.origin.store.publish(pkg);
  await app.listen({ host: '127.0.0.1', port: 0 });
  const address = app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});

afterAll(async () => {
  await app?.close();
  await removeDirs(dirs);
});

describe('path traversal over a real socket', () => {
  it('refuses every traversal form in content paths with 400 ORIGIN_ERR_BAD_PATH', async () => {
    const bad = [
      '/content/movie/../../../etc/passwd',
      '/content/movie/..%2f..%2fetc%2fpasswd',
      '/content/movie/%2e%2e/%2e%2e/current.json',
      '/content/movie/%2E%2E/versions',
      '/content/movie/video/./v0/00001.m4s',
      '/content/movie//etc/passwd',
      '/content/movie/%2fetc%2fpasswd',
      '/content//etc/passwd',
      '/content/movie/title.json%00.mp4',
      '/content/movie/.origin-files.json',
      `/content/movie/v/${version}/.origin-files.json`,
      `/content/movie/v/${version}/../../current.json`,
      '/content/movie/v/..%2f..%2f/manifest.mpd',
      '/content/..%2fmovie/manifest.mpd',
      '/content/movie/video/v0/%ZZ.m4s',
      '/content/movie/video\\..\\title.json',
      '/content/movie/%5c..%5ctitle.json',
    ];
    for (const path of bad) {
      const res = await rawGet(path);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body), path).toMatchObject({ error: 'ORIGIN_ERR_BAD_PATH' });
    }
    expect((await rawGet('/content/movie/manifest.mpd')).status).toBe(200);
  });

  it('refuses traversal in API path parameters with 400', async () => {
    for (const path of [
      '/v1/titles/..',
      '/v1/titles/%2e%2e',
      '/v1/titles/..%2F..%2Fetc',
      '/v1/titles/a%00b',
      '/v1/jobs/%2e%2e%2fjobs',
    ]) {
      const res = await rawGet(path, AUTH);
      expect(res.status, path).toBe(400);
      expect(JSON.parse(res.body), path).toMatchObject({ error: 'ORIGIN_ERR_BAD_REQUEST' });
    }
  });
});

describe('a client that disconnects mid-download', () => {
  it('leaves no open stream or file descriptor behind', async () => {
    const openStreams = async (): Promise<number> =>
      (await app.origin.metrics.openStreams.get()).values[0]?.value ?? 0;
    const baselineFds = await openFds();
    let openDuringDownload = 0;
    for (let round = 0; round < 5; round++) {
      await new Promise<void>((resolve, reject) => {
        const socket = connect(port, '127.0.0.1', () => {
          socket.write(`GET /content/movie/v/${version}/video/v0/00001.m4s HTTP/1.1\r\nHost: x\r\n\r\n`);
        });
        let received = 0;
        socket.on('data', (chunk: Buffer) => {
          received += chunk.length;
          if (received > 64 * 1024 && !socket.destroyed) {
            socket.pause();
            void openStreams().then((n) => {
              openDuringDownload = Math.max(openDuringDownload, n);
              socket.destroy();
              resolve();
            });
          }
        });
        socket.on('error', reject);
      });
    }
    expect(openDuringDownload).toBe(1);
    const deadline = Date.now() + 5000;
    while ((await openStreams()) !== 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect(await openStreams()).toBe(0);
    while ((await openFds()) > baselineFds && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 20));
    expect(await openFds()).toBeLessThanOrEqual(baselineFds);
    // The server still serves afterwards.
    const ok = await rawGet('/content/movie/master.m3u8');
    expect(ok.status).toBe(200);
  });
});
