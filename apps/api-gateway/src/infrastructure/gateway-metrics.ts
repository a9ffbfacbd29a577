import { AppMetrics } from '@taskflow/nest-kit';
import { Counter } from 'prom-client';

/** The gateway's own metrics (names are the contract of ops/monitoring). */
export class GatewayMetrics {
  readonly cacheRequests: Counter<'result'>;
  readonly cacheEvictions: Counter;
  readonly rateLimitRejections: Counter<'scope'>;
  readonly sessionChecksSkipped: Counter;

  constructor(metrics: AppMetrics) {
    const registers = [metrics.registry];
    this.cacheRequests = new Counter({
      name: 'taskflow_cache_requests_total',
      help: 'Gateway cache lookups by result (hit, miss, bypass, error)',
      labelNames: ['result'],
      registers,
    });
    this.cacheEvictions = new Counter({
      name: 'taskflow_cache_evictions_total',
      help: 'Cache keys deleted by write invalidation',
      registers,
    });
    this.rateLimitRejections = new Counter({
      name: 'taskflow_rate_limit_rejections_total',
      help: 'Requests rejected with 429, by limit scope (user, ip, login)',
      labelNames: ['scope'],
      registers,
    });
    this.sessionChecksSkipped = new Counter({
      name: 'taskflow_session_checks_skipped_total',
      help: 'Authenticated requests served without a session check because Redis was unreachable (SESSION_FAILURE_MODE=open)',
      registers,
    });
  }
}
