/**
 * Small SVG charts for the demo report (pure: data in, markup out, no dependency): line charts
 * (several series, optional steps, vertical markers), scatter charts with lines over them, and
 * empirical CDFs. Axes get 1-2-5 ticks (linear or log), every chart a legend, a title and an
 * accessible <title>/<desc>; colours come from the Okabe-Ito palette, which stays distinguishable
 * under the common colour-vision deficiencies (Okabe & Ito, "Color Universal Design", 2008).
 *
 * Every text is XML-escaped and every number written is finite: points that are not (NaN, or <= 0
 * on a log axis) leave a gap. A chart with nothing to draw says "no data".
 */

/** Okabe-Ito colours, most distinct first (yellow last: weak on white). */
export const OKABE_ITO = [
  '#0072B2', // blue
  '#D55E00', // vermillion
  '#009E73', // bluish green
  '#CC79A7', // reddish purple
  '#E69F00', // orange
  '#56B4E9', // sky blue
  '#000000', // black
  '#F0E442', // yellow
] as const;

/** Characters XML 1.0 cannot carry (C0 controls but tab/LF/CR, lone surrogates, U+FFFE/U+FFFF). */
const NOT_XML_CHAR =
  // eslint-disable-next-line no-control-regex
  /[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

const XML_ESCAPES: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * Text made safe for XML/HTML text and attribute values: markup characters as references, and
 * characters XML cannot carry replaced by U+FFFD (user data must never break the document).
 */
export function escapeXml(text: string): string {
  return text.replace(NOT_XML_CHAR, '\uFFFD').replace(/[&<>"']/g, (c) => XML_ESCAPES[c] ?? c);
}

/** A colour per key, in palette order (cycling after eight). */
export function paletteFor(keys: readonly string[]): Record<string, string> {
  const colors: Record<string, string> = {};
  let next = 0;
  for (const key of keys) {
    if (colors[key] !== undefined) continue;
    colors[key] = OKABE_ITO[next % OKABE_ITO.length]!;
    next++;
  }
  return colors;
}

export interface ChartPoint {
  x: number;
  y: number;
}

export interface LineSeries {
  kind: 'line';
  name: string;
  /** In x order; a point with a non-finite coordinate breaks the line. */
  points: readonly ChartPoint[];
  /** Legend entry and colour key: series of one group share both (default: the name). */
  group?: string;
  /** Hold each value until the next point (step-after), e.g. a rung or an ECDF. */
  step?: boolean;
  /** Stroke width, px (default 2). */
  width?: number;
  /** Stroke opacity 0..1 (default 1). */
  opacity?: number;
  dashed?: boolean;
}

export type MarkerShape = 'circle' | 'square' | 'diamond' | 'triangle';

export interface PointSeries {
  kind: 'points';
  name: string;
  points: readonly (ChartPoint & {
    /** Tooltip text of the point. */
    label?: string;
    /** Short text drawn beside the point (e.g. a rung id). */
    tag?: string;
  })[];
  group?: string;
  shape?: MarkerShape;
  /** Marker radius, px (default 4). */
  radius?: number;
  /** Drawn hollow with a dark outline (highlighted points). */
  hollow?: boolean;
}

export type ChartSeries = LineSeries | PointSeries;

export interface AxisSpec {
  /** With its unit, e.g. "time since the fleet's start (s)". */
  label: string;
  scale?: 'linear' | 'log';
  /** Fixed ends of the axis (default: from the data, rounded out to ticks). */
  min?: number;
  max?: number;
}

export interface VerticalMarker {
  x: number;
  label: string;
}

export interface ChartBase {
  /** Unique in the page: prefix of the ids inside the SVG. */
  id: string;
  title: string;
  /** What the chart shows, for screen readers (<desc>). */
  description: string;
  x: AxisSpec;
  y: AxisSpec;
  /** Colour of each group (default: palette order of appearance). */
  colors?: Readonly<Record<string, string>>;
  width?: number;
  height?: number;
}

export interface LineChartSpec extends ChartBase {
  series: readonly LineSeries[];
  markers?: readonly VerticalMarker[];
}

export interface ScatterChartSpec extends ChartBase {
  /** Points and the lines through them (drawn first, under the points). */
  series: readonly ChartSeries[];
  markers?: readonly VerticalMarker[];
}

export interface EcdfChartSpec extends Omit<ChartBase, 'y'> {
  /** One curve per sample; non-finite values are left out. */
  samples: readonly { name: string; group?: string; values: readonly number[] }[];
  /** Default "fraction of sessions". */
  yLabel?: string;
}

const DEFAULT_WIDTH = 760;
const DEFAULT_HEIGHT = 360;
const FONT_PX = 12;
/** Average glyph width of the sans-serif font at FONT_PX, px (for legend and label layout). */
const CHAR_PX = 6.8;
const MARGIN = { top: 34, bottom: 46, left: 62 };
/** Ticks aimed for on a linear axis (the 1-2-5 step gives 4 to 10). */
const TARGET_TICKS = 6;
/** Above this many 1-2-5 ticks a log axis keeps only the powers of ten. */
const MAX_LOG_TICKS = 10;

/** A number for an attribute: finite, two decimals at most. */
function num(value: number): string {
  return Number.isFinite(value) ? String(Math.round(value * 100) / 100) : '0';
}

/** Decimals that show a tick step of 1, 2 or 5 x 10^k exactly. */
function decimalsOf(step: number): number {
  return Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
}

/** 1, 2 or 5 x 10^k: the smallest at least `raw`. */
function niceStep(raw: number): number {
  const magnitude = 10 ** Math.floor(Math.log10(raw));
  const normalized = raw / magnitude;
  return (normalized <= 1 ? 1 : normalized <= 2 ? 2 : normalized <= 5 ? 5 : 10) * magnitude;
}

export interface Ticks {
  domain: [number, number];
  ticks: number[];
  format: (value: number) => string;
}

/**
 * Linear ticks at a 1-2-5 step; the domain is [min, max] rounded out to ticks, except for ends
 * given as fixed. A single value gets some room around it.
 */
export function linearTicks(min: number, max: number, fixed: { min?: number; max?: number } = {}): Ticks {
  let lo = fixed.min ?? min;
  let hi = fixed.max ?? max;
  if (!(hi > lo)) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    if (fixed.min === undefined) lo -= pad;
    if (fixed.max === undefined || !(fixed.max > lo)) hi = lo + 2 * pad;
  }
  const step = niceStep((hi - lo) / TARGET_TICKS);
  const decimals = decimalsOf(step);
  if (fixed.min === undefined) lo = Math.floor(lo / step + 1e-9) * step;
  if (fixed.max === undefined) hi = Math.ceil(hi / step - 1e-9) * step;
  const ticks: number[] = [];
  for (let i = Math.ceil(lo / step - 1e-9); i * step <= hi + step * 1e-9; i++) {
    ticks.push(Number((i * step).toFixed(decimals)));
  }
  return { domain: [lo, hi], ticks, format: (v) => v.toFixed(decimals) };
}

/** Log ticks at 1, 2 and 5 x 10^k (only 10^k over wide ranges); the domain rounded out to them. */
export function logTicks(min: number, max: number, fixed: { min?: number; max?: number } = {}): Ticks {
  const lo0 = fixed.min ?? min;
  const hi0 = fixed.max ?? max;
  const candidates: number[] = [];
  for (let k = Math.floor(Math.log10(lo0)) - 1; k <= Math.ceil(Math.log10(hi0)) + 1; k++) {
    for (const m of [1, 2, 5]) candidates.push(Number((m * 10 ** k).toPrecision(1)));
  }
  const lo = fixed.min ?? [...candidates].reverse().find((c) => c <= lo0 * (1 + 1e-9))!;
  let hi = fixed.max ?? candidates.find((c) => c >= hi0 * (1 - 1e-9))!;
  if (!(hi > lo)) hi = candidates.find((c) => c > lo)!;
  let ticks = candidates.filter((c) => c >= lo * (1 - 1e-9) && c <= hi * (1 + 1e-9));
  if (ticks.length > MAX_LOG_TICKS) ticks = ticks.filter((c) => Number.isInteger(Math.log10(c)));
  const format = (v: number) => (v >= 1 ? String(Math.round(v)) : String(Number(v.toPrecision(1))));
  return { domain: [lo, hi], ticks, format };
}

interface Scale {
  ticks: Ticks;
  toPx: (value: number) => number;
  /** The value can be drawn on this axis. */
  accepts: (value: number) => boolean;
}

function makeScale(values: readonly number[], axis: AxisSpec, fromPx: number, toPx: number): Scale {
  const log = axis.scale === 'log';
  const accepts = (v: number) => Number.isFinite(v) && (!log || v > 0);
  const usable = values.filter(accepts);
  const min = Math.min(...usable);
  const max = Math.max(...usable);
  const fixed = {
    ...(axis.min !== undefined && accepts(axis.min) ? { min: axis.min } : {}),
    ...(axis.max !== undefined && accepts(axis.max) ? { max: axis.max } : {}),
  };
  const ticks = log ? logTicks(min, max, fixed) : linearTicks(min, max, fixed);
  const [lo, hi] = ticks.domain;
  const t = log ? Math.log10 : (v: number) => v;
  const span = t(hi) - t(lo);
  return { ticks, accepts, toPx: (v) => fromPx + ((t(v) - t(lo)) / span) * (toPx - fromPx) };
}

interface Prepared {
  series: ChartSeries;
  color: string;
  /** Drawable points, or undefined for a break in a line. */
  points: ((ChartPoint & { label?: string; tag?: string }) | undefined)[];
}

function groupOf(series: { name: string; group?: string }): string {
  return series.group ?? series.name;
}

function markerShape(
  shape: MarkerShape,
  x: number,
  y: number,
  r: number,
  paint: string,
  title: string,
): string {
  const tip = title ? `<title>${escapeXml(title)}</title>` : '';
  switch (shape) {
    case 'circle':
      return `<circle class="pt" cx="${num(x)}" cy="${num(y)}" r="${num(r)}" ${paint}>${tip}</circle>`;
    case 'square':
      return `<rect class="pt" x="${num(x - r)}" y="${num(y - r)}" width="${num(2 * r)}" height="${num(2 * r)}" ${paint}>${tip}</rect>`;
    case 'diamond': {
      const d = r * 1.3;
      return `<path class="pt" d="M${num(x)} ${num(y - d)}L${num(x + d)} ${num(y)}L${num(x)} ${num(y + d)}L${num(x - d)} ${num(y)}Z" ${paint}>${tip}</path>`;
    }
    case 'triangle': {
      const d = r * 1.3;
      return `<path class="pt" d="M${num(x)} ${num(y - d)}L${num(x + d)} ${num(y + d * 0.8)}L${num(x - d)} ${num(y + d * 0.8)}Z" ${paint}>${tip}</path>`;
    }
  }
}

function pointPaint(series: PointSeries, color: string): string {
  return series.hollow
    ? `fill="#ffffff" fill-opacity="0.6" stroke="${color}" stroke-width="2.5"`
    : `fill="${color}" fill-opacity="0.75" stroke="#ffffff" stroke-width="0.8"`;
}

function linePaint(series: LineSeries, color: string): string {
  return [
    `fill="none" stroke="${color}" stroke-width="${num(series.width ?? 2)}"`,
    `stroke-linejoin="round" stroke-linecap="round"`,
    series.opacity !== undefined ? `stroke-opacity="${num(series.opacity)}"` : '',
    series.dashed ? 'stroke-dasharray="6 4"' : '',
  ]
    .filter(Boolean)
    .join(' ');
}

function linePath(prepared: Prepared, sx: Scale, sy: Scale, step: boolean): string {
  let d = '';
  let previous: ChartPoint | undefined;
  for (const p of prepared.points) {
    if (p === undefined) {
      previous = undefined;
      continue;
    }
    const x = sx.toPx(p.x);
    const y = sy.toPx(p.y);
    if (previous === undefined) d += `M${num(x)} ${num(y)}`;
    else if (step) d += `L${num(x)} ${num(sy.toPx(previous.y))}L${num(x)} ${num(y)}`;
    else d += `L${num(x)} ${num(y)}`;
    previous = p;
  }
  return d;
}

function renderSeries(prepared: Prepared, sx: Scale, sy: Scale): string {
  const { series, color } = prepared;
  const name = escapeXml(series.name);
  if (series.kind === 'line') {
    const d = linePath(prepared, sx, sy, series.step === true);
    if (d === '') return '';
    return `<path class="series-line" data-series="${name}" d="${d}" ${linePaint(series, color)}><title>${name}</title></path>`;
  }
  const r = series.radius ?? 4;
  const paint = pointPaint(series, color);
  const marks = prepared.points.flatMap((p) => {
    if (p === undefined) return [];
    const x = sx.toPx(p.x);
    const y = sy.toPx(p.y);
    const tag = p.tag
      ? `<text x="${num(x + r + 3)}" y="${num(y - r - 2)}" font-size="${FONT_PX - 1}" fill="#222222">${escapeXml(p.tag)}</text>`
      : '';
    return [markerShape(series.shape ?? 'circle', x, y, r, paint, p.label ?? series.name) + tag];
  });
  if (marks.length === 0) return '';
  return `<g class="series-points" data-series="${name}">${marks.join('')}</g>`;
}

function legendSwatch(series: ChartSeries, color: string, x: number, y: number): string {
  if (series.kind === 'line') {
    return `<line x1="${num(x)}" y1="${num(y)}" x2="${num(x + 18)}" y2="${num(y)}" ${linePaint({ ...series, width: Math.max(2, series.width ?? 2), opacity: 1 }, color)}/>`;
  }
  return markerShape(series.shape ?? 'circle', x + 9, y, series.radius ?? 4, pointPaint(series, color), '');
}

function svgOpen(spec: ChartBase, width: number, height: number): string {
  const id = escapeXml(spec.id);
  return [
    `<svg class="chart" viewBox="0 0 ${width} ${height}" width="${width}" height="${height}" role="img" aria-labelledby="${id}-title ${id}-desc" font-family="system-ui, -apple-system, 'Segoe UI', sans-serif" font-size="${FONT_PX}">`,
    `<title id="${id}-title">${escapeXml(spec.title)}</title>`,
    `<desc id="${id}-desc">${escapeXml(spec.description)}</desc>`,
    `<rect x="0" y="0" width="${width}" height="${height}" fill="#ffffff"/>`,
    `<text class="chart-title" x="${MARGIN.left}" y="20" font-size="${FONT_PX + 2}" font-weight="600" fill="#111111">${escapeXml(spec.title)}</text>`,
  ].join('');
}

/** The chart frame with "no data" in it. */
function emptyChart(spec: ChartBase, width: number, height: number): string {
  return `${svgOpen(spec, width, height)}<rect x="${MARGIN.left}" y="${MARGIN.top}" width="${num(width - MARGIN.left - 20)}" height="${num(height - MARGIN.top - MARGIN.bottom)}" fill="#f6f6f6" stroke="#cccccc"/><text class="no-data" x="${num(width / 2)}" y="${num(height / 2)}" text-anchor="middle" fill="#555555" font-size="${FONT_PX + 2}">no data</text></svg>`;
}

function renderAxes(
  sx: Scale,
  sy: Scale,
  spec: ChartBase,
  box: { left: number; right: number; top: number; bottom: number },
): string {
  const parts: string[] = [];
  for (const v of sx.ticks.ticks) {
    const x = sx.toPx(v);
    parts.push(
      `<line x1="${num(x)}" y1="${num(box.top)}" x2="${num(x)}" y2="${num(box.bottom)}" stroke="#e5e5e5"/>`,
      `<text x="${num(x)}" y="${num(box.bottom + 16)}" text-anchor="middle" fill="#333333">${escapeXml(sx.ticks.format(v))}</text>`,
    );
  }
  for (const v of sy.ticks.ticks) {
    const y = sy.toPx(v);
    parts.push(
      `<line x1="${num(box.left)}" y1="${num(y)}" x2="${num(box.right)}" y2="${num(y)}" stroke="#e5e5e5"/>`,
      `<text x="${num(box.left - 6)}" y="${num(y + 4)}" text-anchor="end" fill="#333333">${escapeXml(sy.ticks.format(v))}</text>`,
    );
  }
  parts.push(
    `<rect x="${num(box.left)}" y="${num(box.top)}" width="${num(box.right - box.left)}" height="${num(box.bottom - box.top)}" fill="none" stroke="#999999"/>`,
    `<text class="axis-label" x="${num((box.left + box.right) / 2)}" y="${num(box.bottom + 36)}" text-anchor="middle" fill="#111111">${escapeXml(spec.x.label)}</text>`,
    `<text class="axis-label" transform="translate(16 ${num((box.top + box.bottom) / 2)}) rotate(-90)" text-anchor="middle" fill="#111111">${escapeXml(spec.y.label)}</text>`,
  );
  return `<g class="axes">${parts.join('')}</g>`;
}

function renderMarkers(
  markers: readonly VerticalMarker[],
  sx: Scale,
  box: { top: number; bottom: number },
): string {
  return markers
    .filter((m) => sx.accepts(m.x))
    .map((m, i) => {
      const x = sx.toPx(m.x);
      const y = box.top + 14 + (i % 3) * 14;
      return `<g class="marker"><line x1="${num(x)}" y1="${num(box.top)}" x2="${num(x)}" y2="${num(box.bottom)}" stroke="#333333" stroke-width="1.5" stroke-dasharray="4 3"/><text x="${num(x + 4)}" y="${num(y)}" fill="#333333" font-size="${FONT_PX - 1}">${escapeXml(m.label)}</text></g>`;
    })
    .join('');
}

/** Lines first, then points over them; one legend entry per group. */
function renderXyChart(
  spec: ChartBase & { series: readonly ChartSeries[]; markers?: readonly VerticalMarker[] },
): string {
  const width = spec.width ?? DEFAULT_WIDTH;
  const height = spec.height ?? DEFAULT_HEIGHT;
  const groups = [...new Set(spec.series.map(groupOf))];
  const colors = { ...paletteFor(groups), ...spec.colors };
  const xLog = spec.x.scale === 'log';
  const yLog = spec.y.scale === 'log';
  const drawable = (p: ChartPoint) =>
    Number.isFinite(p.x) && Number.isFinite(p.y) && (!xLog || p.x > 0) && (!yLog || p.y > 0);
  const prepared: Prepared[] = spec.series.map((series) => ({
    series,
    color: colors[groupOf(series)] ?? OKABE_ITO[0],
    points: series.points.map((p) => (drawable(p) ? p : undefined)),
  }));
  const all = prepared.flatMap((p) => p.points.filter((q) => q !== undefined));
  if (all.length === 0) return emptyChart(spec, width, height);

  const legendChars = Math.max(...groups.map((g) => g.length));
  const legendWidth = Math.min(240, Math.max(110, legendChars * CHAR_PX + 40));
  const box = {
    left: MARGIN.left,
    right: width - legendWidth,
    top: MARGIN.top,
    bottom: height - MARGIN.bottom,
  };
  const markers = spec.markers ?? [];
  const sx = makeScale([...all.map((p) => p.x), ...markers.map((m) => m.x)], spec.x, box.left, box.right);
  const sy = makeScale(
    all.map((p) => p.y),
    spec.y,
    box.bottom,
    box.top,
  );
  const clipId = `${escapeXml(spec.id)}-clip`;
  const ordered = [
    ...prepared.filter((p) => p.series.kind === 'line'),
    ...prepared.filter((p) => p.series.kind === 'points'),
  ];
  const legend = groups.map((group, i) => {
    const first = prepared.find((p) => groupOf(p.series) === group)!;
    const y = box.top + 10 + i * 18;
    const x = box.right + 14;
    return `<g class="legend-entry">${legendSwatch(first.series, first.color, x, y)}<text x="${num(x + 24)}" y="${num(y + 4)}" fill="#111111">${escapeXml(group)}</text></g>`;
  });
  return [
    svgOpen(spec, width, height),
    renderAxes(sx, sy, spec, box),
    `<clipPath id="${clipId}"><rect x="${num(box.left)}" y="${num(box.top - 6)}" width="${num(box.right - box.left + 6)}" height="${num(box.bottom - box.top + 6)}"/></clipPath>`,
    `<g class="plot" clip-path="url(#${clipId})">${ordered.map((p) => renderSeries(p, sx, sy)).join('')}</g>`,
    renderMarkers(markers, sx, box),
    `<g class="legend">${legend.join('')}</g>`,
    '</svg>',
  ].join('');
}

/** Lines over a shared x axis (time, usually); `step` series hold their value until the next point. */
export function lineChart(spec: LineChartSpec): string {
  return renderXyChart(spec);
}

/** Points (e.g. measured encodes) with lines through some of them (e.g. a convex hull). */
export function scatterChart(spec: ScatterChartSpec): string {
  return renderXyChart(spec);
}

/** The empirical CDF of a sample as step points: (v1, 0), (v1, 1/n), (v2, 2/n), ... (v_n, 1). */
export function ecdfPoints(values: readonly number[]): ChartPoint[] {
  const sorted = values.filter(Number.isFinite).sort((a, b) => a - b);
  if (sorted.length === 0) return [];
  return [{ x: sorted[0]!, y: 0 }, ...sorted.map((x, i) => ({ x, y: (i + 1) / sorted.length }))];
}

/** Empirical CDFs of several samples, y from 0 to 1. */
export function ecdfChart(spec: EcdfChartSpec): string {
  return renderXyChart({
    ...spec,
    y: { label: spec.yLabel ?? 'fraction of sessions', min: 0, max: 1 },
    series: spec.samples.map((s) => ({
      kind: 'line' as const,
      name: s.name,
      ...(s.group !== undefined ? { group: s.group } : {}),
      step: true,
      points: ecdfPoints(s.values),
    })),
  });
}
