/**
 * The HTML report of `cdn demo` (pure: DemoReportData in, one self-contained HTML document out:
 * inline CSS and SVG, no script, nothing fetched, so it opens offline and from a mail attachment).
 *
 * Sections: the run; the ladder (table, BD-rate, rate-quality plot); the edges (table, origin
 * offload, hit ratio over time); QoE per ABR strategy (table, per-session bitrate and buffer,
 * startup and rebuffer distributions); failovers. Every plot is a <figure id="plot-..."> with a
 * caption. Every text from the data is escaped: session ids, traces and sources are user input.
 */
import {
  escapeXml,
  ecdfChart,
  lineChart,
  OKABE_ITO,
  paletteFor,
  scatterChart,
  type ChartPoint,
  type LineSeries,
  type PointSeries,
  type VerticalMarker,
} from './charts.js';
import type { DemoReportData, DemoSessionTimeline, SessionTimelinePoint } from './reportData.js';
import {
  edgeRequests,
  failoverCounts,
  fixedOrDash,
  NO_FIXED_LADDER,
  percent,
  seconds,
  servedBytes,
  formatRestart,
} from './summary.js';

/** The id of each plot's <figure>, in the order of the report. */
export const DEMO_PLOT_IDS = [
  'plot-rate-quality',
  'plot-hit-ratio',
  'plot-session-bitrate',
  'plot-session-buffer',
  'plot-startup',
  'plot-rebuffer',
] as const;

type Session = DemoReportData['fleet']['sessions'][number];
type Strategy = DemoReportData['fleet']['strategies'][number];

/** Above this many sessions per plot, session lines are drawn thinner so that all of them show. */
const MANY_SESSIONS = 12;

const CSS = `
:root { color-scheme: light; }
body { font: 14px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif; color: #1a1a1a; background: #fafafa; margin: 0; }
main { max-width: 1200px; margin: 0 auto; padding: 24px; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 19px; margin: 32px 0 8px; border-bottom: 1px solid #ddd; padding-bottom: 4px; }
.facts { display: grid; grid-template-columns: max-content 1fr; gap: 2px 16px; margin: 12px 0; }
.facts dt { color: #555; }
.facts dd { margin: 0; }
table { border-collapse: collapse; margin: 8px 0 12px; background: #fff; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #ddd; padding: 4px 8px; text-align: right; vertical-align: top; white-space: nowrap; }
td.wrap { white-space: normal; min-width: 7em; }
.table-scroll { overflow-x: auto; }
th { background: #f0f0f0; font-weight: 600; white-space: normal; }
td.text, th.text { text-align: left; }
tr.overall td { font-weight: 600; background: #f7f7f7; }
figure { margin: 16px 0; background: #fff; border: 1px solid #e3e3e3; padding: 8px; overflow-x: auto; }
figcaption { color: #444; font-size: 13px; margin-top: 4px; }
svg.chart { max-width: 100%; height: auto; }
.note { color: #555; }
.killed { color: #b00020; font-weight: 600; }
details summary { cursor: pointer; color: #333; }
code { font-size: 13px; }
`;

interface Column<T> {
  header: string;
  /** Left-aligned text (default: right-aligned figures). */
  text?: boolean;
  /** A list that may wrap over lines (other cells never wrap). */
  wrap?: boolean;
  cell: (row: T) => string;
}

/** A table; cells are plain text (escaped here) unless `html` says they are markup already. */
function table<T>(columns: readonly Column<T>[], rows: readonly T[], options: { overall?: T } = {}): string {
  const cls = (c: Column<T>) => {
    const names = [c.text ? 'text' : '', c.wrap ? 'wrap' : ''].filter(Boolean).join(' ');
    return names ? ` class="${names}"` : '';
  };
  const th = columns.map((c) => `<th${c.text ? ' class="text"' : ''}>${escapeXml(c.header)}</th>`).join('');
  const tr = (row: T, rowClass = '') =>
    `<tr${rowClass}>${columns.map((c) => `<td${cls(c)}>${escapeXml(c.cell(row))}</td>`).join('')}</tr>`;
  const body = rows.map((row) => tr(row));
  if (options.overall !== undefined) body.push(tr(options.overall, ' class="overall"'));
  return `<div class="table-scroll"><table><thead><tr>${th}</tr></thead><tbody>${body.join('')}</tbody></table></div>`;
}

