/**
 * The Prometheus metrics the TaskFlow apps (and the backup jobs) export, with their label names: the
 * contract the Grafana dashboard and the alert rules in ops/monitoring are written against.
 */
export const TASKFLOW_METRICS: Record<string, { type: 'counter' | 'gauge' | 'histogram'; labels: string[] }> = {
  taskflow_http_requests_total: { type: 'counter', labels: ['app', 'route', 'method', 'status'] },
  taskflow_http_request_duration_seconds: { type: 'histogram', labels: ['app', 'route', 'method', 'status'] },
  taskflow_db_pool_connections: { type: 'gauge', labels: ['app', 'state'] },
  taskflow_kafka_messages_produced_total: { type: 'counter', labels: ['app', 'topic'] },
  taskflow_kafka_messages_consumed_total: { type: 'counter', labels: ['app', 'topic'] },
  taskflow_kafka_consumer_lag: { type: 'gauge', labels: ['app', 'topic', 'partition'] },
  taskflow_outbox_pending: { type: 'gauge', labels: ['app'] },
  taskflow_outbox_oldest_pending_age_seconds: { type: 'gauge', labels: ['app'] },
  taskflow_cache_requests_total: { type: 'counter', labels: ['app', 'result'] },
  taskflow_cache_evictions_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_events_ingested_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_duplicates_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_event_conflicts_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_dead_lettered_total: { type: 'counter', labels: ['app'] },
  taskflow_rate_limit_rejections_total: { type: 'counter', labels: ['app', 'scope'] },
  taskflow_backup_last_success_timestamp_seconds: { type: 'gauge', labels: ['target'] },
  taskflow_backup_failures_total: { type: 'counter', labels: ['target'] },
};

/** Series Prometheus itself provides, allowed in rules next to the TaskFlow metrics. */
export const PROMETHEUS_BUILTIN_SERIES: Record<string, string[]> = { up: ['job', 'instance'] };

const KEYWORDS = new Set([
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'and',
  'or',
  'unless',
  'bool',
  'offset',
]);

export interface SelectorUse {
  metric: string;
  labels: string[];
}

/**
 * The metric selectors of a PromQL expression (a small scanner, enough for our rules): metric names
 * with the label names of their matchers. Function names, keywords, grouping labels, strings,
 * durations and numbers are skipped.
 */
export function selectorsOf(expr: string): SelectorUse[] {
  const text = expr
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'/g, '""') // strings
    .replace(/\[[^\]]*\]/g, ' ') // range durations, [$__rate_interval]
    .replace(/\b(by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' '); // grouping labels
  const out: SelectorUse[] = [];
  const re = /([A-Za-z_:][A-Za-z0-9_:]*)\s*(\{[^}]*\})?\s*(\()?/g;
  let m: RegExpExecArray | null;
  while ((m = re.exec(text)) !== null) {
    const [, name, matchers, call] = m;
    const before = text[m.index - 1];
    if (call || KEYWORDS.has(name) || (before && /[0-9.$]/.test(before))) continue;
    if (/^\d/.test(name)) continue;
    const labels = matchers ? [...matchers.matchAll(/([A-Za-z_][A-Za-z0-9_]*)\s*(=~|!~|!=|=)/g)].map((l) => l[1]) : [];
    out.push({ metric: name, labels });
  }
  return out;
}

/** The exported metric family a series name belongs to (histogram _bucket/_sum/_count -> base). */
export function metricFamily(series: string): { family: string; extraLabels: string[] } {
  for (const suffix of ['_bucket', '_sum', '_count']) {
    const base = series.slice(0, -suffix.length);
    if (series.endsWith(suffix) && TASKFLOW_METRICS[base]?.type === 'histogram') {
      return { family: base, extraLabels: suffix === '_bucket' ? ['le'] : [] };
    }
  }
  return { family: series, extraLabels: [] };
}
