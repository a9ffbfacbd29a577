import autocannon from 'autocannon';

export interface HttpLoad {
  url: string;
  method?: 'GET' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  connections: number;
  /** Measured seconds. */
  durationSec: number;
  /** Seconds of the same load run first and discarded (JIT, pools, caches). */
  warmupSec?: number;
}

export interface HttpResult {
  /** Mean requests per second over the measured window. */
  rps: number;
  p50Ms: number;
  p99Ms: number;
  /** 2xx answers (for writes: tasks created). */
  ok: number;
  non2xx: number;
  /** Answers by status code other than 2xx, e.g. { "503": 12 }. */
  non2xxByStatus: Record<string, number>;
  /** Connection errors and timeouts. */
  errors: number;
  /** Length of the measured round. */
  seconds: number;
}

/** autocannon against one route from this process: an optional warm-up round, then the measured round. */
export async function measureHttp(load: HttpLoad): Promise<HttpResult> {
  const options = {
    url: load.url,
    method: load.method ?? 'GET',
    headers: load.headers,
    body: load.body,
    connections: load.connections,
  };
  if (load.warmupSec) await autocannon({ ...options, duration: load.warmupSec });
  const result = await autocannon({ ...options, duration: load.durationSec });
  return {
    rps: Math.round(result.requests.average),
    p50Ms: result.latency.p50,
    p99Ms: result.latency.p99,
    ok: result['2xx'],
    non2xx: result.non2xx,
    non2xxByStatus: Object.fromEntries(
      Object.entries(result.statusCodeStats ?? {})
        .filter(([status]) => !status.startsWith('2'))
        .map(([status, { count }]) => [status, count]),
    ),
    errors: result.errors + result.timeouts,
    seconds: result.duration,
  };
}

/** "non-2xx 12 (503: 12), errors 0", or '' when every answer was 2xx. */
export function failureSummary(result: HttpResult): string {
  if (result.non2xx + result.errors === 0) return '';
  const statuses = Object.entries(result.non2xxByStatus).map(([status, count]) => `${status}: ${count}`);
  return `non-2xx ${result.non2xx}${statuses.length ? ` (${statuses.join(', ')})` : ''}, errors ${result.errors}`;
}
