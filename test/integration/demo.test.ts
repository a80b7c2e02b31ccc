/**
 * `cdn demo --quick --keep-running`, end to end as a user runs it: a real encode with the ladder
 * search, a real origin, three `cdn edge` processes peered with BIRD over BGP when it is installed
 * (static routes otherwise), a fleet of players, an edge killed part way, then the system kept
 * running until Ctrl-C. The test checks the running system's URLs, stops it with SIGINT, and
 * asserts the facts of summary.json and the report.
 */
import type { ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEMO_PLOT_IDS } from '../../bin/demo/report.js';
import { CHROMIUM_MISSING, launchChromium, untilPlayer, type PlayerState } from '../browser/helpers.js';
import { runCdn, type CliRun } from '../helpers/cli.js';

interface Summary {
  mode: string;
  title: { id: string; durationS: number; source: string };
  ladder: {
    metric: { name: string };
    rungs: unknown[];
    fixedLadder: { bdRatePercent: number | null } | null;
  };
  routes: { source: 'bgp' | 'static'; note: string };
  origin: { url: string; contentRequests: number; contentBytes: number };
  edges: {
    id: string;
    url: string;
    killedAtMs?: number;
    hitRatio: number | null;
    fillsBySource: Record<string, number>;
    prefetch: { issued: number; used: number };
  }[];
  originOffload: number;
  hitRatioSeries: { edgeId: string; points: unknown[] }[];
  fleet: {
    planned: number;
    interrupted: boolean;
    sessions: { outcome: string; failovers: number; edges: string[]; strategy: string; clientIp?: string }[];
    strategies: { strategy: string; sessions: number; completed: number }[];
  };
  sessions: { points: unknown[]; failovers: number; failoverAtMs: number[]; startOffsetMs: number }[];
  restart?: { edgeId: string; diskObjects: number; firstRequestCacheStatus?: string };
}

const birdInstalled = existsSync('/usr/sbin/bird') && existsSync('/usr/sbin/birdc');

/** Opens the web player at `url` in Chromium and plays 4 s of the demo title (state at that point). */
async function playInChromium(url: string, root: string): Promise<PlayerState> {
  const context = await launchChromium(root);
  try {
    const page = await context.newPage();
    await page.goto(`${url}&buffer_s=3&dropped_frames_abr=off`);
    return await untilPlayer(page, 'the demo title playing 4 s', (s) => s.positionS >= 4, 40_000);
  } finally {
    await context.close();
  }
}

async function status(url: string): Promise<number | string> {
  try {
    const res = await request(url, { headersTimeout: 5000, bodyTimeout: 5000 });
    await res.body.dump();
    return res.statusCode;
  } catch (err) {
    return (err as { code?: string }).code ?? 'error';
  }
}

