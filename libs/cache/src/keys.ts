import { createHash } from 'node:crypto';

/**
 * Redis key builders and TTLs, exactly as seed 001 ("Redis Schema") names them. Every key the
 * platform writes is built here so the strings exist once and are covered by tests.
 */
export const CacheTtl = {
  userProfile: 300,
  userPermissions: 600,
  session: 3600,
  task: 180,
  taskList: 60,
  taskStats: 300,
  taskSearch: 120,
  rateLimitUserMinute: 60,
  rateLimitIpHour: 3600,
  apiResponse: 300,
  /** Not in the seed: idempotency records (issue 5: "stored in Redis for 24 h"). */
  idempotency: 86_400,
} as const;

function part(value: string | number): string {
  const text = String(value);
  // A ':' or whitespace inside a part would let one key collide with another key's namespace.
  if (text.length === 0 || /[\s:*?[\]]/.test(text)) throw new Error(`invalid cache key part ${JSON.stringify(text)}`);
  return text;
}

/** IPv6 addresses contain ':'; the seed's key has the address as one part, so ':' becomes '_'. */
function ipPart(ip: string): string {
  return part(ip.replace(/:/g, '_'));
}

export const CacheKeys = {
  userProfile: (userId: string) => `user:profile:${part(userId)}`,
  userPermissions: (userId: string) => `user:permissions:${part(userId)}`,
  session: (sessionId: string) => `session:${part(sessionId)}`,
  task: (taskId: string) => `task:${part(taskId)}`,
  /** `status` is a task status or `all`; `page` is 1-based. */
  taskList: (userId: string, status: string, page: number) =>
    `task:list:user:${part(userId)}:status:${part(status)}:page:${part(page)}`,
  taskStats: (userId: string) => `task:stats:${part(userId)}`,
  taskSearch: (queryHash: string, page: number) => `task:search:${part(queryHash)}:page:${part(page)}`,
  rateLimitUserMinute: (userId: string) => `rate-limit:user:${part(userId)}:minute`,
  rateLimitIpHour: (ip: string) => `rate-limit:ip:${ipPart(ip)}:hour`,
  apiResponse: (endpointHash: string, paramsHash: string) => `api:response:${part(endpointHash)}:${part(paramsHash)}`,

  // Gateway bookkeeping, not in the seed (documented in apps/api-gateway/README.md).
  /** Stricter login throttle per client IP. */
  rateLimitLoginIpMinute: (ip: string) => `rate-limit:login:${ipPart(ip)}:minute`,
  // user-service's own throttle on `user.authenticate` (the RPC port is not behind the gateway's HTTP limits).
  /** Attempts per account (the email, case-folded and hashed: no address in key names). */
  rateLimitAuthenticateEmailMinute: (email: string) =>
    `rate-limit:authenticate:email:${part(hashOf(email.trim().toLowerCase()))}:minute`,
  /** Attempts per RPC peer (the TCP connection's remote address, which a caller cannot choose). */
  rateLimitAuthenticateSourceMinute: (address: string) => `rate-limit:authenticate:source:${ipPart(address)}:minute`,
  idempotency: (scope: string, key: string) => `idempotency:${part(scope)}:${part(hashOf(key))}`,
  /** Set of the list/search keys cached for one user, so a write invalidates them without KEYS/SCAN. */
  userIndex: (userId: string) => `cache:index:user:${part(userId)}`,
  /** Set of the user ids whose cached lists/searches contain one task. */
  taskViewers: (taskId: string) => `cache:index:task:${part(taskId)}`,
  /** Set of list/search keys of users who see every task (admins, auditors). */
  globalIndex: () => 'cache:index:global',
  /** Set of the `api:response:{endpointHash}:*` keys of one endpoint, so a write drops them without KEYS/SCAN. */
  endpointIndex: (endpointHash: string) => `cache:index:endpoint:${part(endpointHash)}`,
} as const;

/** Short stable hash (hex) of any JSON-serialisable value, with object keys sorted. */
export function hashOf(value: unknown): string {
  return createHash('sha256').update(stableJson(value)).digest('hex').slice(0, 32);
}

export function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${stableJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