function figure(id: string, svg: string, caption: string): string {
  return `<figure id="${escapeXml(id)}">${svg}<figcaption>${escapeXml(caption)}</figcaption></figure>`;
}

function megabytes(bytes: number): string {
  return `${fixedOrDash(bytes / 1e6, 2)} MB`;
}

/** The metric's display name and the unit of its scores. */
function metricLabel(data: DemoReportData): { name: string; unit: string } {
  const name = data.ladder.metric.name;
  const unit = name === 'psnr' ? 'dB' : name === 'ssim' ? '0-1' : '0-100';
  return { name: name.toUpperCase(), unit };
}

function headerSection(data: DemoReportData): string {
  const metric = data.ladder.metric;
  const facts: Array<[string, string]> = [
    ['source', data.title.source],
    ['title', `${data.title.id}, ${fixedOrDash(data.title.durationS, 1)} s`],
    [
      'quality metric',
      `${metric.name.toUpperCase()}${metric.model ? ` (model ${metric.model})` : ' (no model)'}`,
    ],
    ['client routes', `${data.routes.source === 'bgp' ? 'BGP' : 'static route feed'}: ${data.routes.note}`],
    ['mode', data.mode === 'quick' ? 'quick (shorter run)' : 'full'],
    [
      'timings',
      Object.entries(data.timingsMs)
        .map(([phase, ms]) => `${phase} ${seconds(ms)}`)
        .join(' · '),
    ],
    ['generated', data.generatedAt],
  ];
  const dl = facts.map(([k, v]) => `<dt>${escapeXml(k)}</dt><dd>${escapeXml(v)}</dd>`).join('');
  return `<header><h1>cdn demo: ${escapeXml(data.title.id)}</h1><p class="note">What one run of the whole system measured: per-title encoding, edges at two sites, a fleet of simulated players.</p><dl class="facts">${dl}</dl></header>`;
}

function bdRateSentence(data: DemoReportData): string {
  const fixed = data.ladder.fixedLadder;
  if (!fixed) return NO_FIXED_LADDER;
  const bd = fixed.bdRatePercent;
  const metric = metricLabel(data).name;
  if (bd === null)
    return 'BD-rate against the fixed ladder: not computable (the ladders do not overlap in quality)';
  return `BD-rate of the per-title ladder against the fixed ladder: ${bd > 0 ? '+' : ''}${bd.toFixed(1)}% (${bd < 0 ? 'fewer' : 'more'} bits for the same ${metric})`;
}

