/**
 * Prometheus rules and Grafana dashboards against what the code exports. The metric catalog comes
 * from a real origin and edge scraped at test time (see exportedMetrics.ts), plus the labels
 * Prometheus attaches (job, instance, and the target labels of deploy/prometheus/prometheus.yml and
 * the chart's ServiceMonitors), plus recording rule outputs. Every query is parsed with Prometheus's
 * grammar and must name only metrics and labels from that catalog. With promtool installed, the
 * rules and scrape config are checked by it and the alerts run through scenarios.
 */
import { readdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify } from 'yaml';
import { beforeAll, describe, expect, it } from 'vitest';
import { collectExportedMetrics, type ExportedMetrics } from './exportedMetrics.js';
import { renderChart } from './helmLite.js';
import { DEPLOY, onPath, readJson, readText, readYaml, record, run } from './helpers.js';
import { checkQuery, expandGrafanaVariables, templateLabels } from './promql.js';
import type { PrometheusRule as Rule } from '../../bin/docs/metricsReference.js';

interface Panel {
  id: number;
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { refId: string; expr: string; legendFormat?: string; datasource?: { uid?: string } }[];
  panels?: Panel[];
}

interface Dashboard {
  uid: string;
  title: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query?: unknown; definition?: string }[] };
}

const RULES = join(DEPLOY, 'prometheus', 'alerts.yaml');
const DASHBOARDS = join(DEPLOY, 'grafana', 'dashboards');
const SEVERITIES = new Set(['critical', 'warning', 'info']);

/** Labels Prometheus attaches to every scraped series: job, instance and configured target labels. */
async function targetLabels(): Promise<{ labels: Set<string>; jobs: Set<string> }> {
  const labels = new Set(['job', 'instance']);
  const jobs = new Set<string>();
  const prometheus = record(await readYaml(DEPLOY, 'prometheus', 'prometheus.yml'), 'prometheus.yml');
  for (const job of prometheus.scrape_configs as Record<string, unknown>[]) {
    jobs.add(String(job.job_name));
    for (const sc of (job.static_configs as Record<string, unknown>[] | undefined) ?? []) {
      for (const l of Object.keys(record(sc.labels ?? {}, 'labels'))) labels.add(l);
    }
    for (const rc of (job.relabel_configs as Record<string, unknown>[] | undefined) ?? []) {
      if (typeof rc.target_label === 'string') labels.add(rc.target_label);
    }
  }
  const chart = await renderChart(join(DEPLOY, 'helm', 'open-edge-cdn'), {
    tokens: { adminToken: 'x'.repeat(16), apiToken: 'y'.repeat(16), readToken: 'z'.repeat(16) },
  });
  const services = chart.manifests.filter((m) => m.doc.kind === 'Service').map((m) => m.doc);
  for (const { doc } of chart.manifests.filter((m) => m.doc.kind === 'ServiceMonitor')) {
    const spec = record(doc.spec, 'ServiceMonitor spec');
    const jobLabel = String(spec.jobLabel);
    for (const service of services) {
      const value = record(record(service.metadata, 'metadata').labels, 'labels')[jobLabel];
      if (typeof value === 'string') jobs.add(value);
    }
    for (const endpoint of spec.endpoints as Record<string, unknown>[]) {
      for (const r of (endpoint.relabelings as Record<string, unknown>[] | undefined) ?? []) {
        if (typeof r.targetLabel === 'string') labels.add(r.targetLabel);
      }
    }
  }
  return { labels, jobs };
}

async function loadRules(): Promise<{ name: string; rules: Rule[] }[]> {
  const file = record(await readYaml(RULES), 'alerts.yaml');
  return (file.groups as { name: string; rules: Rule[] }[]).map((g) => ({ name: g.name, rules: g.rules }));
}

async function loadDashboards(): Promise<Map<string, Dashboard>> {
  const out = new Map<string, Dashboard>();
  for (const file of (await readdir(DASHBOARDS)).filter((f) => f.endsWith('.json')).sort()) {
    out.set(file, (await readJson(DASHBOARDS, file)) as Dashboard);
  }
  return out;
}

