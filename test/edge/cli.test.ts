/**
 * `cdn edge` as an operator runs it: bad configuration stops it with exit 2 and a message naming
 * the key; a good one serves, and SIGTERM drains and exits 0.
 */
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CDN_SOURCE_ENTRY, runCdn } from '../helpers/cli.js';
import { makeTempDir, objectHandler, removeDir, startStubOrigin, type StubOrigin } from './helpers.js';

let dir: string;
let origin: StubOrigin;

beforeAll(async () => {
  dir = await makeTempDir('edge-cli-');
  origin = await startStubOrigin();
  origin.routes.set('/content/t1/a.m4s', objectHandler(Buffer.from('segment bytes'), 'max-age=60'));
});

afterAll(async () => {
  await origin.close();
  await removeDir(dir);
});

/** Environment without EDGE_* variables of the developer's shell. */
function cleanEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) if (!k.startsWith('EDGE_')) env[k] = v;
  return { ...env, ...extra };
}

async function configFile(name: string, content: string): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, content);
  return path;
}

describe('cdn edge', () => {
  it('exits 2 naming the problem for every kind of bad configuration', async () => {
    const cases: [string[], RegExp, Record<string, string>?][] = [
      [['edge'], /originUrl/],
      [['edge', '--config', join(dir, 'missing.json')], /missing\.json/],
      [
        ['edge', '--config', await configFile('bad.json', '{"originUrl": ')],
        /bad\.json.*JSON|JSON.*bad\.json/s,
      ],
      [
        [
          'edge',
          '--config',
          await configFile('unknown.json', '{"originUrl":"http://127.0.0.1:1","colour":1}'),
        ],
        /colour/,
      ],
      [['edge', '--origin', 'ftp://x'], /originUrl/],
      [['edge', '--origin', origin.url, '--port', '70000'], /port/],
      [['edge', '--origin', origin.url, '--memory-bytes', 'lots'], /--memory-bytes/],
      [['edge', '--origin', origin.url], /adminToken/, { EDGE_ADMIN_TOKEN: 'short' }],
      [
        [
          'edge',
          '--config',
          await configFile('tokens.json', '{"originUrl":"http://127.0.0.1:1","tokens":{"required":true}}'),
        ],
        /tokens\.keys/,
      ],
    ];
    for (const [args, message, env] of cases) {
      const run = await runCdn(args, { env: cleanEnv(env), timeoutMs: 30_000 });
      expect({ args, code: run.code }).toEqual({ args, code: 2 });
      expect(run.stderr).toMatch(message);
    }
  });

  it('serves, then drains and exits 0 on SIGTERM', async () => {
    let base: string | undefined;
    const checks: number[] = [];
    const run = await runCdn(['edge', '--origin', origin.url, '--port', '0', '--node-id', 'cli-edge'], {
      env: cleanEnv(),
      timeoutMs: 30_000,
      onStdout: (text, child) => {
        const m = /listening on (http:\/\/[^\s]+)/.exec(text);
        if (m === null || base !== undefined) return;
        base = m[1]!;
        void (async () => {
          checks.push((await fetch(`${base}/healthz`)).status);
          const res = await fetch(`${base}/content/t1/a.m4s`);
          checks.push(res.status);
          expect(await res.text()).toBe('segment bytes');
          expect(res.headers.get('cache-status')).toMatch(/^cli-edge; fwd=miss/);
          child.kill('SIGTERM');
        })();
      },
    });
    expect(checks).toEqual([200, 200]);
    expect(run.code).toBe(0);
  });

  it('started with an IPC channel (as cdn demo starts it), stops cleanly once that channel closes', async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        CDN_SOURCE_ENTRY,
        'edge',
        '--origin',
        origin.url,
        '--port',
        '0',
        '--node-id',
        'ipc-edge',
      ],
      { stdio: ['ignore', 'pipe', 'pipe', 'ipc'], env: cleanEnv() },
    );
    let stdout = '';
    child.stdout!.on('data', (d: Buffer) => (stdout += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const deadline = Date.now() + 20_000;
    while (!/listening on (http:\/\/\S+)/.test(stdout) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    const base = /listening on (http:\/\/\S+)/.exec(stdout)?.[1];
    expect(base, stdout).toBeDefined();
    expect((await fetch(`${base}/healthz`)).status).toBe(200);
    // The supervisor goes away (its end of the channel closes, as when it dies): the edge stops.
    child.disconnect();
    const timeout = setTimeout(() => child.kill('SIGKILL'), 15_000);
    expect(await exited).toBe(0);
    clearTimeout(timeout);
    expect(stdout).toContain('edge stopped');
  });
});