function rateQualityPlot(data: DemoReportData): string {
  const ladder = data.ladder;
  const { name: metric, unit } = metricLabel(data);
  const heightOf = (r: { height: number }) => `${r.height}p`;
  const resolutions = [...new Set(ladder.probes.map((p) => heightOf(p.resolution)))];
  const probeColors = [OKABE_ITO[0], OKABE_ITO[2], OKABE_ITO[3], OKABE_ITO[5], OKABE_ITO[4], OKABE_ITO[7]];
  const colors: Record<string, string> = {
    'convex hull': '#000000',
    'chosen rungs': OKABE_ITO[1],
    'fixed ladder': '#777777',
  };
  resolutions.forEach((r, i) => (colors[`probes ${r}`] = probeColors[i % probeColors.length]!));
  const probes: PointSeries[] = resolutions.map((r) => ({
    kind: 'points',
    name: `probes ${r}`,
    radius: 3.5,
    points: ladder.probes
      .filter((p) => heightOf(p.resolution) === r)
      .map((p) => ({
        x: p.bitrateKbps,
        y: p.quality.mean,
        label: `${p.resolution.width}x${p.resolution.height} crf ${p.crf}: ${p.bitrateKbps.toFixed(0)} kbit/s, ${metric} ${p.quality.mean.toFixed(2)}`,
      })),
  }));
  const hull: LineSeries = {
    kind: 'line',
    name: 'convex hull',
    width: 1.5,
    points: [...ladder.hull]
      .sort((a, b) => a.bitrateKbps - b.bitrateKbps)
      .map((h) => ({ x: h.bitrateKbps, y: h.quality })),
  };
  const rungs: PointSeries = {
    kind: 'points',
    name: 'chosen rungs',
    hollow: true,
    radius: 6.5,
    points: ladder.rungs.map((r) => {
      const quality = r.quality?.mean ?? r.predicted.quality;
      return {
        x: r.averageBitrateKbps,
        y: quality,
        tag: r.id,
        label: `${r.id} ${r.resolution.width}x${r.resolution.height}: ${r.averageBitrateKbps.toFixed(0)} kbit/s, ${metric} ${quality.toFixed(2)}${r.quality ? '' : ' (predicted)'}`,
      };
    }),
  };
  const fixedPoints = (ladder.fixedLadder?.rungs ?? []).map((f) => ({
    x: f.averageBitrateKbps,
    y: f.quality.mean,
    label: `fixed ${f.resolution.width}x${f.resolution.height} at ${f.targetBitrateKbps} kbit/s: ${f.averageBitrateKbps.toFixed(0)} kbit/s, ${metric} ${f.quality.mean.toFixed(2)}`,
  }));
  const fixed: Array<PointSeries | LineSeries> =
    fixedPoints.length > 0
      ? [
          { kind: 'points', name: 'fixed ladder', shape: 'diamond', radius: 4.5, points: fixedPoints },
          {
            kind: 'line',
            name: 'fixed ladder line',
            group: 'fixed ladder',
            dashed: true,
            width: 1.2,
            points: fixedPoints,
          },
        ]
      : [];
  const svg = scatterChart({
    id: 'chart-rate-quality',
    title: `Rate-quality: ${metric} against bitrate`,
    description: `${ladder.probes.length} test encodes by resolution, the convex hull through the best of them, the ${ladder.rungs.length} rungs chosen from it${fixedPoints.length ? ` and the ${fixedPoints.length} rungs of the fixed ladder` : ''}.`,
    x: { label: 'average bitrate (kbit/s, log scale)', scale: 'log' },
    y: { label: `${metric} mean (${unit})` },
    colors,
    series: [...probes, hull, rungs, ...fixed],
  });
  return figure(
    'plot-rate-quality',
    svg,
    `Each dot is one test encode of the samples (by resolution); the black line is their upper convex hull, from which the rungs (hollow, labelled) are picked; measured ${metric} of each final rung.${fixedPoints.length ? ' Grey diamonds: the fixed ladder for comparison. ' + bdRateSentence(data) + '.' : ''}`,
  );
}

function ladderSection(data: DemoReportData): string {
  const ladder = data.ladder;
  const { name: metric } = metricLabel(data);
  type Rung = (typeof ladder.rungs)[number];
  const rungTable = table<Rung>(
    [
      { header: 'rung', text: true, cell: (r) => r.id },
      { header: 'resolution', text: true, cell: (r) => `${r.resolution.width}x${r.resolution.height}` },
      { header: 'crf', cell: (r) => r.crf.toFixed(1) },
      { header: 'avg kbit/s', cell: (r) => r.averageBitrateKbps.toFixed(0) },
      { header: 'peak kbit/s', cell: (r) => r.peakBitrateKbps.toFixed(0) },
      { header: `${metric} mean`, cell: (r) => fixedOrDash(r.quality?.mean, 2) },
      { header: `${metric} p5`, cell: (r) => fixedOrDash(r.quality?.p5, 2) },
      { header: 'predicted kbit/s', cell: (r) => r.predicted.bitrateKbps.toFixed(0) },
      { header: `predicted ${metric}`, cell: (r) => r.predicted.quality.toFixed(2) },
      {
        header: 'measured - predicted',
        cell: (r) =>
          r.quality
            ? `${r.quality.mean - r.predicted.quality >= 0 ? '+' : ''}${(r.quality.mean - r.predicted.quality).toFixed(2)}`
            : '-',
      },
    ],
    ladder.rungs,
  );
  const fixed = ladder.fixedLadder;
  type FixedRung = NonNullable<typeof fixed>['rungs'][number];
  const fixedTable = fixed
    ? `<details><summary>The fixed ladder (${fixed.rungs.length} rungs)</summary>${table<FixedRung>(
        [
          { header: 'resolution', text: true, cell: (f) => `${f.resolution.width}x${f.resolution.height}` },
          { header: 'target kbit/s', cell: (f) => f.targetBitrateKbps.toFixed(0) },
          { header: 'avg kbit/s', cell: (f) => f.averageBitrateKbps.toFixed(0) },
          { header: `${metric} mean`, cell: (f) => f.quality.mean.toFixed(2) },
          { header: `${metric} p5`, cell: (f) => f.quality.p5.toFixed(2) },
        ],
        fixed.rungs,
      )}</details>`
    : '';
  return `<section id="ladder"><h2>Per-title ladder</h2><p>${escapeXml(`${ladder.rungs.length} rungs from ${ladder.probes.length} test encodes, quality by ${metric}${ladder.metric.model ? ` (${ladder.metric.model})` : ''}, segments of ${ladder.segmentDurationS} s.`)}</p>${rungTable}<p><strong>${escapeXml(bdRateSentence(data))}</strong></p>${fixedTable}${rateQualityPlot(data)}</section>`;
}