function allPanels(panels: Panel[]): Panel[] {
  return panels.flatMap((p) => [p, ...allPanels(p.panels ?? [])]);
}

/** `job="..."` values a query selects. */
function jobMatchers(expr: string): string[] {
  return [...expr.matchAll(/\bjob\s*=\s*"([^"]+)"/g)].map((m) => m[1]!);
}

describe('Prometheus rules and Grafana dashboards', () => {
  let exported: ExportedMetrics;
  let scrape: { labels: Set<string>; jobs: Set<string> };
  /** Exported metrics with target labels, plus `up`; recording outputs added as the rules define them. */
  let catalog: Map<string, Set<string>>;
  let groups: { name: string; rules: Rule[] }[];
  let dashboards: Map<string, Dashboard>;

  beforeAll(async () => {
    [exported, scrape, groups, dashboards] = await Promise.all([
      collectExportedMetrics(),
      targetLabels(),
      loadRules(),
      loadDashboards(),
    ]);
    catalog = new Map([...exported].map(([name, m]) => [name, new Set([...m.labels, ...scrape.labels])]));
    // Written by Prometheus for every target.
    catalog.set('up', new Set(scrape.labels));
  });

  it('the checker finds unknown metrics, labels and groupings (it can fail)', () => {
    expect(checkQuery('rate(cdn_edge_requests_total[5m])', catalog).problems).toEqual([]);
    expect(checkQuery('rate(cdn_edge_no_such_metric_total[5m])', catalog).problems).toHaveLength(1);
    expect(checkQuery('cdn_edge_requests_total{tier="disk"}', catalog).problems).toHaveLength(1);
    expect(checkQuery('sum by (tier) (rate(cdn_edge_requests_total[5m]))', catalog).problems).toHaveLength(1);
    expect(
      checkQuery('histogram_quantile(0.9, sum by (le) (rate(cdn_qoe_vmaf_sum[5m])))', catalog).problems,
    ).toHaveLength(1);
    expect(checkQuery('sum(rate(cdn_edge_requests_total[5m]', catalog).problems.length).toBeGreaterThan(0);
    const grouped = checkQuery('sum by (node) (rate(cdn_edge_requests_total[5m]))', catalog);
    expect([...grouped.labels]).toEqual(['node']);
  });

  it('exports the series the deploy files are built on', () => {
    // The names the dashboards and alerts were designed around, read from the running processes.
    for (const name of [
      'cdn_edge_requests_total',
      'cdn_edge_upstream_duration_seconds_bucket',
      'cdn_edge_cache_tier_healthy',
      'cdn_origin_requests_total',
      'cdn_bgp_sessions_up',
      'cdn_qoe_rebuffer_ratio_bucket',
    ]) {
      expect(exported.has(name), name).toBe(true);
    }
    expect(exported.get('cdn_edge_requests_total')!.labels).toContain('cache_status');
  });

  describe('deploy/prometheus/alerts.yaml', () => {
    it('gives every alert a duration, a severity, a summary, a description and a runbook section', async () => {
      const readme = await readText(DEPLOY, 'README.md');
      const anchors = new Set(
        [...readme.matchAll(/^#+\s+(.+)$/gm)].map((m) =>
          m[1]!
            .toLowerCase()
            .replace(/[^\w\- ]/g, '')
            .replace(/ /g, '-'),
        ),
      );
      const names = new Set<string>();
      const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
      expect(alerts.length).toBeGreaterThanOrEqual(7);
      for (const rule of alerts) {
        const name = rule.alert!;
        expect(names.has(name), `duplicate alert ${name}`).toBe(false);
        names.add(name);
        expect(rule.for, `${name} for:`).toMatch(/^\d+[smh]$/);
        expect(SEVERITIES.has(rule.labels?.severity ?? ''), `${name} severity`).toBe(true);
        expect(rule.annotations?.summary, name).toBeTruthy();
        expect(rule.annotations?.description, name).toBeTruthy();
        const runbook = rule.annotations?.runbook ?? '';
        expect(runbook, name).toMatch(/^deploy\/README\.md#/);
        expect(anchors.has(runbook.split('#')[1]!), `${name}: ${runbook}`).toBe(true);
      }
      // The alerts the operations guide promises.
      for (const wanted of [
        'CdnEdgeDown',
        'CdnEdgeHitRatioDrop',
        'CdnOriginErrorRate',
        'CdnEdgeUpstreamLatencyHigh',
        'CdnBgpSessionDown',
        'CdnQoeRebufferRatioRising',
        'CdnEncodeJobFailures',
      ]) {
        expect(names.has(wanted), wanted).toBe(true);
      }
    });

    it('names only exported metrics and labels, and recording rules before their use', () => {
      const problems: string[] = [];
      for (const group of groups) {
        for (const rule of group.rules) {
          const what = rule.record ?? rule.alert!;
          const result = checkQuery(rule.expr, catalog);
          problems.push(...result.problems.map((p) => `${group.name}/${what}: ${p}`));
          for (const job of jobMatchers(rule.expr)) {
            if (!scrape.jobs.has(job)) problems.push(`${what}: no scrape job "${job}"`);
          }
          if (rule.record !== undefined) {
            expect(rule.record).toMatch(/^cdn:[a-z0-9_]+:[a-z0-9_]+$/);
            catalog.set(rule.record, new Set([...result.labels, ...Object.keys(rule.labels ?? {})]));
            continue;
          }
          const available = new Set([...result.labels, ...Object.keys(rule.labels ?? {})]);
          for (const text of Object.values(rule.annotations ?? {})) {
            for (const label of templateLabels(text, 'alert')) {
              if (!available.has(label))
                problems.push(`${what}: annotation uses $labels.${label}, not in the result`);
            }
          }
        }
      }
      expect(problems).toEqual([]);
    });

    describe('with promtool', () => {
      const promtool = onPath('promtool');
      let work: string;
      beforeAll(async () => {
        work = await mkdtemp(join(tmpdir(), 'cdn-promtool-'));
        return () => rm(work, { recursive: true, force: true });
      });

      it.skipIf(!promtool)('passes `promtool check rules` and `promtool check config`', async () => {
        const rules = await run(promtool!, ['check', 'rules', RULES]);
        expect(rules.stderrTail).toBe('');
        expect(rules.exitCode).toBe(0);
        // The compose config names the rule file by its path inside the container.
        const config = record(await readYaml(DEPLOY, 'prometheus', 'prometheus.yml'), 'prometheus.yml');
        config.rule_files = [RULES];
        await writeFile(join(work, 'prometheus.yml'), stringify(config));
        const checked = await run(promtool!, ['check', 'config', join(work, 'prometheus.yml')]);
        expect(checked.stderrTail).toBe('');
        expect(checked.exitCode).toBe(0);
      });

      it.skipIf(!promtool)('fires the alerts on their scenarios and not before', async () => {
        // Annotations are templates checked above; the scenarios test expressions, durations and labels.
        const file = record(await readYaml(RULES), 'alerts.yaml');
        for (const group of file.groups as { rules: Rule[] }[]) {
          for (const rule of group.rules) delete rule.annotations;
        }
        await writeFile(join(work, 'rules.yaml'), stringify(file));
        const edge = {
          job: 'cdn-edge',
          instance: 'edge-a1:8081',
          site: 'site-a',
          node: 'edge-a1',
          part: 'edge',
        };
        const origin = { job: 'cdn-origin', instance: 'origin:8080', site: 'core', part: 'origin' };
        const series = (name: string, labels: Record<string, string>, values: string) => ({
          series: `${name}{${Object.entries(labels)
            .map(([k, v]) => `${k}="${v}"`)
            .join(', ')}}`,
          values,
        });
        /** Counter values rising by `per` each minute for `minutes`, then by `then` for `more`. */
        const counter = (per: number, minutes: number, then = per, more = 0) =>
          `0+${per}x${minutes}${more > 0 ? ` ${per * minutes}+${then}x${more}` : ''}`;
        const buckets = [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
        /** An alert that is quiet at `quietAt` and firing with exactly `labels` at `firingAt`. */
        const scenario = (
          alertname: string,
          inputSeries: { series: string; values: string }[],
          quietAt: string,
          firingAt: string,
          labels: Record<string, string>,
        ) => ({
          interval: '1m',
          input_series: inputSeries,
          alert_rule_test: [
            { eval_time: quietAt, alertname, exp_alerts: [] },
            { eval_time: firingAt, alertname, exp_alerts: [{ exp_labels: labels }] },
          ],
        });
        const up = { job: edge.job, instance: edge.instance, site: edge.site };
        const tests = [
          scenario('CdnEdgeDown', [series('up', up, '1 1 0x10')], '3m', '5m', {
            ...up,
            severity: 'critical',
          }),
          {
            // 75% hits for 70 minutes, then 25%, at 120 requests a minute.
            ...scenario(
              'CdnEdgeHitRatioDrop',
              [
                series(
                  'cdn_edge_requests_total',
                  { ...edge, cache_status: 'hit', object_type: 'segment' },
                  counter(90, 70, 30, 60),
                ),
                series(
                  'cdn_edge_requests_total',
                  { ...edge, cache_status: 'miss', object_type: 'segment' },
                  counter(30, 70, 90, 60),
                ),
              ],
              '65m',
              '100m',
              { severity: 'warning', site: 'site-a', node: 'edge-a1' },
            ),
            promql_expr_test: [
              {
                expr: 'cdn:edge_hit_ratio:rate5m',
                eval_time: '60m',
                exp_samples: [
                  { labels: 'cdn:edge_hit_ratio:rate5m{site="site-a", node="edge-a1"}', value: 0.75 },
                ],
              },
            ],
          },
          // Origin 5xx after 30 minutes; /readyz answering 503 all along does not count.
          scenario(
            'CdnOriginErrorRate',
            [
              series(
                'cdn_origin_requests_total',
                { ...origin, route: '/content/*', method: 'GET', status: '200' },
                counter(100, 60),
              ),
              series(
                'cdn_origin_requests_total',
                { ...origin, route: '/content/*', method: 'GET', status: '500' },
                counter(0, 30, 10, 30),
              ),
              series(
                'cdn_origin_requests_total',
                { ...origin, route: '/readyz', method: 'GET', status: '503' },
                counter(100, 60),
              ),
            ],
            '25m',
            '50m',
            { severity: 'critical' },
          ),
          // Every fill from the origin takes between 2.5 s and 5 s.
          scenario(
            'CdnEdgeUpstreamLatencyHigh',
            [...buckets.map(String), '+Inf'].map((le) =>
              series(
                'cdn_edge_upstream_duration_seconds_bucket',
                { ...edge, source: 'origin', le },
                Number(le) < 5 ? '0x30' : counter(10, 30),
              ),
            ),
            '5m',
            '20m',
            { severity: 'warning', source: 'origin' },
          ),
          scenario(
            'CdnBgpSessionDown',
            [series('cdn_bgp_sessions_up', { ...edge, peer: 'isp' }, '1 1 0x10')],
            '4m',
            '8m',
            {
              ...edge,
              peer: 'isp',
              severity: 'critical',
            },
          ),
          // Mean rebuffer ratio 0.5% for 80 minutes, then 5%.
          scenario(
            'CdnQoeRebufferRatioRising',
            [
              series(
                'cdn_qoe_rebuffer_ratio_sum',
                { ...origin, strategy: 'bba' },
                counter(0.05, 80, 0.5, 40),
              ),
              series('cdn_qoe_rebuffer_ratio_count', { ...origin, strategy: 'bba' }, counter(10, 120)),
            ],
            '75m',
            '110m',
            { severity: 'warning' },
          ),
          // A job fails at minute 30.
          scenario(
            'CdnEncodeJobFailures',
            [series('cdn_origin_jobs', { ...origin, state: 'failed' }, '0x30 1x60')],
            '25m',
            '40m',
            {
              ...origin,
              state: 'failed',
              severity: 'warning',
            },
          ),
          scenario(
            'CdnSteeringHeartbeatsMissing',
            [series('cdn_steering_heartbeat_age_seconds', { ...origin, edge: 'edge-a1' }, '5x5 40x10')],
            '5m',
            '9m',
            { ...origin, edge: 'edge-a1', severity: 'warning' },
          ),
        ];
        await writeFile(
          join(work, 'scenarios.yaml'),
          stringify({ rule_files: ['rules.yaml'], evaluation_interval: '1m', tests }),
        );
        const result = await run(promtool!, ['test', 'rules', join(work, 'scenarios.yaml')], { cwd: work });
        expect(result.stdout + result.stderrTail).toContain('SUCCESS');
        expect(result.exitCode).toBe(0);
      });
    });
  });

  describe('deploy/grafana/dashboards', () => {
    it('holds the four dashboards, each with unique uid and panel ids and the data source variable', () => {
      expect([...dashboards.keys()]).toEqual([
        'edge-fleet.json',
        'origin-jobs.json',
        'qoe.json',
        'steering.json',
      ]);
      const uids = new Set<string>();
      for (const [file, board] of dashboards) {
        expect(board.uid, file).toMatch(/^[\w-]{1,40}$/);
        expect(uids.has(board.uid), `${file} uid`).toBe(false);
        uids.add(board.uid);
        const panels = allPanels(board.panels);
        expect(new Set(panels.map((p) => p.id)).size, `${file} panel ids`).toBe(panels.length);
        const variable = board.templating.list.find((v) => v.type === 'datasource');
        expect(variable?.query, file).toBe('prometheus');
        for (const panel of panels.filter((p) => p.type !== 'row')) {
          expect(panel.datasource?.uid, `${file}: ${panel.title}`).toBe(`\${${variable!.name}}`);
          expect(panel.targets?.length, `${file}: ${panel.title} has queries`).toBeGreaterThan(0);
        }
      }
    });

    it('queries only exported metrics and labels, with legends from the result labels', () => {
      const problems: string[] = [];
      let queries = 0;
      for (const [file, board] of dashboards) {
        for (const panel of allPanels(board.panels)) {
          for (const target of panel.targets ?? []) {
            queries++;
            const where = `${file} "${panel.title}" ${target.refId}`;
            const result = checkQuery(expandGrafanaVariables(target.expr), catalog);
            problems.push(...result.problems.map((p) => `${where}: ${p}`));
            for (const job of jobMatchers(target.expr)) {
              if (!scrape.jobs.has(job)) problems.push(`${where}: no scrape job "${job}"`);
            }
            for (const label of templateLabels(target.legendFormat ?? '', 'legend')) {
              if (!result.labels.has(label))
                problems.push(`${where}: legend uses {{${label}}}, not in the result`);
            }
          }
        }
      }
      expect(queries).toBeGreaterThan(40);
      expect(problems).toEqual([]);
    });

    it('fills its variables from exported metrics and labels', () => {
      const problems: string[] = [];
      for (const [file, board] of dashboards) {
        for (const variable of board.templating.list.filter((v) => v.type === 'query')) {
          const query = String(record(variable.query, `${file} ${variable.name}`).query);
          const m = /^label_values\((.+),\s*(\w+)\)$/.exec(query);
          if (!m) {
            problems.push(`${file} $${variable.name}: unsupported variable query ${query}`);
            continue;
          }
          const result = checkQuery(m[1]!, catalog);
          problems.push(...result.problems.map((p) => `${file} $${variable.name}: ${p}`));
          if (!result.labels.has(m[2]!))
            problems.push(`${file} $${variable.name}: no label ${m[2]} on ${m[1]}`);
          // Every use of the variable filters on the label it lists.
          const uses = allPanels(board.panels)
            .flatMap((p) => p.targets ?? [])
            .filter((t) => t.expr.includes(`$${variable.name}`));
          for (const t of uses) {
            if (!new RegExp(`\\b${m[2]!}=~"\\$${variable.name}"`).test(t.expr)) {
              problems.push(
                `${file}: ${t.expr} uses $${variable.name} other than as ${m[2]}=~"$${variable.name}"`,
              );
            }
          }
        }
      }
      expect(problems).toEqual([]);
    });
  });
});
