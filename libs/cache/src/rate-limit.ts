import type { Redis } from 'ioredis';

/** One fixed-window counter: `limit` hits per `windowSeconds` under `key`. */
export interface RateLimitRule {
  scope: string;
  key: string;
  limit: number;
  windowSeconds: number;
  /** How much one request counts (1 unless a route is weighted). */
  cost?: number;
}

export interface RateLimitDecision {
  allowed: boolean;
  /** The rule closest to (or over) its limit; its numbers go into the RateLimit-* headers. */
  scope: string;
  limit: number;
  remaining: number;
  /** Seconds until the window of that rule resets. */
  resetSeconds: number;
  windowSeconds: number;
}

// All counters in one round trip and atomically: INCRBY, and set the expiry when the window starts
// (or lost its TTL), then report each counter with its remaining TTL. The keys after the counters
// (one per ARGV pair) are only read (GET; absent → nil), so a request's other reads (session, cache)
// travel in the same single command: with ioredis, one command costs far less CPU than a pipeline
// of several (the pipeline object and each command's bookkeeping showed in the gateway's profile).
// Single Redis only: the keys of one call would not share a Redis Cluster slot.
export const RATE_LIMIT_SCRIPT = `
local counters = #ARGV / 2
local out = {}
for i = 1, counters do
  local key = KEYS[i]
  local count = redis.call('INCRBY', key, tonumber(ARGV[i * 2]))
  local ttl = redis.call('TTL', key)
  if ttl < 0 then
    redis.call('EXPIRE', key, tonumber(ARGV[i * 2 - 1]))
    ttl = tonumber(ARGV[i * 2 - 1])
  end
  out[#out + 1] = count
  out[#out + 1] = ttl
end
for i = counters + 1, #KEYS do
  out[#out + 1] = redis.call('GET', KEYS[i])
end
return out`;

/** `EVAL` arguments after the script: key count, counter keys, keys to read, then window and cost of each rule. */
export function rateLimitArgs(rules: RateLimitRule[], reads: string[] = []): [number, ...(string | number)[]] {
  const args: [number, ...(string | number)[]] = [rules.length + reads.length];
  for (const rule of rules) args.push(rule.key);
  for (const key of reads) args.push(key);
  for (const rule of rules) args.push(rule.windowSeconds, rule.cost ?? 1);
  return args;
}

/** The decision from the script's reply `[count1, ttl1, count2, ttl2, ...]`. */
export function decideFromReply(rules: RateLimitRule[], raw: number[]): RateLimitDecision {
  return decide(
    rules,
    rules.map((_, i) => ({ count: Number(raw[i * 2]), ttl: Number(raw[i * 2 + 1]) })),
  );
}

/** A client or pipeline on which `defineRateLimitCommand` registered the script. */
interface WithRateLimitCommand {
  hitRateLimits(...args: (string | number)[]): Promise<(number | string | null)[]>;
}

/**
 * Registers the script on a client as a command: ioredis sends the body (EVAL) once per connection
 * and EVALSHA after that (and re-sends it on NOSCRIPT), instead of ~400 bytes that Redis hashes on
 * every request.
 */
export function defineRateLimitCommand(redis: Redis): void {
  redis.defineCommand('hitRateLimits', { lua: RATE_LIMIT_SCRIPT });
}

/**
 * Counts one request and reads `reads` in the same command (see `defineRateLimitCommand`): the
 * reply is the counters' `[count, ttl, ...]` followed by the value of each read key (null: absent).
 */
export function countAndRead(redis: Redis, rules: RateLimitRule[], reads: string[] = []) {
  return (redis as unknown as WithRateLimitCommand).hitRateLimits(...rateLimitArgs(rules, reads));
}

/** Counts a request against every rule; rejects with the rule that is exhausted. */
export async function hitRateLimits(redis: Redis, rules: RateLimitRule[]): Promise<RateLimitDecision> {
  return decideFromReply(rules, (await countAndRead(redis, rules)) as number[]);
}

/** Pure rate-limit math: allowed only when every counter is within its limit. */
export function decide(rules: RateLimitRule[], counters: { count: number; ttl: number }[]): RateLimitDecision {
  const decisions = rules.map((rule, i) => ({
    allowed: counters[i].count <= rule.limit,
    scope: rule.scope,
    limit: rule.limit,
    remaining: Math.max(0, rule.limit - counters[i].count),
    resetSeconds: Math.max(1, counters[i].ttl),
    windowSeconds: rule.windowSeconds,
  }));
  const rejected = decisions.filter((d) => !d.allowed).sort((a, b) => b.resetSeconds - a.resetSeconds);
  if (rejected.length > 0) return rejected[0];
  return decisions.reduce((tightest, d) =>
    d.remaining / d.limit < tightest.remaining / tightest.limit ? d : tightest,
  );
}

/** Headers of draft-ietf-httpapi-ratelimit-headers, plus Retry-After on a rejection. */
export function rateLimitHeaders(decision: RateLimitDecision): Record<string, string> {
  const headers: Record<string, string> = {
    'RateLimit-Limit': String(decision.limit),
    'RateLimit-Remaining': String(decision.remaining),
    'RateLimit-Reset': String(decision.resetSeconds),
    'RateLimit-Policy': `${decision.limit};w=${decision.windowSeconds}`,
  };
  if (!decision.allowed) headers['Retry-After'] = String(decision.resetSeconds);
  return headers;
}
