import { XMLValidator } from 'fast-xml-parser';
import { describe, expect, it } from 'vitest';
import { seededRandom } from '../../common/random.js';
import {
  OKABE_ITO,
  ecdfChart,
  ecdfPoints,
  escapeXml,
  lineChart,
  linearTicks,
  logTicks,
  paletteFor,
  scatterChart,
  type LineSeries,
} from './charts.js';

const count = (text: string, pattern: RegExp) => (text.match(pattern) ?? []).length;

/** The numbers of a path's d attribute as [x, y] pairs per subpath. */
function subpaths(d: string): number[][][] {
  return d
    .split('M')
    .filter(Boolean)
    .map((sub) => sub.split('L').map((pair) => pair.trim().split(' ').map(Number)));
}

function pathsOf(svg: string): string[] {
  return [...svg.matchAll(/<path class="series-line"[^>]* d="([^"]*)"/g)].map((m) => m[1]!);
}

const base = {
  id: 'test',
  title: 'A chart',
  description: 'What it shows',
  x: { label: 'time (s)' },
  y: { label: 'value (units)' },
};

/** The SVG is well-formed XML (inline SVG in HTML must be). */
function expectWellFormed(svg: string): void {
  expect(XMLValidator.validate(svg)).toBe(true);
}

describe('escapeXml', () => {
  it('escapes markup characters and replaces what XML cannot carry', () => {
    expect(escapeXml(`<script>alert("x") & 'y'</script>`)).toBe(
      '&lt;script&gt;alert(&quot;x&quot;) &amp; &#39;y&#39;&lt;/script&gt;',
    );
    expect(escapeXml('a\u0000b\u001bc\ud800d')).toBe('a\ufffdb\ufffdc\ufffdd');
    // Tabs, newlines and real surrogate pairs are kept.
    expect(escapeXml('a\tb\n😀')).toBe('a\tb\n😀');
  });
});

describe('ticks', () => {
  it('linear ticks step by 1, 2 or 5 x 10^k and cover the data', () => {
    const random = seededRandom(7);
    for (let i = 0; i < 200; i++) {
      const a = (random() - 0.5) * 10 ** Math.floor(random() * 8 - 3);
      const b = a + random() * 10 ** Math.floor(random() * 8 - 3);
      const { domain, ticks } = linearTicks(Math.min(a, b), Math.max(a, b));
      expect(domain[0]).toBeLessThanOrEqual(Math.min(a, b));
      expect(domain[1]).toBeGreaterThanOrEqual(Math.max(a, b));
      expect(ticks.length).toBeGreaterThanOrEqual(2);
      expect(ticks.length).toBeLessThanOrEqual(13);
      const step = ticks[1]! - ticks[0]!;
      const mantissa = step / 10 ** Math.floor(Math.log10(step) + 1e-9);
      expect([1, 2, 5].some((m) => Math.abs(mantissa - m) < 1e-6)).toBe(true);
    }
  });

  it('linear ticks of a hand case, of a single value and with fixed ends', () => {
    // 34.4 / 6 ticks = 5.7: the 1-2-5 step at least that is 10.
    const t = linearTicks(3, 37.4);
    expect(t.domain).toEqual([0, 40]);
    expect(t.ticks).toEqual([0, 10, 20, 30, 40]);
    expect(t.format(10)).toBe('10');
    expect(linearTicks(0.013, 0.061).ticks).toEqual([0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07]);
    expect(linearTicks(0, 1, { min: 0, max: 1 }).ticks).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(linearTicks(0, 1, { min: 0, max: 1 }).format(0.2)).toBe('0.2');
    const single = linearTicks(0, 0, { min: 0 });
    expect(single.domain[0]).toBe(0);
    expect(single.domain[1]).toBeGreaterThan(0);
    const negative = linearTicks(-5, -5);
    expect(negative.domain[0]).toBeLessThan(-5);
    expect(negative.domain[1]).toBeGreaterThan(-5);
  });

  it('log ticks at 1-2-5 over a few decades, powers of ten over many', () => {
    expect(logTicks(150, 3100)).toMatchObject({
      domain: [100, 5000],
      ticks: [100, 200, 500, 1000, 2000, 5000],
    });
    expect(logTicks(1, 1e6).ticks).toEqual([1, 10, 100, 1000, 10_000, 100_000, 1_000_000]);
    expect(logTicks(0.03, 0.4).ticks).toEqual([0.02, 0.05, 0.1, 0.2, 0.5]);
    expect(logTicks(0.03, 0.4).format(0.05)).toBe('0.05');
    const single = logTicks(300, 300);
    expect(single.domain[0]).toBeLessThanOrEqual(300);
    expect(single.domain[1]).toBeGreaterThan(300);
  });
});