/** Fleet-time markers of the edges the demo killed. */
function killMarkers(data: DemoReportData): VerticalMarker[] {
  return data.edges.flatMap((e) =>
    e.killedAtMs === undefined ? [] : [{ x: e.killedAtMs / 1000, label: `${e.id} killed` }],
  );
}

function edgesSection(data: DemoReportData): string {
  type Edge = DemoReportData['edges'][number];
  const bySource = (counts: Record<string, number>) =>
    Object.entries(counts)
      .map(([k, v]) => `${k}\u00a0${v}`)
      .join(' · ') || '-';
  const edgeTable = table<Edge>(
    [
      { header: 'edge', text: true, cell: (e) => e.id },
      { header: 'site', text: true, cell: (e) => e.site },
      {
        header: 'parents / peers',
        text: true,
        wrap: true,
        cell: (e) =>
          [
            e.parents.length ? `parents ${e.parents.join(', ')}` : '',
            e.peers.length ? `peers ${e.peers.join(', ')}` : '',
          ]
            .filter(Boolean)
            .join('; ') || '-',
      },
      { header: 'prefixes', text: true, wrap: true, cell: (e) => e.prefixes.join(', ') || '-' },
      { header: 'requests', cell: (e) => String(edgeRequests(e)) },
      { header: 'by status', text: true, wrap: true, cell: (e) => bySource(e.requestsByStatus) },
      { header: 'hit ratio', cell: (e) => percent(e.hitRatio) },
      { header: 'served', cell: (e) => megabytes(e.bytesServed) },
      { header: 'fills by source', text: true, wrap: true, cell: (e) => bySource(e.fillsBySource) },
      { header: 'coalesced', cell: (e) => String(e.coalesced) },
      {
        header: 'prefetch issued/used/wasted',
        cell: (e) => `${e.prefetch.issued}/${e.prefetch.used}/${e.prefetch.wasted}`,
      },
      { header: 'killed at', cell: (e) => (e.killedAtMs === undefined ? '-' : seconds(e.killedAtMs)) },
    ],
    data.edges,
  );
  const offload = `The origin served ${data.origin.contentRequests} requests (${megabytes(data.origin.contentBytes)}) under /content to the edges; the edges served ${megabytes(servedBytes(data))} to players: origin offload ${percent(data.originOffload)}.`;
  const edgeColors = paletteFor(data.edges.map((e) => e.id));
  const series: LineSeries[] = data.hitRatioSeries.map((s) => ({
    kind: 'line',
    name: s.edgeId,
    points: s.points.map((p) => ({ x: p.tMs / 1000, y: p.intervalRatio * 100 })),
  }));
  const svg = lineChart({
    id: 'chart-hit-ratio',
    title: 'Cache hit ratio over time, per edge',
    description: `Hits over requests between consecutive scrapes of each edge's metrics, for ${series.length} edges; dashed lines mark the edges the demo killed.`,
    x: { label: "time since the fleet's start (s)", min: 0 },
    y: { label: 'hit ratio in the interval (%)', min: 0, max: 100 },
    colors: edgeColors,
    series,
    markers: killMarkers(data),
  });
  const killed = data.edges.filter((e) => e.killedAtMs !== undefined);
  const killNote = killed.length
    ? ` ${killed.map((e) => `${e.id} was killed at ${seconds(e.killedAtMs!)}`).join('; ')}: its line stops there and its sessions moved to other edges.`
    : '';
  return `<section id="edges"><h2>Edges and origin offload</h2>${edgeTable}<p>${escapeXml(offload)}</p>${figure(
    'plot-hit-ratio',
    svg,
    `Hit ratio of each edge per scrape interval (gaps: no request in the interval).${killNote}`,
  )}</section>`;
}

