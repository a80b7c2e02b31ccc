import { XMLValidator } from 'fast-xml-parser';
import { beforeAll, describe, expect, it } from 'vitest';
import { demoReportFixture, FIXTURE_KILLED_EDGE, withEmptyFleet } from './fixture.test-helper.js';
import { DEMO_PLOT_IDS, renderDemoReport } from './report.js';
import type { DemoReportData } from './reportData.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

/** The <figure> with this id (its SVG and caption). */
function figureOf(html: string, id: string): string {
  const match = new RegExp(`<figure id="${id}">([\\s\\S]*?)</figure>`).exec(html);
  expect(match, `figure ${id}`).not.toBeNull();
  return match![1]!;
}

function pointGroup(svg: string, series: string): string {
  const match = new RegExp(`<g class="series-points" data-series="${series}">(.*?)</g>`).exec(svg);
  return match?.[1] ?? '';
}

const lines = (svg: string) => count(svg, /<path class="series-line"/g);

/** What the report must never contain, whatever the data. */
function expectSafe(html: string): void {
  expect(html).not.toMatch(/NaN|undefined|Infinity/);
  expect(html).not.toMatch(/<script/i);
  // Real tags (escaped text has no raw '<'): none loads anything or has an event handler.
  const tags = html.match(/<[a-zA-Z][^>]*>/g) ?? [];
  expect(tags.length).toBeGreaterThan(0);
  for (const tag of tags) {
    expect(tag).not.toMatch(/\s(src|href|xlink:href|action|formaction|on[a-z]+)\s*=/i);
    expect(tag).not.toMatch(/^<(link|iframe|object|embed|img|image|use|foreignObject|base)\b/i);
  }
  expect(html).not.toMatch(/@import/i);
  // The only url() references point inside the document (clip paths).
  for (const m of html.matchAll(/url\(([^)]*)\)/g)) expect(m[1]).toMatch(/^#/);
  // Inline SVG must be well-formed XML.
  for (const m of html.matchAll(/<svg[\s\S]*?<\/svg>/g)) expect(XMLValidator.validate(m[0])).toBe(true);
}

