/** Capped exponential backoff with ±20% jitter; `failures` counts consecutive failures (1 = first). */
export function backoffMs(failures: number, baseMs: number, maxMs: number, random = Math.random): number {
  const exponential = Math.min(maxMs, baseMs * 2 ** Math.max(0, failures - 1));
  return Math.round(exponential * (0.8 + 0.4 * random()));
}
