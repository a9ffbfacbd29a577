export interface MetricSpec {
  type: 'counter' | 'gauge' | 'histogram';
  labels: string[];
}

/**
 * The Prometheus metrics the TaskFlow apps (and the backup jobs) export, with their label names: the
 * contract the Grafana dashboard and the alert rules in ops/monitoring are written against.
 * libs/ops/test/monitoring.int-spec.ts checks it against the running apps' /metrics.
 */
export const TASKFLOW_METRICS: Record<string, MetricSpec> = {
  taskflow_http_requests_total: { type: 'counter', labels: ['app', 'route', 'method', 'status'] },
  taskflow_http_request_duration_seconds: { type: 'histogram', labels: ['app', 'route', 'method', 'status'] },
  taskflow_db_pool_connections: { type: 'gauge', labels: ['app', 'pool', 'state'] },
  taskflow_db_pool_max_connections: { type: 'gauge', labels: ['app', 'pool'] },
  taskflow_db_pool_waiting_requests: { type: 'gauge', labels: ['app', 'pool'] },
  taskflow_kafka_messages_produced_total: { type: 'counter', labels: ['app', 'topic'] },
  taskflow_kafka_messages_consumed_total: { type: 'counter', labels: ['app', 'topic'] },
  taskflow_kafka_consumer_lag: { type: 'gauge', labels: ['app', 'topic', 'partition'] },
  taskflow_kafka_consumer_oldest_unprocessed_age_seconds: { type: 'gauge', labels: ['app', 'topic', 'partition'] },
  taskflow_outbox_pending: { type: 'gauge', labels: ['app'] },
  taskflow_outbox_oldest_pending_age_seconds: { type: 'gauge', labels: ['app'] },
  taskflow_cache_requests_total: { type: 'counter', labels: ['app', 'result'] },
  taskflow_cache_evictions_total: { type: 'counter', labels: ['app'] },
  taskflow_session_checks_skipped_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_events_ingested_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_duplicates_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_event_conflicts_total: { type: 'counter', labels: ['app'] },
  taskflow_audit_dead_lettered_total: { type: 'counter', labels: ['app', 'topic', 'code'] },
  taskflow_audit_write_retries_total: { type: 'counter', labels: ['app'] },
  taskflow_rate_limit_rejections_total: { type: 'counter', labels: ['app', 'scope'] },
  taskflow_nodejs_heap_size_limit_bytes: { type: 'gauge', labels: ['app'] },
  taskflow_backup_last_success_timestamp_seconds: { type: 'gauge', labels: ['target'] },
  taskflow_backup_failures_total: { type: 'counter', labels: ['target'] },
};

/**
 * prom-client's default process and Node.js metrics, under their standard names, as every app exports them
 * (AppMetrics in libs/nest-kit): the ones the dashboard and the rules use, plus the rest so the apps' output
 * can be checked against this list.
 */
export const RUNTIME_METRICS: Record<string, MetricSpec> = {
  process_cpu_user_seconds_total: { type: 'counter', labels: ['app'] },
  process_cpu_system_seconds_total: { type: 'counter', labels: ['app'] },
  process_cpu_seconds_total: { type: 'counter', labels: ['app'] },
  process_start_time_seconds: { type: 'gauge', labels: ['app'] },
  process_resident_memory_bytes: { type: 'gauge', labels: ['app'] },
  process_virtual_memory_bytes: { type: 'gauge', labels: ['app'] },
  process_heap_bytes: { type: 'gauge', labels: ['app'] },
  process_open_fds: { type: 'gauge', labels: ['app'] },
  process_max_fds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_min_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_max_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_mean_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_stddev_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_p50_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_p90_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_eventloop_lag_p99_seconds: { type: 'gauge', labels: ['app'] },
  nodejs_active_resources: { type: 'gauge', labels: ['app', 'type'] },
  nodejs_active_handles: { type: 'gauge', labels: ['app', 'type'] },
  nodejs_active_requests: { type: 'gauge', labels: ['app', 'type'] },
  nodejs_heap_size_total_bytes: { type: 'gauge', labels: ['app'] },
  nodejs_heap_size_used_bytes: { type: 'gauge', labels: ['app'] },
  nodejs_external_memory_bytes: { type: 'gauge', labels: ['app'] },
  nodejs_heap_space_size_total_bytes: { type: 'gauge', labels: ['app', 'space'] },
  nodejs_heap_space_size_used_bytes: { type: 'gauge', labels: ['app', 'space'] },
  nodejs_heap_space_size_available_bytes: { type: 'gauge', labels: ['app', 'space'] },
  nodejs_version_info: { type: 'gauge', labels: ['app', 'version', 'major', 'minor', 'patch'] },
  nodejs_gc_duration_seconds: { type: 'histogram', labels: ['app', 'kind'] },
};

/** Every metric an app or a backup job may export: ours and the runtime's. */
export const EXPORTED_METRICS: Record<string, MetricSpec> = { ...RUNTIME_METRICS, ...TASKFLOW_METRICS };

/** The labels Prometheus attaches to every scraped series (the scrape job and the target's address). */
export const TARGET_LABELS = ['job', 'instance'];

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
    if (series.endsWith(suffix) && EXPORTED_METRICS[base]?.type === 'histogram') {
      return { family: base, extraLabels: suffix === '_bucket' ? ['le'] : [] };
    }
  }
  return { family: series, extraLabels: [] };
}
