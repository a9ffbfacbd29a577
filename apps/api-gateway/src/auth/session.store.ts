import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, CacheTtl, Session } from '@taskflow/cache';
import { UserRole } from '@taskflow/contracts';
import type { Redis } from 'ioredis';
import { createHash, randomBytes } from 'node:crypto';
import { REDIS } from '../infrastructure/redis.module';

/** How many rotated-away refresh secrets a session remembers for reuse detection (one per refresh). */
export const USED_REFRESH_HASHES_KEPT = 20;

/**
 * Atomic refresh claim (KEYS[1] = session key, ARGV[1] = hash of the presented secret, ARGV[2] = how many used
 * hashes to keep). Returns the session JSON with the hash moved to the used list when it is the current one;
 * 'replay' (and deletes the session) when it is a used one; nil otherwise — a guess has no side effect.
 * Atomic so that two concurrent refreshes with one token cannot both succeed.
 */
const CLAIM_REFRESH_LUA = `
local raw = redis.call('GET', KEYS[1])
if not raw then return nil end
local session = cjson.decode(raw)
local used = session.usedRefreshHashes or {}
if session.refreshHash == ARGV[1] then
  table.insert(used, 1, ARGV[1])
  while #used > tonumber(ARGV[2]) do table.remove(used) end
  session.usedRefreshHashes = used
  session.refreshHash = ''
  local ttl = redis.call('PTTL', KEYS[1])
  local encoded = cjson.encode(session)
  if ttl > 0 then redis.call('SET', KEYS[1], encoded, 'PX', ttl) else redis.call('SET', KEYS[1], encoded) end
  return encoded
end
for _, h in ipairs(used) do
  if h == ARGV[1] then
    redis.call('DEL', KEYS[1])
    return 'replay'
  end
end
return nil
`;

export class SessionStoreUnavailable extends Error {}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Server-side sessions in Redis: a token is only as alive as its session (logout = DEL). */
@Injectable()
export class SessionStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  get available(): boolean {
    return this.redis.status === 'ready';
  }

  /**
   * Starts (or, on refresh, rotates) a session; returns the new refresh token `{sessionId}.{secret}`, or undefined
   * when rotating a session that ended meanwhile (a concurrent replay ended it: it must stay ended).
   */
  async save(
    sessionId: string,
    userId: string,
    role: UserRole,
    createdAt = new Date(),
    usedRefreshHashes?: string[],
  ): Promise<string | undefined> {
    const secret = randomBytes(32).toString('base64url');
    const session: Session = {
      userId,
      role,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(Date.now() + CacheTtl.session * 1000).toISOString(),
      refreshHash: hash(secret),
      usedRefreshHashes: usedRefreshHashes ?? [],
    };
    const key = CacheKeys.session(sessionId);
    const value = JSON.stringify(session);
    const written = await this.call(() =>
      usedRefreshHashes
        ? this.redis.set(key, value, 'EX', CacheTtl.session, 'XX')
        : this.redis.set(key, value, 'EX', CacheTtl.session),
    );
    return written ? `${sessionId}.${secret}` : undefined;
  }

  async find(sessionId: string): Promise<Session | undefined> {
    const raw = await this.call(() => this.redis.get(CacheKeys.session(sessionId)));
    return raw ? (JSON.parse(raw) as Session) : undefined;
  }

  async end(sessionId: string): Promise<void> {
    await this.call(() => this.redis.del(CacheKeys.session(sessionId)));
  }

  /**
   * Claims a refresh token `{sessionId}.{secret}`: the session it belongs to when the secret is the current one
   * (which is consumed: the caller must {@link save} a new one). A secret that was issued and already rotated away
   * is a replay (stolen token): the session is ended. Anything else — a guessed secret for a known session id —
   * is refused with no side effect (session ids are visible to auditors in `metadata.sessionId`).
   * Comparing SHA-256 digests inside Redis leaks no timing about the secret itself.
   */
  async claimRefresh(refreshToken: string): Promise<{ sessionId: string; session: Session } | undefined> {
    const [sessionId, secret] = refreshToken.split('.');
    if (!sessionId || !secret || !/^[0-9a-f-]{36}$/.test(sessionId)) return undefined;
    const claimed = await this.call(
      () =>
        this.redis.eval(
          CLAIM_REFRESH_LUA,
          1,
          CacheKeys.session(sessionId),
          hash(secret),
          USED_REFRESH_HASHES_KEPT,
        ) as Promise<string | null>,
    );
    if (!claimed || claimed === 'replay') return undefined;
    return { sessionId, session: JSON.parse(claimed) as Session };
  }

  private async call<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.available) throw new SessionStoreUnavailable('session store unavailable');
    try {
      return await fn();
    } catch (error) {
      throw new SessionStoreUnavailable((error as Error).message);
    }
  }
}
