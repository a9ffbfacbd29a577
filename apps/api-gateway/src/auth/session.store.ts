import { Inject, Injectable } from '@nestjs/common';
import { CacheKeys, CacheTtl } from '@taskflow/cache';
import { UserRole } from '@taskflow/contracts';
import type { Redis } from 'ioredis';
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import { REDIS } from '../infrastructure/redis.module';

/** The seed's `session:{sessionId}` value, plus the hash of the current refresh token. */
export interface Session {
  userId: string;
  role: UserRole;
  createdAt: string;
  expiresAt: string;
  refreshHash: string;
}

export class SessionStoreUnavailable extends Error {}

const hash = (secret: string) => createHash('sha256').update(secret).digest('hex');

/** Server-side sessions in Redis: a token is only as alive as its session (logout = DEL). */
@Injectable()
export class SessionStore {
  constructor(@Inject(REDIS) private readonly redis: Redis) {}

  get available(): boolean {
    return this.redis.status === 'ready';
  }

  /** Starts (or, on refresh, rotates) a session; returns the new refresh token `{sessionId}.{secret}`. */
  async save(sessionId: string, userId: string, role: UserRole, createdAt = new Date()): Promise<string> {
    const secret = randomBytes(32).toString('base64url');
    const session: Session = {
      userId,
      role,
      createdAt: createdAt.toISOString(),
      expiresAt: new Date(Date.now() + CacheTtl.session * 1000).toISOString(),
      refreshHash: hash(secret),
    };
    await this.call(() =>
      this.redis.set(CacheKeys.session(sessionId), JSON.stringify(session), 'EX', CacheTtl.session),
    );
    return `${sessionId}.${secret}`;
  }

  async find(sessionId: string): Promise<Session | undefined> {
    const raw = await this.call(() => this.redis.get(CacheKeys.session(sessionId)));
    return raw ? (JSON.parse(raw) as Session) : undefined;
  }

  async end(sessionId: string): Promise<void> {
    await this.call(() => this.redis.del(CacheKeys.session(sessionId)));
  }

  /**
   * The session a refresh token belongs to when the token is its current one. A token that was
   * already rotated away is a replay (stolen token): the session is ended.
   */
  async claimRefresh(refreshToken: string): Promise<{ sessionId: string; session: Session } | undefined> {
    const [sessionId, secret] = refreshToken.split('.');
    if (!sessionId || !secret || !/^[0-9a-f-]{36}$/.test(sessionId)) return undefined;
    const session = await this.find(sessionId);
    if (!session) return undefined;
    const expected = Buffer.from(session.refreshHash, 'hex');
    const actual = Buffer.from(hash(secret), 'hex');
    if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) {
      await this.end(sessionId);
      return undefined;
    }
    return { sessionId, session };
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