describe('renderDemoReport', () => {
  let data: DemoReportData;
  let html: string;

  beforeAll(async () => {
    data = await demoReportFixture();
    html = renderDemoReport(data);
  });

  it('is one self-contained document with every plot, each an SVG with a caption', () => {
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<style>');
    expectSafe(html);
    for (const id of DEMO_PLOT_IDS) {
      const figure = figureOf(html, id);
      expect(count(figure, /<svg /g)).toBe(1);
      expect(figure).toMatch(/<figcaption>[^<]+<\/figcaption>/);
      expect(figure).toMatch(/<title id="[^"]+">[^<]+<\/title><desc id="[^"]+">[^<]+<\/desc>/);
    }
    expect(count(html, /<figure /g)).toBe(DEMO_PLOT_IDS.length);
  });

  it('rate-quality: every probe by resolution, the hull, every chosen rung labelled, the fixed ladder', () => {
    const svg = figureOf(html, 'plot-rate-quality');
    const heights = [...new Set(data.ladder.probes.map((p) => p.resolution.height))];
    expect(heights.length).toBeGreaterThan(1);
    for (const h of heights) {
      const expected = data.ladder.probes.filter((p) => p.resolution.height === h).length;
      expect(count(pointGroup(svg, `probes ${h}p`), /<circle class="pt"/g)).toBe(expected);
    }
    const rungs = pointGroup(svg, 'chosen rungs');
    expect(count(rungs, /<circle class="pt"/g)).toBe(data.ladder.rungs.length);
    for (const r of data.ladder.rungs) expect(rungs).toContain(`>${r.id}</text>`);
    expect(count(pointGroup(svg, 'fixed ladder'), /<path class="pt"/g)).toBe(
      data.ladder.fixedLadder!.rungs.length,
    );
    expect(svg).toContain('data-series="convex hull"');
    expect(svg).toContain('VMAF mean (0-100)');
    expect(svg).toContain('log scale');
  });

  it('the ladder table has a row per rung with measured and predicted quality, and the BD-rate', () => {
    const section = /<section id="ladder">([\s\S]*?)<\/section>/.exec(html)![1]!;
    for (const r of data.ladder.rungs) {
      expect(section).toContain(
        `<td class="text">${r.id}</td><td class="text">${r.resolution.width}x${r.resolution.height}</td>`,
      );
      expect(section).toContain(`<td>${r.quality!.mean.toFixed(2)}</td><td>${r.quality!.p5.toFixed(2)}</td>`);
      expect(section).toContain(`<td>${r.predicted.quality.toFixed(2)}</td>`);
    }
    expect(section).toContain(`${data.ladder.fixedLadder!.bdRatePercent!.toFixed(1)}%`);
  });

  it('hit ratio: a line per edge and the kill marked', () => {
    const svg = figureOf(html, 'plot-hit-ratio');
    expect(lines(svg)).toBe(data.hitRatioSeries.length);
    const killed = data.edges.filter((e) => e.killedAtMs !== undefined);
    expect(killed.map((e) => e.id)).toEqual([FIXTURE_KILLED_EDGE]);
    expect(count(svg, /class="marker"/g)).toBe(1);
    expect(svg).toContain(`>${FIXTURE_KILLED_EDGE} killed</text>`);
  });

  it('edges table: a row per edge with requests, hit ratio, fills and the kill time; origin offload', () => {
    const section = /<section id="edges">([\s\S]*?)<figure/.exec(html)![1]!;
    expect(count(section, /<tr>/g)).toBe(data.edges.length + 1);
    for (const e of data.edges) {
      const total = Object.values(e.requestsByStatus).reduce((a, b) => a + b, 0);
      const row = new RegExp(`<tr><td class="text">${e.id}</td>.*?</tr>`).exec(section)![0];
      expect(row).toContain(`<td>${total}</td>`);
      expect(row).toContain(`<td>${(e.hitRatio * 100).toFixed(1)}%</td>`);
      for (const [source, n] of Object.entries(e.fillsBySource)) expect(row).toContain(`${source}\u00a0${n}`);
      for (const parent of e.parents) expect(row).toContain(`parents ${parent}`);
      expect(row).toContain(`${e.prefetch.issued}/${e.prefetch.used}/${e.prefetch.wasted}`);
      expect(row).toContain(
        e.killedAtMs === undefined
          ? '<td>-</td></tr>'
          : `<td>${(e.killedAtMs / 1000).toFixed(1)} s</td></tr>`,
      );
    }
    expect(section).toContain(`origin offload ${(data.originOffload * 100).toFixed(1)}%`);
  });

  it('session plots: a line per session coloured by strategy, failovers and the kill marked', () => {
    const failovers = data.sessions.reduce((sum, s) => sum + (s.failoverAtMs?.length ?? 0), 0);
    expect(failovers).toBeGreaterThan(0);
    for (const id of ['plot-session-bitrate', 'plot-session-buffer']) {
      const svg = figureOf(html, id);
      expect(lines(svg)).toBe(data.sessions.length);
      expect(count(pointGroup(svg, 'failover'), /<path class="pt"/g)).toBe(failovers);
      expect(svg).toContain(`>${FIXTURE_KILLED_EDGE} killed</text>`);
      // Legend: one entry per strategy, plus the failover marker.
      const strategies = new Set(data.sessions.map((s) => s.strategy));
      expect(count(svg, /class="legend-entry"/g)).toBe(strategies.size + 1);
      const strokes = new Set(
        [...svg.matchAll(/class="series-line"[^>]*stroke="(#[0-9A-F]{6})"/g)].map((m) => m[1]),
      );
      expect(strokes.size).toBe(strategies.size);
    }
    expect(figureOf(html, 'plot-session-bitrate')).toContain('bitrate playing (kbit/s)');
    expect(figureOf(html, 'plot-session-buffer')).toContain('buffer (s)');
  });

  it('startup and rebuffer distributions: an ECDF per strategy', () => {
    const strategies = data.fleet.strategies.map((s) => s.strategy);
    for (const id of ['plot-startup', 'plot-rebuffer']) {
      const svg = figureOf(html, id);
      expect(lines(svg)).toBe(strategies.length);
      for (const s of strategies) {
        expect(svg).toContain(`>${s}</text>`);
        const n = data.fleet.sessions.filter((x) => x.strategy === s).length;
        expect(figureOf(html, id)).toContain(`${s} n=${n}`);
      }
    }
  });

  it('the QoE table has a row per strategy and the overall one, with VMAF and QoE_vmaf when measured', () => {
    const section = /<section id="qoe">([\s\S]*?)<figure/.exec(html)![1]!;
    expect(section).toContain('<th>avg VMAF mean</th>');
    expect(section).toContain('<th>QoE_vmaf mean</th>');
    expect(section).not.toContain('of optimum');
    for (const s of [...data.fleet.strategies, data.fleet.overall]) {
      expect(section).toMatch(
        new RegExp(
          `<td class="text">${s.strategy}</td><td>${s.sessions}</td><td>${s.completed}</td><td>${s.failed}</td>`,
        ),
      );
    }
    expect(count(section, /class="overall"/g)).toBe(1);
  });

  it('the failover section lists each session that failed over, from which edge to which, and how it ended', () => {
    const section = /<section id="failovers">([\s\S]*?)<\/section>/.exec(html)![1]!;
    const moved = data.fleet.sessions.filter((s) => s.failovers > 0);
    expect(moved.some((s) => s.outcome === 'completed')).toBe(true);
    expect(moved.some((s) => s.outcome === 'failed')).toBe(true);
    expect(count(section, /<tr>/g)).toBe(moved.length + 1);
    for (const s of moved) {
      expect(section).toMatch(
        new RegExp(
          `<td class="text">${s.sessionId}</td>.*?<td class="text">${s.edges[0]}</td><td class="text">${s.edges[1]}</td>`,
        ),
      );
    }
    const completed = moved.filter((s) => s.outcome === 'completed').length;
    expect(section).toContain(`${moved.length} sessions failed over, ${completed} of them completed`);
    expect(section).toContain('failed (PLAYER_ERR_ALL_EDGES_FAILED)');
  });

  it('escapes what users control: trace names, session ids, the source, edge ids', async () => {
    const evil = '<script>alert("x")</script>';
    const fixture = await demoReportFixture({ traceName: evil });
    const tampered: DemoReportData = {
      ...fixture,
      title: { ...fixture.title, source: `movie</style><img src=x onerror=alert(1)>.mp4`, id: 'a&b' },
      routes: { ...fixture.routes, note: evil },
      sessions: fixture.sessions.map((s, i) => (i === 0 ? { ...s, sessionId: evil } : s)),
      fleet: {
        ...fixture.fleet,
        sessions: fixture.fleet.sessions.map((s, i) =>
          i === 0 ? { ...s, sessionId: evil, clientIp: evil } : s,
        ),
      },
      edges: fixture.edges.map((e, i) => (i === 2 ? { ...e, id: `edge"'<b>`, site: evil } : e)),
    };
    const out = renderDemoReport(tampered);
    expectSafe(out);
    expect(out).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(out).toContain('movie&lt;/style&gt;&lt;img src=x onerror=alert(1)&gt;.mp4');
    expect(out).toContain('edge&quot;&#39;&lt;b&gt;');
    expect(out).toContain('<title>cdn demo report: a&amp;b</title>');
    expect(count(out, /<\/style>/g)).toBe(1);
  });

  it('names the metric in use: PSNR labels, and no VMAF anywhere, for a PSNR ladder', async () => {
    const psnr = renderDemoReport(await demoReportFixture({ metric: 'psnr' }));
    expectSafe(psnr);
    expect(psnr).toContain('PSNR mean (dB)');
    expect(psnr).toContain('<th>PSNR mean</th><th>PSNR p5</th>');
    expect(psnr).toContain('same PSNR');
    expect(psnr).toContain('<th>QoE_lin mean</th>');
    expect(psnr).not.toContain('VMAF');
    const ssim = renderDemoReport(await demoReportFixture({ metric: 'ssim' }));
    expect(ssim).toContain('SSIM mean (0-1)');
  });

  it('renders an empty fleet, edges without requests and a ladder without a fixed one: "no data", no NaN', () => {
    const empty = withEmptyFleet(data);
    const quiet: DemoReportData = {
      ...empty,
      edges: empty.edges.map((e) => ({ ...e, requestsByStatus: {}, hitRatio: Number.NaN, bytesServed: 0 })),
      originOffload: Number.NaN,
      ladder: { ...empty.ladder, fixedLadder: null },
    };
    const out = renderDemoReport(quiet);
    expectSafe(out);
    for (const id of [
      'plot-hit-ratio',
      'plot-session-bitrate',
      'plot-session-buffer',
      'plot-startup',
      'plot-rebuffer',
    ]) {
      expect(figureOf(out, id)).toContain('>no data</text>');
    }
    expect(figureOf(out, 'plot-rate-quality')).not.toContain('no data');
    expect(pointGroup(figureOf(out, 'plot-rate-quality'), 'fixed ladder')).toBe('');
    expect(out).toContain('No session ran.');
    expect(out).toContain('No session failed over.');
    expect(out).toContain('the fixed ladder was not encoded in this run');
  });
});