function qoeTable(data: DemoReportData): string {
  const fleet = data.fleet;
  const all = [...fleet.strategies, fleet.overall];
  const withVmaf = all.some((s) => s.avgVmaf !== undefined);
  const withOptimum = all.some((s) => s.fractionOfOptimum !== undefined);
  const qoeVmaf = fleet.objective === 'vmaf';
  const columns: Column<Strategy>[] = [
    { header: 'strategy', text: true, cell: (s) => s.strategy },
    { header: 'sessions', cell: (s) => String(s.sessions) },
    { header: 'completed', cell: (s) => String(s.completed) },
    { header: 'failed', cell: (s) => String(s.failed) },
    {
      header: 'startup p50 / p95 (s)',
      cell: (s) =>
        `${fixedOrDash(s.startupDelayMs.p50 / 1000, 2)} / ${fixedOrDash(s.startupDelayMs.p95 / 1000, 2)}`,
    },
    {
      header: 'rebuffer ratio mean / p95 (%)',
      cell: (s) =>
        `${fixedOrDash(s.rebufferRatio.mean * 100, 2)} / ${fixedOrDash(s.rebufferRatio.p95 * 100, 2)}`,
    },
    { header: 'avg bitrate p50 (kbit/s)', cell: (s) => fixedOrDash(s.avgBitrateBps.p50 / 1000, 0) },
    ...(withVmaf
      ? [{ header: 'avg VMAF mean', cell: (s: Strategy) => fixedOrDash(s.avgVmaf?.mean, 1) }]
      : []),
    { header: 'switches / session', cell: (s) => fixedOrDash(s.switchesPerSession, 2) },
    { header: 'failovers / session', cell: (s) => fixedOrDash(s.failoversPerSession, 2) },
    {
      header: qoeVmaf ? 'QoE_vmaf mean' : 'QoE_lin mean',
      cell: (s) => fixedOrDash(qoeVmaf ? s.qoeVmaf?.mean : s.qoeLin.mean, qoeVmaf ? 1 : 2),
    },
    ...(withOptimum
      ? [{ header: 'of optimum', cell: (s: Strategy) => fixedOrDash(s.fractionOfOptimum?.mean, 3) }]
      : []),
  ];
  return table(columns, fleet.strategies, { overall: fleet.overall });
}

/** The session's value at fleet time `tS` (s): the last point at or before it. */
function valueAt(
  session: DemoSessionTimeline,
  tS: number,
  pick: (p: SessionTimelinePoint) => number | undefined,
): number | undefined {
  let value: number | undefined;
  for (const p of session.points) {
    if ((session.startOffsetMs + p.tMs) / 1000 > tS + 1e-9) break;
    value = pick(p);
  }
  return value;
}

function sessionPlot(
  data: DemoReportData,
  colors: Record<string, string>,
  kind: 'bitrate' | 'buffer',
): { svg: string; failoverCount: number } {
  const sessions = data.sessions;
  const pick = (p: SessionTimelinePoint) => (kind === 'bitrate' ? p.bitrateKbps : p.bufferS);
  const width = sessions.length > MANY_SESSIONS ? 1 : 1.75;
  const lines: LineSeries[] = sessions.map((s) => ({
    kind: 'line',
    name: `${s.sessionId} (${s.strategy}, ${s.trace})`,
    group: s.strategy,
    step: kind === 'bitrate',
    width,
    opacity: 0.75,
    points: s.points.map((p) => ({ x: (s.startOffsetMs + p.tMs) / 1000, y: pick(p) ?? Number.NaN })),
  }));
  const failovers: Array<ChartPoint & { label: string }> = sessions.flatMap((s) =>
    (s.failoverAtMs ?? []).map((atMs) => {
      const x = (s.startOffsetMs + atMs) / 1000;
      return {
        x,
        y: valueAt(s, x, pick) ?? 0,
        label: `${s.sessionId} failed over at ${seconds(s.startOffsetMs + atMs)}`,
      };
    }),
  );
  const failoverSeries: PointSeries[] = failovers.length
    ? [{ kind: 'points', name: 'failover', shape: 'triangle', radius: 5, points: failovers }]
    : [];
  const what = kind === 'bitrate' ? 'bitrate of the rung playing' : 'media buffered ahead of the playhead';
  const svg = scatterChart({
    id: `chart-session-${kind}`,
    title: kind === 'bitrate' ? 'Bitrate played, per session' : 'Buffer level, per session',
    description: `The ${what} over time for each of ${sessions.length} sessions, coloured by ABR strategy; triangles mark failovers, dashed lines the edges killed.`,
    x: { label: "time since the fleet's start (s)", min: 0 },
    y: kind === 'bitrate' ? { label: 'bitrate playing (kbit/s)', min: 0 } : { label: 'buffer (s)', min: 0 },
    colors: { ...colors, failover: '#000000' },
    series: [...lines, ...failoverSeries],
    markers: killMarkers(data),
  });
  return { svg, failoverCount: failovers.length };
}

