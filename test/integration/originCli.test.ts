/**
 * `cdn origin` with its steering flag: `--allow-client-ip-override` lets `/v1/steer` take
 * `client_ip` (for demos and tests) and completes the config file's `steering` section rather than
 * replacing it; without the flag the override is refused.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCdn } from '../helpers/cli.js';
import { API_TOKEN, makeDirs, removeDirs, type TestDirs } from '../origin/helpers.js';
import { get } from './helpers.js';

let dirs: TestDirs;
beforeAll(async () => {
  dirs = await makeDirs('origin-cli-steering-');
});
afterAll(async () => {
  await removeDirs(dirs);
});

/** Runs `cdn origin` until `probe` has looked at it, then stops it with SIGTERM. */
async function withOrigin(
  args: string[],
  probe: (url: string) => Promise<void>,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  let failure: Error | undefined;
  let probed = false;
  const run = await runCdn(['origin', '--port', '0', '--log-level', 'warn', ...args], {
    env: { ...process.env, ORIGIN_API_TOKEN: API_TOKEN },
    timeoutMs: 30_000,
    onStdout: (text, child) => {
      const m = /listening on (http:\/\/\S+)/.exec(text);
      if (m === null || probed) return;
      probed = true;
      probe(m[1]!)
        .catch((err: unknown) => (failure = err instanceof Error ? err : new Error(String(err))))
        .finally(() => child.kill('SIGTERM'));
    },
  });
  if (failure !== undefined) throw failure;
  expect(probed, run.stderr).toBe(true);
  return run;
}

describe('cdn origin steering flags', () => {
  it('--allow-client-ip-override accepts client_ip, keeping the file steering settings', async () => {
    const config = join(dirs.root, 'origin.json');
    await writeFile(
      config,
      JSON.stringify({ dataDir: dirs.dataDir, steering: { defaultCluster: 'site-z' } }),
    );
    const run = await withOrigin(['--config', config, '--allow-client-ip-override'], async (url) => {
      // Past the override check: the title is what is missing.
      const res = await get(`${url}/v1/steer?title=nothing&client_ip=198.51.100.7`);
      expect([res.status, res.json().error]).toEqual([404, 'ORIGIN_ERR_TITLE_NOT_FOUND']);
    });
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/steering: .*default cluster site-z.*client_ip override ON/);
  });

  it('refuses client_ip without the flag', async () => {
    const run = await withOrigin(['--data-dir', dirs.dataDir], async (url) => {
      const res = await get(`${url}/v1/steer?title=nothing&client_ip=198.51.100.7`);
      expect([res.status, res.json().error]).toEqual([403, 'STEER_ERR_OVERRIDE_FORBIDDEN']);
    });
    expect(run.code).toBe(0);
    expect(run.stdout).not.toMatch(/override ON/);
  });
});