describe('cdn demo --quick', () => {
  let dir: string;
  let run: CliRun;
  let summary: Summary;
  let report: string;
  /** What the running system answered before Ctrl-C. */
  const whileRunning: Record<string, number | string> = {};

  /** The web player page in Chromium, opened on the URL the demo printed (undefined: no Chromium). */
  let played: PlayerState | undefined;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cdn-demo-test-'));
    let child: ChildProcess | undefined;
    let running: string | undefined;
    let finished = false;
    const runs = runCdn(['demo', '--quick', '--keep-running', '--out', dir], {
      timeoutMs: 400_000,
      onStderr: (text, c) => {
        child = c;
        if (running === undefined && text.includes('Ctrl-C stops everything')) running = text;
      },
    }).finally(() => (finished = true));
    while (running === undefined && !finished) await new Promise((r) => setTimeout(r, 200));
    if (running !== undefined) {
      const urls = [...running.matchAll(/^ {2}(\S+)\s+(http:\/\/\S+)$/gm)].map(
        (m) => [m[1]!, m[2]!] as const,
      );
      await Promise.all(urls.map(async ([name, url]) => (whileRunning[name] = await status(url))));
      const playerUrl = urls.find(([name]) => name === 'player')?.[1];
      if (playerUrl !== undefined && CHROMIUM_MISSING === undefined)
        played = await playInChromium(playerUrl, dir);
      child?.kill('SIGINT');
    }
    run = await runs;
    summary = JSON.parse(await readFile(join(dir, 'summary.json'), 'utf8')) as Summary;
    report = await readFile(join(dir, 'report.html'), 'utf8');
  }, 420_000);

  afterAll(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('runs to the end, keeps the system up until Ctrl-C, then stops it cleanly (exit 0)', async () => {
    expect(run.code, run.stderr.slice(-3000)).toBe(0);
    // While it ran: the web player, steering, and every process's /metrics answered.
    expect(whileRunning['player']).toBe(200);
    expect(whileRunning['steering']).toBe(200);
    expect(whileRunning['origin']).toBe(200);
    expect(whileRunning['edge-a2']).toBe(200);
    expect(whileRunning['edge-b1']).toBe(200);
    // The killed edge was started again on its disk tier and serves again.
    expect(whileRunning['edge-a1']).toBe(200);
    expect(summary.restart?.edgeId).toBe('edge-a1');
    expect(summary.restart?.diskObjects).toBeGreaterThan(0);
    expect(summary.restart?.firstRequestCacheStatus).toMatch(/; hit/);
    expect(run.stderr).toContain('demo: stopped');
    // The printed web player URL plays the title in a real browser from a surviving site-A edge.
    if (CHROMIUM_MISSING === undefined) {
      expect(played?.errors.filter((e) => e.fatal)).toEqual([]);
      expect(played?.positionS).toBeGreaterThanOrEqual(4);
      // From site A's edges (edge-a1 is back in rotation by then).
      for (const s of played?.servedBy ?? []) expect(['edge-a1', 'edge-a2']).toContain(s.edge);
    }
    // After Ctrl-C nothing listens any more.
    for (const e of summary.edges) expect(await status(`${e.url}/metrics`)).toBe('ECONNREFUSED');
    expect(await status(`${summary.origin.url}/metrics`)).toBe('ECONNREFUSED');
  });

  it('says where routes came from: BGP with BIRD when installed, otherwise the static feed', () => {
    expect(summary.routes.source).toBe(birdInstalled ? 'bgp' : 'static');
    expect(run.stderr).toContain(summary.routes.note);
    if (birdInstalled) expect(run.stderr).toMatch(/BGP: 3 sessions established/);
  });

  it('every session of every strategy finished, and the sessions on the killed edge failed over and finished', () => {
    const { fleet } = summary;
    expect(fleet.interrupted).toBe(false);
    expect(fleet.sessions).toHaveLength(25);
    expect(fleet.strategies.map((s) => s.strategy).sort()).toEqual([
      'bba',
      'bola',
      'mpc',
      'quality',
      'throughput',
    ]);
    expect(fleet.sessions.filter((s) => s.outcome !== 'completed')).toEqual([]);
    // Clients of both sites, over IPv4 and IPv6, were steered to their site's edges first.
    for (const s of fleet.sessions) {
      const site = /^(198\.51\.100\.|2001:db8:a:)/.test(s.clientIp ?? '') ? 'a' : 'b';
      expect(s.edges[0], s.clientIp).toMatch(new RegExp(`^edge-${site}`));
    }
    expect(fleet.sessions.filter((s) => s.clientIp?.includes(':')).length).toBeGreaterThan(5);
    const killed = summary.edges.find((e) => e.killedAtMs !== undefined);
    expect(killed?.id).toBe('edge-a1');
    const failedOver = fleet.sessions.filter((s) => s.failovers > 0);
    expect(failedOver.length).toBeGreaterThan(0);
    for (const s of failedOver) {
      expect(s.edges[0]).toBe('edge-a1');
      expect(s.edges.at(-1)).not.toBe('edge-a1');
    }
    // Each failover is on the session's timeline, after the kill (start offsets are within setup time).
    for (const t of summary.sessions.filter((t) => t.failovers > 0)) {
      expect(t.failoverAtMs).toHaveLength(t.failovers);
      expect(t.startOffsetMs + t.failoverAtMs[0]!).toBeGreaterThan(killed!.killedAtMs! - 2000);
    }
  });

  it('the caches did their job: hit ratios above a floor, the origin offloaded, site B filled from its parents', () => {
    for (const e of summary.edges) expect(e.hitRatio, e.id).toBeGreaterThan(0.5);
    expect(summary.originOffload).toBeGreaterThan(0.5);
    const b1 = summary.edges.find((e) => e.id === 'edge-b1')!;
    expect(b1.fillsBySource.parent ?? 0).toBeGreaterThan(0);
    expect(summary.edges.reduce((n, e) => n + e.prefetch.used, 0)).toBeGreaterThan(0);
    expect(summary.hitRatioSeries.every((s) => s.points.length > 0)).toBe(true);
  });

  it('the ladder was searched and compared with the fixed ladder, with the metric named', () => {
    expect(summary.ladder.metric.name).toBe(process.env.VMAF_MODEL_PATH ? 'vmaf' : 'psnr');
    expect(summary.ladder.rungs.length).toBeGreaterThan(0);
    expect(summary.ladder.fixedLadder?.bdRatePercent).toEqual(expect.any(Number));
    expect(run.stdout).toMatch(/BD-rate/);
  });

  it('writes one self-contained HTML report with every plot', () => {
    expect(DEMO_PLOT_IDS).toHaveLength(6);
    for (const id of DEMO_PLOT_IDS) {
      expect(report).toMatch(new RegExp(`<figure[^>]*id="${id}"[\\s\\S]*?<svg`));
    }
    expect(report).not.toMatch(/<script|src="http|href="http/);
    expect(summary.sessions.every((s) => s.points.length > 0)).toBe(true);
    expect(run.stdout).toContain(join(dir, 'report.html'));
  });
});

describe('cdn demo: bad input', () => {
  it('a missing source: a coded error before anything starts (exit 1)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cdn-demo-bad-'));
    try {
      const res = await runCdn(['demo', '--quick', '--source', join(dir, 'missing.mp4'), '--out', dir], {
        timeoutMs: 60_000,
      });
      expect(res.code).toBe(1);
      expect(res.stderr).toMatch(/ENC_ERR_\w+/);
      expect(res.stderr).toContain('missing.mp4');
      expect(existsSync(join(dir, 'logs', 'edge-a1.log'))).toBe(false);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('usage errors exit 2 with the option named', async () => {
    for (const [args, named] of [
      [['--abr', 'nope'], 'PLAYER_ERR_UNKNOWN_STRATEGY'],
      [['--sessions', '0'], '--sessions'],
      [['--metric', 'mos'], '--metric'],
    ] as const) {
      const res = await runCdn(['demo', ...args], { timeoutMs: 30_000 });
      expect(res.code, args.join(' ')).toBe(2);
      expect(res.stderr).toContain(named);
    }
  });

  it('a traces path that does not exist: a coded error (exit 1)', async () => {
    const res = await runCdn(['demo', '--quick', '--traces', '/nonexistent/traces'], { timeoutMs: 30_000 });
    expect(res.code).toBe(1);
    expect(res.stderr).toMatch(/PLAYER_ERR_\w+/);
  });
});