/** One ECDF plot of a per-session figure, per strategy. */
function distributionPlot(
  data: DemoReportData,
  colors: Record<string, string>,
  strategies: readonly string[],
  plot: {
    id: string;
    title: string;
    what: string;
    xLabel: string;
    caption: string;
    value: (s: Session) => number | undefined;
  },
): string {
  const samples = strategies.map((name) => ({
    name,
    values: data.fleet.sessions
      .filter((s) => s.strategy === name)
      .map(plot.value)
      .filter((v): v is number => v !== undefined && Number.isFinite(v)),
  }));
  const counts = samples.map((s) => `${s.name} n=${s.values.length}`).join(', ');
  const svg = ecdfChart({
    id: `chart-${plot.id}`,
    title: `${plot.title}, distribution per ABR strategy`,
    description: `Empirical CDF of ${plot.what} (${counts}).`,
    x: { label: plot.xLabel, min: 0 },
    colors,
    samples,
  });
  return figure(`plot-${plot.id}`, svg, `${plot.caption} (${counts}).`);
}

function distributionPlots(
  data: DemoReportData,
  colors: Record<string, string>,
  strategies: readonly string[],
): string {
  return (
    distributionPlot(data, colors, strategies, {
      id: 'startup',
      title: 'Startup delay',
      what: 'the startup delay of the sessions that started playing',
      xLabel: 'startup delay (s)',
      caption: 'Fraction of sessions that started within a given delay; further left is better',
      value: (s) => (s.qoe.startupDelayMs === undefined ? undefined : s.qoe.startupDelayMs / 1000),
    }) +
    distributionPlot(data, colors, strategies, {
      id: 'rebuffer',
      title: 'Rebuffer ratio',
      what: 'the share of session time spent stalled after startup',
      xLabel: 'rebuffer ratio (% of session time)',
      caption:
        'Fraction of sessions whose rebuffer ratio is at most a given value; a curve that reaches 1 at 0% had no stall at all',
      value: (s) => s.qoe.rebufferRatio * 100,
    })
  );
}

function qoeSection(data: DemoReportData): string {
  const fleet = data.fleet;
  const strategies = [
    ...new Set([...fleet.strategies.map((s) => s.strategy), ...data.sessions.map((s) => s.strategy)]),
  ];
  const colors = paletteFor(strategies);
  const bitrate = sessionPlot(data, colors, 'bitrate');
  const buffer = sessionPlot(data, colors, 'buffer');
  const failoverNote = bitrate.failoverCount ? ` Triangles: ${bitrate.failoverCount} failovers.` : '';
  const intro = fleet.sessions.length
    ? `${fleet.sessions.length} of ${fleet.planned} sessions (${fleet.mode === 'virtual' ? 'virtual time' : 'real time'})${fleet.interrupted ? ', interrupted before the end' : ''}, over ${new Set(fleet.sessions.map((s) => s.trace)).size} network traces; every strategy played the same session slots.`
    : 'No session ran.';
  return `<section id="qoe"><h2>Quality of experience per ABR strategy</h2><p>${escapeXml(intro)}</p>${qoeTable(data)}${figure(
    'plot-session-bitrate',
    bitrate.svg,
    `Bitrate of the rung playing over time, one line per session (colour: strategy).${failoverNote}`,
  )}${figure(
    'plot-session-buffer',
    buffer.svg,
    `Seconds of media buffered ahead of the playhead, one line per session; it falls to 0 during a stall.${failoverNote}`,
  )}${distributionPlots(data, colors, strategies)}${sessionsTable(data)}</section>`;
}

