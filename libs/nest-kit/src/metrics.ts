import { getHeapStatistics } from 'node:v8';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/**
 * prom-client's default gauges whose names end in `_total`: Prometheus reserves that suffix for counters
 * (`promtool check metrics` rejects them). The same numbers are in `nodejs_active_{handles,requests,resources}`
 * by `type`; `sum without (type) (…)` gives the total.
 */
export const NON_CONFORMING_DEFAULT_METRICS = [
  'nodejs_active_handles_total',
  'nodejs_active_requests_total',
  'nodejs_active_resources_total',
] as const;

/**
 * One Prometheus registry per app, every series labelled `app`. prom-client's default process and Node.js
 * runtime metrics keep their standard names (`process_cpu_seconds_total`, `process_start_time_seconds`,
 * `nodejs_eventloop_lag_p99_seconds`, `nodejs_heap_size_used_bytes`, …) so stock Node.js dashboards work,
 * minus NON_CONFORMING_DEFAULT_METRICS. Our own metrics are the contract of ops/monitoring (dashboard and
 * alerts, listed in libs/ops/src/monitoring/metrics.ts): add them here or in the app with the `taskflow_` prefix.
 */
export class AppMetrics {
  readonly registry = new Registry();
  readonly httpRequests: Counter<'route' | 'method' | 'status'>;
  readonly httpDuration: Histogram<'route' | 'method' | 'status'>;

  constructor(readonly app: string) {
    this.registry.setDefaultLabels({ app });
    collectDefaultMetrics({ register: this.registry });
    for (const name of NON_CONFORMING_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    new Gauge({
      name: 'taskflow_nodejs_heap_size_limit_bytes',
      help: 'V8 heap size limit in bytes (--max-old-space-size): the process fails when the used heap reaches it',
      registers: [this.registry],
      collect(this: Gauge) {
        this.set(getHeapStatistics().heap_size_limit);
      },
    });
    this.httpRequests = new Counter({
      name: 'taskflow_http_requests_total',
      help: 'HTTP requests answered, by route template, method and status',
      labelNames: ['route', 'method', 'status'],
      registers: [this.registry],
    });
    this.httpDuration = new Histogram({
      name: 'taskflow_http_request_duration_seconds',
      help: 'HTTP request duration in seconds',
      labelNames: ['route', 'method', 'status'],
      buckets: [0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [this.registry],
    });
  }

  observeHttp(route: string, method: string, status: number, seconds: number): void {
    const labels = { route, method, status: String(status) };
    this.httpRequests.inc(labels);
    this.httpDuration.observe(labels, seconds);
  }
}