describe('lineChart', () => {
  const series = (name: string, ys: number[], extra: Partial<LineSeries> = {}): LineSeries => ({
    kind: 'line',
    name,
    points: ys.map((y, x) => ({ x, y })),
    ...extra,
  });

  it('one path per series, one legend entry per group, colours from the Okabe-Ito palette', () => {
    const svg = lineChart({
      ...base,
      series: [
        series('s1', [1, 2, 3], { group: 'bola' }),
        series('s2', [2, 3, 4], { group: 'bola' }),
        series('s3', [3, 1, 2], { group: 'mpc' }),
      ],
    });
    expectWellFormed(svg);
    expect(pathsOf(svg)).toHaveLength(3);
    expect(count(svg, /class="legend-entry"/g)).toBe(2);
    const strokes = [...svg.matchAll(/class="series-line"[^>]*stroke="(#[0-9A-F]{6})"/g)].map((m) => m[1]);
    expect(strokes).toEqual([OKABE_ITO[0], OKABE_ITO[0], OKABE_ITO[1]]);
    expect(svg).toContain('role="img"');
    expect(svg).toContain('aria-labelledby="test-title test-desc"');
    expect(svg).toContain('<title id="test-title">A chart</title>');
    expect(svg).toContain('<desc id="test-desc">What it shows</desc>');
    expect(svg).toContain('time (s)');
    expect(svg).toContain('value (units)');
  });

  it('steps hold the value until the next point; straight lines do not', () => {
    const step = pathsOf(lineChart({ ...base, series: [series('s', [0, 10, 5], { step: true })] }))[0]!;
    const [points] = subpaths(step);
    // M p0, then for each next point: (x1, y0) then (x1, y1).
    expect(points).toHaveLength(5);
    expect(points![1]![1]).toBe(points![0]![1]);
    expect(points![1]![0]).toBe(points![2]![0]);
    expect(points![3]![1]).toBe(points![2]![1]);
    const straight = pathsOf(lineChart({ ...base, series: [series('s', [0, 10, 5])] }))[0]!;
    expect(subpaths(straight)[0]).toHaveLength(3);
  });

  it('a non-finite value breaks the line; no NaN is written anywhere', () => {
    const svg = lineChart({
      ...base,
      series: [series('gappy', [1, Number.NaN, 3, 4, Number.POSITIVE_INFINITY, 2])],
    });
    expectWellFormed(svg);
    const d = pathsOf(svg)[0]!;
    expect(subpaths(d).map((s) => s.length)).toEqual([1, 2, 1]);
    expect(svg).not.toMatch(/NaN|Infinity|undefined/);
  });

  it('vertical markers with their labels, inside the x axis even beyond the data', () => {
    const svg = lineChart({
      ...base,
      series: [series('s', [1, 2, 3])],
      markers: [{ x: 12.3, label: 'edge-a1 killed' }],
    });
    expect(count(svg, /class="marker"/g)).toBe(1);
    expect(svg).toContain('>edge-a1 killed</text>');
    const line = /class="marker"><line x1="([\d.]+)"/.exec(svg)!;
    const right = /<rect x="([\d.]+)" y="[\d.]+" width="([\d.]+)" height="[\d.]+" fill="none"/.exec(svg)!;
    expect(Number(line[1])).toBeLessThanOrEqual(Number(right[1]) + Number(right[2]));
  });

  it('says "no data" when there is nothing to draw, without axes or NaN', () => {
    for (const svg of [
      lineChart({ ...base, series: [] }),
      lineChart({ ...base, series: [series('s', [Number.NaN, Number.NaN])] }),
      lineChart({
        ...base,
        x: { label: 'x', scale: 'log' },
        series: [{ kind: 'line', name: 's', points: [{ x: 0, y: 1 }] }],
      }),
    ]) {
      expectWellFormed(svg);
      expect(svg).toContain('>no data</text>');
      expect(pathsOf(svg)).toHaveLength(0);
      expect(svg).not.toMatch(/NaN|undefined/);
    }
  });

  it('escapes every text: titles, axis labels, series names, marker labels', () => {
    const evil = '<script>alert(1)</script>';
    const svg = lineChart({
      id: 'x"y',
      title: evil,
      description: evil,
      x: { label: evil },
      y: { label: evil },
      series: [series(evil, [1, 2]), series('b', [2, 1], { group: evil + '&' })],
      markers: [{ x: 1, label: evil }],
    });
    expectWellFormed(svg);
    expect(svg).not.toContain('<script');
    expect(svg).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(svg).toContain('id="x&quot;y-title"');
  });
});