/** Columns naming a session, in both session tables. */
const SESSION_COLUMNS: Column<Session>[] = [
  { header: 'session', text: true, cell: (s) => s.sessionId },
  { header: 'strategy', text: true, cell: (s) => s.strategy },
  { header: 'trace', text: true, cell: (s) => s.trace },
];

const OUTCOME_COLUMN: Column<Session> = {
  header: 'outcome',
  text: true,
  cell: (s) => (s.error ? `${s.outcome} (${s.error.code})` : s.outcome),
};

function sessionsTable(data: DemoReportData): string {
  if (data.fleet.sessions.length === 0) return '';
  const rows = table<Session>(
    [
      ...SESSION_COLUMNS,
      { header: 'client', text: true, cell: (s) => s.clientIp ?? '-' },
      { header: 'edges', text: true, cell: (s) => s.edges.join(' → ') || '-' },
      OUTCOME_COLUMN,
      { header: 'startup (s)', cell: (s) => fixedOrDash((s.qoe.startupDelayMs ?? Number.NaN) / 1000, 2) },
      { header: 'stalls', cell: (s) => String(s.qoe.rebufferCount) },
      { header: 'rebuffer (%)', cell: (s) => fixedOrDash(s.qoe.rebufferRatio * 100, 2) },
      { header: 'avg kbit/s', cell: (s) => fixedOrDash(s.qoe.avgBitrateBps / 1000, 0) },
      { header: 'switches', cell: (s) => String(s.qoe.switchCount) },
    ],
    data.fleet.sessions,
  );
  return `<details><summary>Every session (${data.fleet.sessions.length})</summary>${rows}</details>`;
}

function failoverSection(data: DemoReportData): string {
  const { failedOver, completed } = failoverCounts(data);
  const timelines = new Map(data.sessions.map((s) => [s.sessionId, s]));
  const sessions = data.fleet.sessions.filter((s) => s.failovers > 0);
  const when = (s: Session) => {
    const timeline = timelines.get(s.sessionId);
    const times = timeline?.failoverAtMs ?? [];
    return times.length ? times.map((t) => seconds(timeline!.startOffsetMs + t)).join(', ') : '-';
  };
  const body = sessions.length
    ? table<Session>(
        [
          ...SESSION_COLUMNS,
          { header: 'from', text: true, cell: (s) => s.edges[0] ?? s.firstEdge ?? '-' },
          { header: 'to', text: true, cell: (s) => s.edges.slice(1).join(' → ') || '-' },
          { header: 'failovers', cell: (s) => String(s.failovers) },
          { header: 'at (fleet time)', cell: when },
          OUTCOME_COLUMN,
        ],
        sessions,
      )
    : '<p>No session failed over.</p>';
  const killed = data.edges.filter((e) => e.killedAtMs !== undefined);
  const kills = killed.length
    ? `${killed.map((e) => `${e.id} killed at ${seconds(e.killedAtMs!)}`).join('; ')}. `
    : '';
  const summary = `${kills}${failedOver} session${failedOver === 1 ? '' : 's'} failed over, ${completed} of them completed.`;
  const restart = data.restart ? `<p>${escapeXml(`${formatRestart(data.restart)}.`)}</p>` : '';
  return `<section id="failovers"><h2>Failovers</h2><p>${escapeXml(summary)}</p>${body}${restart}</section>`;
}

/** The whole report: one HTML document with everything inline. */
export function renderDemoReport(data: DemoReportData): string {
  return [
    '<!DOCTYPE html>',
    '<html lang="en"><head><meta charset="utf-8">',
    // Nothing to load, nothing to run: the report is data only, whatever the data says.
    `<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">`,
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>cdn demo report: ${escapeXml(data.title.id)}</title>`,
    `<style>${CSS}</style></head><body><main>`,
    headerSection(data),
    ladderSection(data),
    edgesSection(data),
    qoeSection(data),
    failoverSection(data),
    `<footer><p class="note">${escapeXml(`Generated ${data.generatedAt} by cdn demo. Self-contained: no script, nothing fetched.`)}</p></footer>`,
    '</main></body></html>',
    '',
  ].join('\n');
}
