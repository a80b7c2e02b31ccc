/**
 * The metrics reference: every series family each process exports (from its real registry), its
 * type, labels and help, which alerts and dashboards use it, and the recording and alerting rules
 * of deploy/prometheus. Pure: the caller collects the registries and reads the deploy files.
 */
import { table } from './configReference.js';
import type { MetricFamily, MetricsProcess } from './exportedMetrics.js';

export interface ProcessFamilies {
  process: MetricsProcess;
  families: readonly MetricFamily[];
  defaultLabels: readonly string[];
}

/** One rule of a Prometheus rule file. */
export interface PrometheusRule {
  record?: string;
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface RuleGroup {
  name: string;
  rules: PrometheusRule[];
}

export interface Dashboard {
  title: string;
  /** Every PromQL expression of its panels. */
  queries: string[];
}

export interface MetricsReferenceInput {
  processes: readonly ProcessFamilies[];
  /** prom-client's default process metrics (`cdn_process_*`, `cdn_nodejs_*`): not listed one by one. */
  processMetricNames: ReadonlySet<string>;
  ruleGroups: readonly RuleGroup[];
  /** Where the rules live, for the text: `deploy/prometheus/alerts.yaml`. */
  rulesPath: string;
  dashboards: readonly Dashboard[];
  dashboardsPath: string;
}

/** Subsystems by metric name prefix, most specific first. */
const SUBSYSTEMS: readonly (readonly [prefix: string, title: string])[] = [
  ['cdn_origin_', 'Content store, serving and encode jobs'],
  ['cdn_steering_', 'Steering control plane'],
  ['cdn_qoe_', 'QoE collector'],
  ['cdn_edge_control_', 'Control-plane client'],
  ['cdn_bgp_', 'BGP speaker'],
  ['cdn_edge_', 'Cache, fills and serving'],
];

const PROCESS_TITLES: Record<MetricsProcess, string> = {
  origin: 'Origin (`cdn origin`)',
  edge: 'Edge (`cdn edge`)',
};

/** Default process metrics named as examples in the text (present on every platform). */
export const PROCESS_METRIC_EXAMPLES = [
  'cdn_process_cpu_seconds_total',
  'cdn_process_resident_memory_bytes',
  'cdn_nodejs_heap_size_used_bytes',
  'cdn_nodejs_eventloop_lag_p99_seconds',
  'cdn_nodejs_gc_duration_seconds',
] as const;

const SAMPLE_SUFFIXES = ['', '_bucket', '_sum', '_count'];

/** Metric and recording rule names a PromQL expression mentions (string literals skipped). */
export function namesIn(expr: string): Set<string> {
  const bare = expr.replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""');
  return new Set(bare.match(/[A-Za-z_:][A-Za-z0-9_:]*/g) ?? []);
}

/**
 * The families an expression uses, through recording rules too: histogram samples (`_bucket`,
 * `_sum`, `_count`) count for their family.
 */
function familiesUsed(
  expr: string,
  familyNames: ReadonlySet<string>,
  records: ReadonlyMap<string, string>,
  seen = new Set<string>(),
): Set<string> {
  const out = new Set<string>();
  for (const name of namesIn(expr)) {
    const record = records.get(name);
    if (record !== undefined && !seen.has(name)) {
      seen.add(name);
      for (const f of familiesUsed(record, familyNames, records, seen)) out.add(f);
      continue;
    }
    for (const suffix of SAMPLE_SUFFIXES) {
      if (suffix === '' || name.endsWith(suffix)) {
        const family = name.slice(0, name.length - suffix.length);
        if (familyNames.has(family)) out.add(family);
      }
    }
  }
  return out;
}

function code(text: string): string {
  return `\`${text}\``;
}

function subsystemOf(name: string): string {
  return SUBSYSTEMS.find(([prefix]) => name.startsWith(prefix))?.[1] ?? 'Other';
}

/** For each family: the alerts and dashboards that use it. */
function usage(input: MetricsReferenceInput): Map<string, string[]> {
  const familyNames = new Set(input.processes.flatMap((p) => p.families.map((f) => f.name)));
  const records = new Map(
    input.ruleGroups.flatMap((g) =>
      g.rules.flatMap((r) => (r.record !== undefined ? [[r.record, r.expr]] : [])),
    ) as [string, string][],
  );
  const used = new Map<string, Set<string>>();
  const mark = (expr: string, by: string): void => {
    for (const family of familiesUsed(expr, familyNames, records)) {
      const set = used.get(family) ?? new Set<string>();
      set.add(by);
      used.set(family, set);
    }
  };
  for (const rule of input.ruleGroups.flatMap((g) => g.rules)) {
    if (rule.alert !== undefined) mark(rule.expr, `alert ${code(rule.alert)}`);
  }
  for (const dashboard of input.dashboards) {
    for (const query of dashboard.queries) mark(query, `dashboard "${dashboard.title}"`);
  }
  return new Map([...used].map(([family, by]) => [family, [...by].sort()]));
}

function familyTable(families: readonly MetricFamily[], used: ReadonlyMap<string, string[]>): string {
  return table(
    ['metric', 'type', 'labels', 'description', 'used by'],
    families.map((f) => [
      code(f.name),
      f.type,
      f.labelNames.length === 0 ? '—' : f.labelNames.map(code).join(', '),
      f.help,
      (used.get(f.name) ?? []).join(', ') || '—',
    ]),
  );
}

function processSection(
  p: ProcessFamilies,
  input: MetricsReferenceInput,
  used: ReadonlyMap<string, string[]>,
): string[] {
  const own = p.families.filter((f) => !input.processMetricNames.has(f.name));
  const lines = [
    `## ${PROCESS_TITLES[p.process]}`,
    '',
    `Every series carries ${p.defaultLabels.map(code).join(' and ')}${p.defaultLabels.length === 1 ? ' (a default label)' : ' (default labels)'}, besides the labels listed.`,
    '',
  ];
  const groups = new Map<string, MetricFamily[]>();
  for (const f of own) {
    const title = subsystemOf(f.name);
    groups.set(title, [...(groups.get(title) ?? []), f]);
  }
  const order = [...SUBSYSTEMS.map(([, title]) => title), 'Other'];
  for (const title of order) {
    const families = groups.get(title);
    if (families === undefined) continue;
    lines.push(`### ${title}`, '', familyTable(families, used), '');
  }
  return lines;
}

function rulesSections(input: MetricsReferenceInput): string[] {
  const rules = input.ruleGroups.flatMap((g) => g.rules.map((r) => ({ group: g.name, rule: r })));
  const records = rules.filter((r) => r.rule.record !== undefined);
  const alerts = rules.filter((r) => r.rule.alert !== undefined);
  const oneLine = (expr: string): string => expr.replace(/\s+/g, ' ').trim();
  return [
    '## Recording rules',
    '',
    `From \`${input.rulesPath}\`: precomputed series the alerts and dashboards use.`,
    '',
    table(
      ['record', 'expression'],
      records.map(({ rule }) => [code(rule.record!), code(oneLine(rule.expr))]),
    ),
    '',
    '## Alerts',
    '',
    `From \`${input.rulesPath}\`; each alert's \`runbook\` annotation points at its section of \`deploy/README.md\`.`,
    '',
    table(
      ['alert', 'severity', 'for', 'fires when', 'expression'],
      alerts.map(({ rule }) => [
        code(rule.alert!),
        rule.labels?.severity ?? '—',
        rule.for ?? '—',
        rule.annotations?.description ?? rule.annotations?.summary ?? '—',
        code(oneLine(rule.expr)),
      ]),
    ),
    '',
  ];
}

/** The whole of docs/metrics.md (before formatting). */
export function renderMetricsReference(input: MetricsReferenceInput, generatedNote: string): string {
  const used = usage(input);
  const examples = PROCESS_METRIC_EXAMPLES.map(code).join(', ');
  const lines = [
    '# Metrics reference',
    '',
    generatedNote,
    '',
    'Every process serves Prometheus metrics at `GET /metrics` (an edge started with `--workers`',
    'aggregates its workers). Names follow Prometheus conventions: the unit in the name, `_total` for',
    'counters, no unbounded labels. Besides the series below, each process exports the Node.js',
    'process metrics of prom-client with the `cdn_` prefix:',
    `${examples} and the like.`,
    `The dashboards in \`${input.dashboardsPath}\` and the rules in \`${input.rulesPath}\` use only`,
    'series listed here (a test checks every query).',
    '',
  ];
  for (const p of input.processes) lines.push(...processSection(p, input, used));
  lines.push(...rulesSections(input));
  return `${lines.join('\n')}\n`;
}
