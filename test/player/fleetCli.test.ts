/**
 * Fleets over HTTP and `cdn play`, against a real origin and two real edges on loopback with a
 * really packaged title: real-time and virtual-time runs writing JSON and CSV, QoE events at the
 * collector, Ctrl-C with a partial summary, and bad input.
 */
import type { ChildProcess } from 'node:child_process';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../bin/main.js';
import { ABR_NAMES, runHttpFleet, type HttpFleetReport } from '../../player-sim/index.js';
import { codeOfAsync } from '../helpers/errors.js';
import { runCdn, type CliOptions } from '../helpers/cli.js';
import { constantTrace, stepTrace } from './helpers.js';
import {
  CLIENT_A,
  TITLE,
  edgeSample,
  qoeRecord,
  startWorld,
  until,
  type PlayerWorld,
} from './httpHelpers.js';

let world: PlayerWorld;
let tracesDir: string;
let out: string;

/** Sabre JSON of a trace. */
const sabre = (steps: Array<[number, number]>) =>
  JSON.stringify(
    steps.map(([duration_ms, bandwidth_kbps]) => ({ duration_ms, bandwidth_kbps, latency_ms: 20 })),
  );

beforeAll(async () => {
  world = await startWorld();
  out = join(world.dirs.root, 'out');
  tracesDir = join(out, 'traces');
  await mkdir(tracesDir, { recursive: true });
  await writeFile(join(tracesDir, 'fast.json'), sabre([[60_000, 2000]]));
  await writeFile(
    join(tracesDir, 'varied.json'),
    sabre([
      [2000, 300],
      [2000, 60],
      [4000, 200],
    ]),
  );
  await writeFile(join(out, 'bad-trace.json'), '[{"duration_ms": 1000, "bandwidth_kbps": "fast"}]');
}, 60_000);

afterAll(async () => {
  await world?.close();
});

const cdnPlay = (args: string[], options: CliOptions = {}) =>
  runCdn(['play', '--origin', world.originUrl, '--title', TITLE, ...args], { timeoutMs: 30_000, ...options });

