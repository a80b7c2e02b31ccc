import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Fastify, { type FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildTestApp, makeDirs, removeDirs, type TestDirs } from '../../test/origin/helpers.js';
import { installErrorHandling } from '../plugins/errors.js';
import { PLAYER_VENDOR_FILES, playerPlugin } from './index.js';

const require = createRequire(import.meta.url);
let app: FastifyInstance;

beforeAll(async () => {
  app = Fastify();
  installErrorHandling(app);
  await app.register(playerPlugin);
  await app.ready();
});

afterAll(async () => {
  await app?.close();
});

describe('the web player plugin', () => {
  it('serves the page at /player and /player/ with a content security policy and a strong ETag', async () => {
    for (const url of ['/player', '/player/', '/player/index.html']) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
      expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
      expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]+"$/);
      expect(res.headers['cache-control']).toBe('no-cache');
      expect(res.body).toContain('<script type="module" src="/player/player.js"></script>');
    }
    const page = await app.inject({ url: '/player' });
    expect(page.headers['content-security-policy']).toContain("script-src 'self'");
    expect(page.headers['x-content-type-options']).toBe('nosniff');
  });

  it('serves every file the page and its script ask for, the libraries byte for byte from node_modules', async () => {
    const html = (await app.inject({ url: '/player' })).body;
    const script = (await app.inject({ url: '/player/player.js' })).body;
    const asked = [...`${html}\n${script}`.matchAll(/['"](\/player\/[A-Za-z0-9./_-]+)['"]/g)].map(
      (m) => m[1]!,
    );
    expect(asked).toEqual(
      expect.arrayContaining([
        '/player/player.css',
        '/player/player.js',
        '/player/vendor/shaka-player.compiled.js',
        '/player/vendor/hls.min.mjs',
      ]),
    );
    for (const url of new Set(asked)) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(200);
    }
    for (const [name, specifier] of Object.entries(PLAYER_VENDOR_FILES)) {
      const res = await app.inject({ url: `/player/vendor/${name}` });
      expect(res.headers['content-type']).toBe('text/javascript; charset=utf-8');
      expect(res.rawPayload.equals(await readFile(require.resolve(specifier)))).toBe(true);
    }
    expect((await app.inject({ url: '/player/player.css' })).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
  });

  it('answers conditional requests: 304 for a matching If-None-Match, 412 for a failing If-Match', async () => {
    const first = await app.inject({ url: '/player/vendor/hls.min.mjs' });
    const etag = first.headers.etag as string;
    const again = await app.inject({ url: '/player/vendor/hls.min.mjs', headers: { 'if-none-match': etag } });
    expect(again.statusCode).toBe(304);
    expect(again.body).toBe('');
    const changed = await app.inject({
      url: '/player/vendor/hls.min.mjs',
      headers: { 'if-none-match': '"old"' },
    });
    expect(changed.statusCode).toBe(200);
    const failed = await app.inject({ url: '/player/player.js', headers: { 'if-match': '"old"' } });
    expect(failed.statusCode).toBe(412);
    expect(failed.json()).toMatchObject({ error: 'ORIGIN_ERR_PRECONDITION_FAILED' });
    const head = await app.inject({ method: 'HEAD', url: '/player/player.js' });
    expect(head.statusCode).toBe(200);
    expect(Number(head.headers['content-length'])).toBeGreaterThan(1000);
    expect(head.body).toBe('');
  });

  it('refuses anything else under /player with ORIGIN_ERR_NOT_FOUND, and serves nothing outside its files', async () => {
    for (const url of [
      '/player/nope.js',
      '/player/vendor/dash.all.min.js',
      '/player/vendor/../../package.json',
      '/player/%2e%2e/%2e%2e/package.json',
      '/player/..%2fplugin.ts',
      '/player/plugin.test.ts',
      '/player/vendor/',
    ]) {
      const res = await app.inject({ url });
      expect(res.statusCode, url).toBe(404);
      expect(res.json(), url).toMatchObject({ error: 'ORIGIN_ERR_NOT_FOUND' });
      expect(res.headers['cache-control'], url).toBe('no-store');
    }
    const post = await app.inject({ method: 'POST', url: '/player', payload: {} });
    expect(post.statusCode).toBe(404);
    expect(post.json()).toMatchObject({ error: 'ORIGIN_ERR_NOT_FOUND' });
    // Still serving after the bad requests.
    expect((await app.inject({ url: '/player' })).statusCode).toBe(200);
  });

  it('refuses to start without a page, naming the directory', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'player-static-'));
    try {
      await writeFile(join(dir, 'player.js'), 'export {};\n');
      const bare = Fastify();
      await expect(bare.register(playerPlugin, { staticDir: dir }).ready()).rejects.toThrow(
        `the web player has no index.html in ${dir}`,
      );
      await bare.close();
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

describe('the origin serves the web player', () => {
  let dirs: TestDirs;
  let origin: FastifyInstance;

  beforeAll(async () => {
    dirs = await makeDirs('player-plugin-');
    origin = await buildTestApp(
      dirs,
      {},
      { createPipeline: () => () => Promise.reject(new Error('unused')) },
    );
  });

  afterAll(async () => {
    await origin?.close();
    await removeDirs(dirs);
  });

  it('at /player, without the API token', async () => {
    const res = await origin.inject({ url: '/player?title=movie&format=hls' });
    expect(res.statusCode).toBe(200);
    expect(res.body).toContain('CDN web player');
    const docs = (await origin.inject({ url: '/docs/json' })).json<{ paths: Record<string, unknown> }>();
    expect(Object.keys(docs.paths).filter((p) => p.startsWith('/player'))).toEqual([]);
  });
});
