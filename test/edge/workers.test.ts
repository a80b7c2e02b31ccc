/**
 * `cdn edge --workers 2`: two processes share the port and the cache. Misses for one key reach the
 * origin once whichever worker takes them, each object is stored on disk once, purges and drains
 * apply to the whole node, /metrics aggregates both workers, a proactive fill run is one run for the
 * node whichever worker takes the call, and a worker that dies is replaced.
 */
import type { ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeFakePackage } from '../../origin/store/fixtures.js';
import { runCdn, type CliRun } from '../helpers/cli.js';
import {
  ADMIN_TOKEN,
  makeTempDir,
  objectHandler,
  removeDir,
  startStubOrigin,
  until,
  type StubOrigin,
} from './helpers.js';

const IMMUTABLE = 'public, max-age=31536000, immutable';
const segment = (i: number): string => `/content/t1/video/v0/${String(i).padStart(5, '0')}.m4s`;
const bodies = new Map(Array.from({ length: 24 }, (_, i) => [segment(i), randomBytes(16 * 1024 + i)]));

let origin: StubOrigin;
let dir: string;
let base: string;
let child: ChildProcess;
let exited: Promise<CliRun>;
// Many connections, so that the kernel spreads them over both workers.
const agent = new Agent({ connections: 64, pipelining: 0, headersTimeout: 10_000, bodyTimeout: 10_000 });

async function get(path: string): Promise<{ status: number; body: Buffer; cacheStatus: string }> {
  const res = await request(`${base}${path}`, { dispatcher: agent, reset: true });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, body, cacheStatus: String(res.headers['cache-status'] ?? '') };
}

async function objectFiles(root: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(root, { recursive: true, withFileTypes: true })) {
    if (entry.isFile() && entry.parentPath.includes('objects')) out.push(join(entry.parentPath, entry.name));
  }
  return out;
}

/** Worker pids: the primary's child processes. */
async function workerPids(primaryPid: number): Promise<number[]> {
  const text = await readFile(`/proc/${primaryPid}/task/${primaryPid}/children`, 'utf8');
  return text.trim().split(/\s+/).filter(Boolean).map(Number);
}