describe('cdn play', () => {
  it('real time: 3 sessions x 2 strategies over a client prefix, table on stdout, JSON and CSV, QoE at the collector', async () => {
    const json = join(out, 'real.json');
    const csv = join(out, 'real.csv');
    const run = await cdnPlay([
      '--sessions',
      '3',
      '--abr',
      'bba,quality',
      '--traces',
      tracesDir,
      '--duration',
      '2',
      '--arrival-rate',
      '20',
      '--client-ip',
      '198.51.100.0/24',
      '--out',
      json,
      '--csv',
      csv,
      '--p1203',
      join(out, 'p1203'),
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as HttpFleetReport;
    expect(report.sessions).toHaveLength(6);
    expect(report.sessions.map((s) => [s.index, s.strategy, s.outcome, s.clientIp, s.trace])).toEqual(
      [0, 1, 2].flatMap((i) =>
        ['bba', 'quality'].map((strategy) => [
          i,
          strategy,
          'completed',
          `198.51.100.${i + 1}`,
          i % 2 === 0 ? 'fast.json' : 'varied.json',
        ]),
      ),
    );
    // --duration 2: two 1 s segments each, all from edge-a (the prefix's edge).
    expect(report.sessions.every((s) => s.qoe.playedMs === 2000 && s.firstEdge === 'edge-a')).toBe(true);
    expect(report.strategies.map((s) => [s.strategy, s.sessions, s.completed])).toEqual([
      ['bba', 3, 3],
      ['quality', 3, 3],
    ]);
    expect(report.overall.sessions).toBe(6);
    const lines = (await readFile(csv, 'utf8')).trim().split('\n');
    expect(lines).toHaveLength(7);
    expect(lines[0]).toMatch(/^sessionId,strategy,index,trace,clientIp,outcome,/);
    // The table: one row per strategy and one for all; progress lines on stderr.
    expect(run.stdout).toMatch(/^bba\s+3\s+0\s/m);
    expect(run.stdout).toMatch(/^all\s+6\s+0\s/m);
    expect(run.stderr).toMatch(/\[6\/6\]/);
    expect(run.stderr).toMatch(/QoE events: \d+ delivered/);
    for (const s of report.sessions) {
      expect((await qoeRecord(world, s.sessionId)).body).toMatchObject({
        outcome: 'completed',
        startupEdge: 'edge-a',
      });
      // ITU-T P.1203 mode 0 input: two 1 s video segments at 192x108, audio alongside.
      const p1203 = JSON.parse(await readFile(join(out, 'p1203', `${s.sessionId}.json`), 'utf8')) as {
        I13: { segments: Array<{ resolution: string; duration: number }> };
        I11: { segments: unknown[] };
      };
      expect(p1203.I13.segments.map((v) => [v.resolution, v.duration])).toEqual([
        ['192x108', 1],
        ['192x108', 1],
      ]);
      expect(p1203.I11.segments).toHaveLength(2);
    }
  }, 40_000);

  it('virtual time: every strategy, each session also as a fraction of the offline optimum', async () => {
    const json = join(out, 'virtual.json');
    const run = await cdnPlay([
      '--mode',
      'virtual',
      '--sessions',
      '2',
      '--abr',
      'all',
      '--traces',
      tracesDir,
      '--client-ip',
      CLIENT_A,
      '--no-qoe',
      '--out',
      json,
    ]);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(await readFile(json, 'utf8')) as HttpFleetReport;
    expect(report.sessions).toHaveLength(2 * ABR_NAMES.length);
    for (const s of report.sessions) {
      expect(s.outcome).toBe('completed');
      expect(s.optimumQoe!).toBeGreaterThanOrEqual(s.qoe.qoeLin);
      if (s.optimumQoe! > 0) expect(s.fractionOfOptimum).toBeCloseTo(s.qoe.qoeLin / s.optimumQoe!, 12);
    }
    // On the fast trace BBA stays low in its reservoir: below the optimum, which others reach.
    const fast = report.sessions.filter((s) => s.trace === 'fast.json');
    expect(fast.find((s) => s.strategy === 'bba')!.fractionOfOptimum!).toBeLessThan(0.9);
    expect(Math.max(...fast.map((s) => s.fractionOfOptimum!))).toBeGreaterThan(0.9);
    expect(run.stdout).toMatch(/of optimum/);
    expect(run.stderr).not.toMatch(/QoE events/);
  }, 40_000);

  it('Ctrl-C stops the sessions in progress and prints and writes a partial summary (exit 1)', async () => {
    const json = join(out, 'interrupted.json');
    const edgeA = world.edges.get('edge-a')!;
    const before = await edgeSample(edgeA, 'cdn_edge_requests_total');
    let child: ChildProcess | undefined;
    const running = cdnPlay(
      [
        '--sessions',
        '3',
        '--traces',
        join(tracesDir, 'fast.json'),
        '--client-ip',
        CLIENT_A,
        '--no-qoe',
        '--out',
        json,
      ],
      { onStderr: (_text, c) => (child ??= c) },
    );
    // The three sessions have their segments (6 s of media each) and are playing them out.
    await until(
      async () =>
        child !== undefined && (await edgeSample(edgeA, 'cdn_edge_requests_total')) >= before + 3 * 13,
      'the sessions to be under way',
      20_000,
    );
    child!.kill('SIGINT');
    const run = await running;
    expect(run.code, run.stderr).toBe(1);
    expect(run.stderr).toMatch(/error CDN_ERR_ABORTED: interrupted after 3 of 3 sessions/);
    expect(run.stdout).toMatch(/interrupted: partial summary/);
    expect(run.stdout).toMatch(/^all\s+3\s/m);
    const report = JSON.parse(await readFile(json, 'utf8')) as HttpFleetReport;
    expect(report.interrupted).toBe(true);
    for (const s of report.sessions) {
      expect(s.outcome).toBe('stopped');
      expect(s.qoe.playedMs).toBeLessThan(6000);
    }
  }, 40_000);
});

describe('fleets in process', () => {
  it('virtual fleets repeat exactly for a seed (random trace draws included)', async () => {
    const options = {
      originUrl: world.originUrl,
      titleId: TITLE,
      sessions: 4,
      strategies: ['mpc', 'bola'],
      traces: [
        constantTrace(500, 20),
        stepTrace(
          [
            [1500, 200],
            [1500, 50],
          ],
          20,
          'dip',
        ),
      ],
      assignment: 'random' as const,
      seed: 3,
      mode: 'virtual' as const,
      clientIp: CLIENT_A,
    };
    const [a, b] = [await runHttpFleet(options), await runHttpFleet(options)];
    const strip = (r: HttpFleetReport) => r.sessions.map((s) => [s.strategy, s.index, s.trace, s.qoe]);
    expect(strip(a)).toEqual(strip(b));
    expect(a.sessions.every((s) => s.outcome === 'completed')).toBe(true);
    expect(new Set(a.sessions.map((s) => s.trace)).size).toBeGreaterThan(1);
  }, 30_000);

  it('refuses an unknown title before starting any session', async () => {
    const promise = runHttpFleet({
      originUrl: world.originUrl,
      titleId: 'missing-title',
      sessions: 2,
      strategies: ['bba'],
      traces: [constantTrace(500)],
      mode: 'virtual',
    });
    expect(await codeOfAsync(promise)).toBe('PLAYER_ERR_TITLE_NOT_FOUND');
    expect(
      await codeOfAsync(
        runHttpFleet({
          originUrl: world.originUrl,
          titleId: TITLE,
          sessions: 0,
          strategies: ['bba'],
          traces: [constantTrace(500)],
          mode: 'virtual',
        }),
      ),
    ).toBe('PLAYER_ERR_INVALID_OPTIONS');
  });
});

/** `cdn <args>` in this process (bad input is refused before anything slow starts). */
async function cdnHere(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  let stdout = '';
  let stderr = '';
  const capture = (stream: NodeJS.WriteStream, append: (text: string) => void) =>
    vi.spyOn(stream, 'write').mockImplementation((chunk: string | Uint8Array) => {
      append(String(chunk));
      return true;
    });
  const spies = [
    capture(process.stdout, (t) => (stdout += t)),
    capture(process.stderr, (t) => (stderr += t)),
  ];
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    for (const spy of spies) spy.mockRestore();
  }
}

describe('cdn play: bad input', () => {
  it('answers each with a coded error or a usage error, nothing played', async () => {
    const play = (args: string[]) =>
      cdnHere(['play', '--origin', world.originUrl, '--title', TITLE, ...args]);
    const cases: Array<[() => ReturnType<typeof cdnHere>, number, RegExp]> = [
      [
        () =>
          cdnHere([
            'play',
            '--origin',
            world.originUrl,
            '--title',
            'missing-title',
            '--traces',
            tracesDir,
            '--no-qoe',
          ]),
        1,
        /^error PLAYER_ERR_TITLE_NOT_FOUND: /m,
      ],
      [
        () => play(['--traces', join(out, 'bad-trace.json')]),
        1,
        /^error PLAYER_ERR_TRACE_NOT_NUMERIC: .*bandwidth_kbps/m,
      ],
      [() => play(['--traces', join(out, 'no-such-dir')]), 1, /^error PLAYER_ERR_TRACE_NOT_FOUND: /m],
      [() => play(['--traces', tracesDir, '--abr', 'fastest']), 2, /PLAYER_ERR_UNKNOWN_STRATEGY/],
      [() => play(['--traces', tracesDir, '--client-ip', '10.0.0.1/99']), 2, /--client-ip/],
      [() => play(['--traces', tracesDir, '--mode', 'warp']), 2, /--mode/],
      [() => play(['--traces', tracesDir, '--sessions', '0']), 2, /--sessions must be a positive integer/],
      [() => play(['--traces', tracesDir, '--origin', 'ftp://x']), 2, /--origin must be an http\(s\) URL/],
      [() => cdnHere(['play', '--title', TITLE, '--traces', tracesDir]), 2, /--origin/],
    ];
    for (const [running, code, message] of cases) {
      const run = await running();
      expect([run.code, run.stderr], message.source).toEqual([code, expect.stringMatching(message)]);
      expect(run.stdout).not.toMatch(/sessions in/);
    }
  });
});
