import { beforeAll, describe, expect, it } from 'vitest';
import { formatHttpFleetTable } from '../../player-sim/index.js';
import { formatLadderSummary } from '../commands/encode.js';
import { demoReportFixture, withEmptyFleet } from './fixture.test-helper.js';
import type { DemoReportData } from './reportData.js';
import { renderDemoReport } from './report.js';
import { EDGE_TABLE_HEADER, formatDemoSummary, NO_FIXED_LADDER } from './summary.js';

const REPORT = '/tmp/cdn-demo-x/report.html';

describe('formatDemoSummary', () => {
  let data: DemoReportData;
  let text: string;
  let lines: string[];

  beforeAll(async () => {
    data = await demoReportFixture();
    text = formatDemoSummary(data, REPORT);
    lines = text.split('\n');
  });

  it('prints the ladder (with its BD-rate), the routes, the QoE table and where the report is', () => {
    expect(text).toContain(formatLadderSummary(data.ladder));
    expect(text).toMatch(/BD-rate against .*fixed ladder: -38\.4%/);
    expect(text).toContain(`routes (bgp): ${data.routes.note}`);
    expect(text).toContain(formatHttpFleetTable(data.fleet));
    expect(lines.at(-1)).toBe(`report: ${REPORT}`);
    expect(lines[0]).toContain(`(${data.mode})`);
    expect(lines[0]).toContain(data.title.source);
    expect(text).not.toMatch(/NaN|undefined/);
  });

  it('has an aligned row per edge: requests, hit %, MB served, fills, coalesced, prefetch, the kill', () => {
    const header = lines.find((l) => l.startsWith('site '))!;
    expect(header).toBeDefined();
    const columns = EDGE_TABLE_HEADER.slice(1);
    const offsets = columns.map((c) => header.indexOf(c));
    for (const e of data.edges) {
      const row = lines.find((l) => l.startsWith(e.site) && l.includes(` ${e.id} `))!;
      expect(row, e.id).toBeDefined();
      const cell = (i: number) => row.slice(offsets[i], offsets[i + 1]).trim();
      expect(cell(0)).toBe(e.id);
      expect(cell(1)).toBe(String(Object.values(e.requestsByStatus).reduce((a, b) => a + b, 0)));
      expect(cell(2)).toBe((e.hitRatio * 100).toFixed(1));
      expect(cell(3)).toBe((e.bytesServed / 1e6).toFixed(2));
      expect(cell(4)).toBe(['peer', 'parent', 'origin'].map((s) => e.fillsBySource[s] ?? 0).join('/'));
      expect(cell(5)).toBe(String(e.coalesced));
      expect(cell(6)).toBe(`${e.prefetch.used}/${e.prefetch.issued}`);
      expect(cell(7)).toBe(
        e.killedAtMs === undefined ? 'up' : `killed at ${(e.killedAtMs / 1000).toFixed(1)} s`,
      );
    }
  });

  it('states the origin offload and the failovers, counted from the sessions', () => {
    expect(text).toContain(`offload ${(data.originOffload * 100).toFixed(1)}%`);
    const moved = data.fleet.sessions.filter((s) => s.failovers > 0);
    const completed = moved.filter((s) => s.outcome === 'completed').length;
    expect(moved.length).toBeGreaterThan(completed);
    expect(text).toContain(`failovers: ${moved.length} sessions failed over, ${completed} of them completed`);
  });

  it("reports the killed edge's restart when there was one, and nothing when not", () => {
    expect(text).not.toContain('restarted');
    const restarted = formatDemoSummary(
      {
        ...data,
        restart: {
          edgeId: 'edge-a1',
          readyMs: 420,
          diskObjects: 58,
          backInSteeringMs: 1250,
          firstRequestCacheStatus: 'cdn-demo; hit',
        },
      },
      '/tmp/report.html',
    );
    expect(restarted).toContain(
      'edge-a1 restarted: ready in 0.4 s with 58 objects kept by its disk tier, offered by steering again after 1.3 s; first request: cdn-demo; hit',
    );
    expect(
      renderDemoReport({
        ...data,
        restart: { edgeId: 'edge-a1', readyMs: 1, diskObjects: 2, backInSteeringMs: 3 },
      }),
    ).toMatch(
      /<section id="failovers">[\s\S]*edge-a1 restarted: ready in [^<]* with 2 objects[^<]*<\/p><\/section>/,
    );
  });

  it('uses the metric of the ladder (PSNR), says when there is no fixed ladder', async () => {
    const psnr = await demoReportFixture({ metric: 'psnr', fixedLadder: false });
    const out = formatDemoSummary(psnr, REPORT);
    expect(out).toContain('PSNR mean');
    expect(out).toContain(NO_FIXED_LADDER);
    expect(out).not.toMatch(/BD-rate against/);
  });

  it('an empty fleet and idle edges: no sessions, dashes, no NaN', () => {
    const empty = withEmptyFleet(data);
    const idle: DemoReportData = {
      ...empty,
      edges: empty.edges.map((e) => ({ ...e, requestsByStatus: {}, hitRatio: Number.NaN, bytesServed: 0 })),
      originOffload: Number.NaN,
    };
    const out = formatDemoSummary(idle, REPORT);
    expect(out).toContain('QoE: no sessions ran');
    expect(out).toContain('failovers: 0 sessions failed over, 0 of them completed');
    expect(out).toContain('offload - of 0.00 MB served');
    expect(out).not.toMatch(/NaN|undefined/);
    const row = out.split('\n').find((l) => l.includes(' edge-a2 '))!;
    expect(row.split(/\s{2,}/).slice(2, 4)).toEqual(['0', '-']);
  });
});
