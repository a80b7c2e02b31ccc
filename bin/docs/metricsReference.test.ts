import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createMetricsRegistry } from '../../common/metrics.js';
import { familiesOf, processMetricNames } from './exportedMetrics.js';
import {
  namesIn,
  PROCESS_METRIC_EXAMPLES,
  renderMetricsReference,
  type MetricsReferenceInput,
} from './metricsReference.js';

describe('metric families of a registry', () => {
  it('lists each family with its type, help and declared labels, sorted by name', () => {
    const registry = new Registry();
    new Counter({
      name: 'cdn_edge_b_total',
      help: 'B things',
      labelNames: ['tier', 'outcome'],
      registers: [registry],
    });
    new Histogram({ name: 'cdn_edge_a_seconds', help: 'A time', registers: [registry] });
    new Gauge({ name: 'cdn_qoe_c', help: 'C now', registers: [registry] });
    expect(familiesOf(registry)).toEqual([
      { name: 'cdn_edge_a_seconds', type: 'histogram', help: 'A time', labelNames: [] },
      { name: 'cdn_edge_b_total', type: 'counter', help: 'B things', labelNames: ['tier', 'outcome'] },
      { name: 'cdn_qoe_c', type: 'gauge', help: 'C now', labelNames: [] },
    ]);
  });

  it("knows prom-client's process metrics, the examples in the text among them", () => {
    const names = processMetricNames();
    for (const example of PROCESS_METRIC_EXAMPLES) expect(names).toContain(example);
    expect([...names].every((n) => n.startsWith('cdn_process_') || n.startsWith('cdn_nodejs_'))).toBe(true);
    expect(familiesOf(createMetricsRegistry({ processMetrics: false }))).toEqual([]);
  });
});

describe('names in PromQL', () => {
  it('finds metric and recording rule names, not what string literals hold', () => {
    const names = namesIn(
      'sum by (le) (rate(cdn_x_seconds_bucket{q=~"cdn_fake_total|y", r=\'cdn_other\'}[5m])) / cdn:rule:rate5m',
    );
    expect(names).toContain('cdn_x_seconds_bucket');
    expect(names).toContain('cdn:rule:rate5m');
    expect(names).not.toContain('cdn_fake_total');
    expect(names).not.toContain('cdn_other');
  });
});

describe('the metrics reference', () => {
  const input: MetricsReferenceInput = {
    processes: [
      {
        process: 'origin',
        defaultLabels: ['part'],
        families: [
          { name: 'cdn_origin_requests_total', type: 'counter', help: 'Requests', labelNames: ['status'] },
          { name: 'cdn_process_cpu_seconds_total', type: 'counter', help: 'CPU', labelNames: [] },
          {
            name: 'cdn_qoe_rebuffer_ratio',
            type: 'histogram',
            help: 'Rebuffer | ratio',
            labelNames: ['strategy'],
          },
          { name: 'cdn_unknown_thing', type: 'gauge', help: 'Odd', labelNames: [] },
        ],
      },
      {
        process: 'edge',
        defaultLabels: ['node', 'part'],
        families: [
          { name: 'cdn_bgp_sessions_up', type: 'gauge', help: 'Up', labelNames: ['peer'] },
          { name: 'cdn_edge_requests_total', type: 'counter', help: 'Edge requests', labelNames: [] },
        ],
      },
    ],
    processMetricNames: new Set(['cdn_process_cpu_seconds_total']),
    ruleGroups: [
      {
        name: 'g',
        rules: [
          { record: 'cdn:inner', expr: 'rate(cdn_edge_requests_total[5m])' },
          { record: 'cdn:outer', expr: 'sum(cdn:inner)' },
          {
            alert: 'EdgeQuiet',
            expr: 'cdn:outer < 1',
            for: '5m',
            labels: { severity: 'warning' },
            annotations: { description: 'Nothing served' },
          },
          {
            alert: 'Rebuffering',
            expr: 'rate(cdn_qoe_rebuffer_ratio_sum[5m]) > 0',
            annotations: { summary: 'Stalls' },
          },
        ],
      },
    ],
    rulesPath: 'deploy/rules.yaml',
    dashboards: [
      { title: 'Fleet', queries: ['sum(rate(cdn_edge_requests_total[1m]))', 'cdn_bgp_sessions_up'] },
    ],
    dashboardsPath: 'deploy/dash',
  };
  const text = renderMetricsReference(input, '_generated_');

  it('starts with the title and the generated note', () => {
    expect(text.split('\n').slice(0, 3)).toEqual(['# Metrics reference', '', '_generated_']);
  });

  it('lists each process with its default labels, grouped by subsystem, process metrics left out', () => {
    expect(text).toContain('## Origin (`cdn origin`)\n\nEvery series carries `part` (a default label)');
    expect(text).toContain('## Edge (`cdn edge`)\n\nEvery series carries `node` and `part` (default labels)');
    expect(text).not.toContain('| `cdn_process_cpu_seconds_total`');
    const headings = [...text.matchAll(/^##+ .*$/gm)].map((m) => m[0]);
    expect(headings).toEqual([
      '## Origin (`cdn origin`)',
      '### Content store, serving and encode jobs',
      '### QoE collector',
      '### Other',
      '## Edge (`cdn edge`)',
      '### BGP speaker',
      '### Cache, fills and serving',
      '## Recording rules',
      '## Alerts',
    ]);
  });

  it('says which alerts (through recording rules) and dashboards use each family', () => {
    expect(text).toContain(
      '| `cdn_edge_requests_total` | counter | — | Edge requests | alert `EdgeQuiet`, dashboard "Fleet" |',
    );
    expect(text).toContain(
      '| `cdn_qoe_rebuffer_ratio` | histogram | `strategy` | Rebuffer \\| ratio | alert `Rebuffering` |',
    );
    expect(text).toContain('| `cdn_bgp_sessions_up` | gauge | `peer` | Up | dashboard "Fleet" |');
    expect(text).toContain('| `cdn_origin_requests_total` | counter | `status` | Requests | — |');
  });

  it('lists the recording rules and alerts with when they fire', () => {
    expect(text).toContain('| `cdn:outer` | `sum(cdn:inner)` |');
    expect(text).toContain('| `EdgeQuiet` | warning | 5m | Nothing served | `cdn:outer < 1` |');
    expect(text).toContain('| `Rebuffering` | — | — | Stalls | `rate(cdn_qoe_rebuffer_ratio_sum[5m]) > 0` |');
    expect(text.endsWith('\n')).toBe(true);
  });
});
