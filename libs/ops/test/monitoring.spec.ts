import {
  EXPORTED_METRICS,
  metricFamily,
  PROMETHEUS_BUILTIN_SERIES,
  selectorsOf,
  TARGET_LABELS,
  TASKFLOW_METRICS,
} from '../src/monitoring/metrics';
import { prometheusToolsMissing, promtool } from '../src/testing/prometheus';
import { readRepoFile, readYaml } from '../src/testing/repo';

interface Rule {
  alert: string;
  expr: string;
  for?: string;
  labels: { severity: string };
  annotations: { summary: string };
}
interface Panel {
  type: string;
  title: string;
  targets?: { expr: string }[];
}

const rules = readYaml<{ groups: { name: string; rules: Rule[] }[] }>('ops/monitoring/alert-rules.yaml');
const allRules = rules.groups.flatMap((g) => g.rules);
const dashboard = JSON.parse(readRepoFile('ops/monitoring/grafana-dashboard.json')) as {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string }[] };
};
const dashboardExprs = dashboard.panels.flatMap((p) =>
  (p.targets ?? []).map((t) => ({ panel: p.title, expr: t.expr })),
);

/** Unknown metrics or labels in an expression, as readable problems. */
function problemsOf(expr: string): string[] {
  const problems: string[] = [];
  for (const { metric, labels } of selectorsOf(expr)) {
    const builtin = PROMETHEUS_BUILTIN_SERIES[metric];
    const { family, extraLabels } = metricFamily(metric);
    const known =
      builtin ??
      (EXPORTED_METRICS[family] ? [...EXPORTED_METRICS[family].labels, ...extraLabels, ...TARGET_LABELS] : undefined);
    if (!known) {
      problems.push(`unknown metric ${metric}`);
      continue;
    }
    for (const label of labels) if (!known.includes(label)) problems.push(`${metric} has no label ${label}`);
  }
  return problems;
}

describe('PromQL scanner', () => {
  it('finds metric selectors and their label names, skipping functions, keywords and grouping labels', () => {
    expect(
      selectorsOf(
        'sum by (app, le) (rate(foo_bucket{app=~"$app", status="5.."}[$__rate_interval])) / clamp_min(bar, 1e-9) > 0.05 unless up{job="x"} == 0',
      ),
    ).toEqual([
      { metric: 'foo_bucket', labels: ['app', 'status'] },
      { metric: 'bar', labels: [] },
      { metric: 'up', labels: ['job'] },
    ]);
    expect(problemsOf('rate(taskflow_made_up_total[5m])')).toEqual(['unknown metric taskflow_made_up_total']);
    expect(problemsOf('taskflow_outbox_pending{topic="x"}')).toEqual(['taskflow_outbox_pending has no label topic']);
  });
});

describe('Prometheus alert rules (ops/monitoring/alert-rules.yaml)', () => {
  it('every alert expression references only the exported TaskFlow metrics (and their labels)', () => {
    const problems = allRules.flatMap((r) => problemsOf(r.expr).map((p) => `${r.alert}: ${p}`));
    expect(problems).toEqual([]);
    for (const rule of allRules) expect(selectorsOf(rule.expr).length).toBeGreaterThan(0);
  });

  it('covers the seed thresholds: errors, pool exhaustion, outbox backlog/age, lag, backups, readiness', () => {
    const uses = (metric: string) => allRules.filter((r) => r.expr.includes(metric)).map((r) => r.alert);
    expect(uses('taskflow_http_requests_total{status=~"5.."}')).toEqual(
      expect.arrayContaining(['TaskflowHighErrorRate']),
    );
    expect(uses('taskflow_db_pool_waiting_requests')).toEqual(['TaskflowDbPoolExhausted']);
    expect(uses('taskflow_db_pool_max_connections')).toEqual(['TaskflowDbPoolNearlyExhausted']);
    expect(uses('taskflow_outbox_pending')).toEqual(['TaskflowOutboxBacklog']);
    expect(uses('taskflow_outbox_oldest_pending_age_seconds')).toEqual(['TaskflowOutboxStalled']);
    expect(uses('taskflow_kafka_consumer_lag').length).toBeGreaterThanOrEqual(1);
    expect(uses('taskflow_backup_failures_total')).toEqual(['TaskflowBackupFailed']);
    expect(uses('taskflow_backup_last_success_timestamp_seconds').sort()).toEqual(
      ['TaskflowMongoBackupTooOld', 'TaskflowPostgresBackupTooOld', 'TaskflowRedisBackupTooOld'].sort(),
    );
    expect(uses('/health/ready')).toEqual(['TaskflowNotReady']);
  });

  it('covers the Node.js runtime: event-loop lag, heap against its limit, restarts', () => {
    const uses = (metric: string) => allRules.filter((r) => r.expr.includes(metric)).map((r) => r.alert);
    expect(uses('nodejs_eventloop_lag_p99_seconds')).toEqual(['TaskflowEventLoopLagHigh']);
    expect(uses('taskflow_nodejs_heap_size_limit_bytes')).toEqual(['TaskflowHeapNearLimit']);
    expect(uses('process_start_time_seconds').sort()).toEqual(['TaskflowAppCrashLooping', 'TaskflowAppRestarted']);
  });

  const missing = prometheusToolsMissing();
  if (missing) process.stderr.write(`SKIPPED promtool check rules: ${missing}.\n`);
  (missing ? it.skip : it)('promtool check rules accepts the file', () => {
    const result = promtool(['check', 'rules', 'ops/monitoring/alert-rules.yaml']);
    expect(result.output).toContain('SUCCESS: ');
    expect(result.status).toBe(0);
  });

  (missing ? it.skip : it)('promtool test rules: idle values fire nothing, bad ones fire after their for:', () => {
    const result = promtool(['test', 'rules', 'ops/monitoring/alert-rules.test.yaml']);
    expect(result.output).toContain('SUCCESS');
    expect(result.status).toBe(0);
  });

  it('every rule has a unique name, a severity and a summary', () => {
    const names = allRules.map((r) => r.alert);
    expect(new Set(names).size).toBe(names.length);
    for (const rule of allRules) {
      expect(['critical', 'warning', 'info']).toContain(rule.labels.severity);
      expect(rule.annotations.summary.length).toBeGreaterThan(10);
      if (rule.for) expect(rule.for).toMatch(/^\d+[smh]$/);
    }
  });
});

describe('Grafana dashboard (ops/monitoring/grafana-dashboard.json)', () => {
  it('queries only exported TaskFlow metrics', () => {
    const problems = dashboardExprs.flatMap(({ panel, expr }) => problemsOf(expr).map((p) => `${panel}: ${p}`));
    expect(problems).toEqual([]);
  });

  it('shows every exported metric, with a datasource and app selector', () => {
    const used = new Set(
      dashboardExprs.flatMap(({ expr }) => selectorsOf(expr).map((s) => metricFamily(s.metric).family)),
    );
    expect([...Object.keys(TASKFLOW_METRICS)].filter((m) => !used.has(m))).toEqual([]);
    expect(dashboard.uid).toBe('taskflow-overview');
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['datasource', 'app']);
    const ids = dashboard.panels.map((p) => (p as unknown as { id: number }).id);
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('has the rows the runbook refers to', () => {
    expect(dashboard.panels.filter((p) => p.type === 'row').map((p) => p.title)).toEqual([
      'HTTP',
      'PostgreSQL pool',
      'Kafka and outbox',
      'Cache and audit',
      'Backups',
      'Runtime',
    ]);
  });
});