describe('scatterChart', () => {
  it('draws each point with its shape over the lines, on a log x axis', () => {
    const svg = scatterChart({
      ...base,
      x: { label: 'bitrate (kbit/s)', scale: 'log' },
      series: [
        {
          kind: 'points',
          name: 'probes',
          points: [1, 2, 3, 4].map((i) => ({ x: 100 * i, y: 50 + i, label: `p${i}` })),
        },
        {
          kind: 'line',
          name: 'hull',
          points: [
            { x: 100, y: 51 },
            { x: 400, y: 54 },
          ],
        },
        { kind: 'points', name: 'rungs', hollow: true, points: [{ x: 200, y: 52, tag: 'v0' }] },
        {
          kind: 'points',
          name: 'fixed',
          shape: 'diamond',
          points: [
            { x: 150, y: 49 },
            { x: -1, y: 3 },
          ],
        },
      ],
    });
    expectWellFormed(svg);
    const group = (name: string) =>
      new RegExp(`<g class="series-points" data-series="${name}">(.*?)</g>`).exec(svg)![1]!;
    expect(count(group('probes'), /<circle class="pt"/g)).toBe(4);
    expect(count(group('rungs'), /<circle class="pt"/g)).toBe(1);
    expect(group('rungs')).toContain('>v0</text>');
    // The point at x = -1 cannot sit on a log axis: left out.
    expect(count(group('fixed'), /<path class="pt"/g)).toBe(1);
    expect(pathsOf(svg)).toHaveLength(1);
    expect(svg.indexOf('series-line')).toBeLessThan(svg.indexOf('series-points'));
    expect(svg).toContain('<title>p3</title>');
    for (const tick of ['100', '200', '500']) expect(svg).toContain(`>${tick}</text>`);
  });
});

describe('ecdf', () => {
  it('points step from 0 to 1 at each sorted value', () => {
    expect(ecdfPoints([3, 1, Number.NaN, 2, 2])).toEqual([
      { x: 1, y: 0 },
      { x: 1, y: 0.25 },
      { x: 2, y: 0.5 },
      { x: 2, y: 0.75 },
      { x: 3, y: 1 },
    ]);
    expect(ecdfPoints([])).toEqual([]);
  });

  it('one stepped curve per sample with values, y from 0 to 1; "no data" when none has any', () => {
    const svg = ecdfChart({
      ...base,
      colors: { bola: '#123456' },
      samples: [
        { name: 'bola', values: [0.5, 1.2, 0.9] },
        { name: 'mpc', values: [] },
      ],
    });
    expectWellFormed(svg);
    expect(pathsOf(svg)).toHaveLength(1);
    expect(svg).toContain('stroke="#123456"');
    expect(svg).toContain('fraction of sessions');
    expect(svg).toContain('>1.0</text>');
    expect(ecdfChart({ ...base, samples: [{ name: 'a', values: [] }] })).toContain('>no data</text>');
  });
});

describe('paletteFor', () => {
  it('gives each key a colour in palette order, cycling after eight', () => {
    const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
    const colors = paletteFor([...keys, 'k0']);
    expect(Object.keys(colors)).toHaveLength(10);
    expect(colors.k0).toBe(OKABE_ITO[0]);
    expect(colors.k8).toBe(OKABE_ITO[0]);
    expect(colors.k7).toBe(OKABE_ITO[7]);
  });
});
