// Only what @taskflow/bench uses; autocannon ships no types.
declare module 'autocannon' {
  interface Histogram {
    average: number;
    p50: number;
    p99: number;
    total: number;
  }
  interface Result {
    requests: Histogram;
    latency: Histogram;
    '2xx': number;
    non2xx: number;
    statusCodeStats: Record<string, { count: number }>;
    errors: number;
    timeouts: number;
    /** Seconds the measured round took. */
    duration: number;
  }
  function autocannon(options: {
    url: string;
    connections: number;
    duration: number;
    method?: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
    headers?: Record<string, string>;
    body?: string;
  }): Promise<Result>;
  export default autocannon;
}