beforeAll(async () => {
  origin = await startStubOrigin();
  for (const [path, body] of bodies) origin.routes.set(path, objectHandler(body, IMMUTABLE));
  dir = await makeTempDir('edge-workers-');
  let started!: () => void;
  const listening = new Promise<void>((resolve) => (started = resolve));
  exited = runCdn(
    [
      'edge',
      '--workers',
      '2',
      '--origin',
      origin.url,
      '--port',
      '0',
      '--disk-dir',
      dir,
      '--log-level',
      'warn',
    ],
    {
      env: { ...process.env, EDGE_ADMIN_TOKEN: ADMIN_TOKEN },
      timeoutMs: 300_000,
      onStdout: (text, c) => {
        const m = /listening on (http:\/\/\S+) \(2 workers/.exec(text);
        if (m !== null && base === undefined) {
          base = m[1]!;
          child = c;
          started();
        }
      },
    },
  );
  await Promise.race([
    listening,
    exited.then((run) => {
      throw new Error(`cdn edge exited early: ${run.stderr}`);
    }),
  ]);
}, 60_000);

afterAll(async () => {
  child?.kill('SIGTERM');
  const run = await exited;
  await agent.close();
  await origin.close();
  await removeDir(dir);
  expect(run.code).toBe(0);
}, 60_000);

describe('cdn edge --workers 2', () => {
  it('200 concurrent misses for one key reach the origin once, served by both workers', async () => {
    const path = segment(0);
    const answers = await Promise.all(Array.from({ length: 200 }, () => get(path)));
    expect(answers.every((a) => a.status === 200 && a.body.equals(bodies.get(path)!))).toBe(true);
    expect(origin.count(path)).toBe(1);
  });

  it('each object is fetched once and stored on disk once for the whole node', async () => {
    const paths = [...bodies.keys()].slice(1, 17);
    for (let round = 0; round < 4; round++) {
      const answers = await Promise.all(paths.map((p) => get(p)));
      expect(answers.every((a, i) => a.body.equals(bodies.get(paths[i]!)!))).toBe(true);
    }
    expect(paths.map((p) => origin.count(p))).toEqual(paths.map(() => 1));
    await until(async () => (await objectFiles(dir)).length === paths.length + 1, 10_000);
    const slices = await readdir(dir);
    expect(slices.sort()).toEqual(['worker-0', 'worker-1']);
    // Both workers own a share of the keys.
    for (const slice of slices) expect((await objectFiles(join(dir, slice))).length).toBeGreaterThan(0);
  });

  it('aggregates both workers in /metrics', async () => {
    const before = await metricSum('cdn_edge_requests_total');
    await Promise.all(Array.from({ length: 40 }, () => get(segment(1))));
    const after = await metricSum('cdn_edge_requests_total');
    expect(after - before).toBe(40);
  });

  it('a purge reaches every worker: the next requests refetch once', async () => {
    const path = segment(2);
    await Promise.all(Array.from({ length: 20 }, () => get(path)));
    const fetched = origin.count(path);
    const res = await fetch(`${base}/admin/purge`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ key: path }),
    });
    expect(res.status).toBe(200);
    await until(async () => {
      const answers = await Promise.all(Array.from({ length: 20 }, () => get(path)));
      return answers.every((a) => !a.cacheStatus.endsWith('; hit'));
    }, 5000).catch(() => undefined);
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(path)));
    expect(answers.every((a) => a.body.equals(bodies.get(path)!))).toBe(true);
    expect(origin.count(path)).toBe(fetched + 1);
  });

  it('/admin/fill is one run for the node: started on any worker, seen and cancelled from every worker', async () => {
    const pkg = join(dir, '..', `pkg-${randomBytes(4).toString('hex')}`);
    await writeFakePackage(pkg, { titleId: 'pf', segmentCount: 2 });
    origin.routes.set(
      '/content/pf/title.json',
      objectHandler(await readFile(join(pkg, 'title.json')), 'max-age=2'),
    );
    const admin = async (method: string, body?: unknown) => {
      const res = await request(`${base}/admin/fill`, {
        method: method as 'GET',
        dispatcher: agent,
        reset: true,
        headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json' },
        ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
      });
      return { status: res.statusCode, body: (await res.body.json()) as { run?: { id: string } } };
    };
    try {
      const started = await admin('POST', { titles: ['pf'] });
      expect(started.status).toBe(202);
      const id = started.body.run!.id;
      // Fresh connections land on both workers; each answers with the same run.
      const seen = await Promise.all(Array.from({ length: 12 }, () => admin('GET')));
      expect(seen.map((a) => [a.status, a.body.run?.id])).toEqual(seen.map(() => [200, id]));
      // A second start from any worker is refused while it runs, or starts the node's next run.
      const again = await admin('POST', { titles: ['pf'] });
      expect([202, 409]).toContain(again.status);
    } finally {
      await admin('DELETE');
      await rm(pkg, { recursive: true, force: true });
    }
  });

  it('a killed worker is replaced and requests keep being answered meanwhile', async () => {
    const pids = await workerPids(child.pid!);
    expect(pids).toHaveLength(2);
    process.kill(pids[0]!, 'SIGKILL');
    await until(async () => !(await workerPids(child.pid!)).includes(pids[0]!), 10_000);
    // A connection handed to the worker as it died is reset; the client's retry is answered.
    const getRetrying = (path: string) => get(path).catch(() => get(path));
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => getRetrying(segment(17 + (i % 6)))),
    );
    expect(
      answers.every(
        (a) => a.status === 200 && a.body.equals(bodies.get(segment(17 + (answers.indexOf(a) % 6)))!),
      ),
    ).toBe(true);
    await until(async () => {
      const now = await workerPids(child.pid!);
      return now.length === 2 && !now.includes(pids[0]!);
    }, 20_000);
  });
});

async function metricSum(name: string): Promise<number> {
  const text = await (await fetch(`${base}/metrics`)).text();
  let total = 0;
  for (const line of text.split('\n')) {
    if (line.startsWith(`${name}{`) || line.startsWith(`${name} `)) total += Number(line.split(' ').pop());
  }
  return total;
}
