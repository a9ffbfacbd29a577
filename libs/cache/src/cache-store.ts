import type { Redis } from 'ioredis';
import { CacheKeys } from './keys';
import { SingleFlight } from './single-flight';

/** RFC 9211 vocabulary: `hit`, `miss` (stored now) and `bypass` (Redis unusable, served from the source). */
export type CacheResult = 'hit' | 'miss' | 'bypass';

export interface CacheObserver {
  onResult?(result: CacheResult | 'error'): void;
  onEvictions?(count: number): void;
  onUnavailable?(error: Error): void;
}

/** Where a cached view is registered, so a write can find and drop it. */
export type CacheIndex =
  | {
      /** The user whose task view this is; `global` for views that contain every task (admins, auditors). */
      owner: string | 'global';
      /** Ids of the tasks in the cached page. */
      taskIds?: string[];
    }
  | {
      /** A cached `api:response` of this endpoint (see `invalidateEndpoint`). */
      endpoint: string;
    };

const UNAVAILABLE = Symbol('unavailable');

/**
 * JSON read-through cache on Redis that never fails a request: every Redis error turns into a
 * bypass (the caller goes to the source), and the client reconnects on its own.
 */
export class CacheStore {
  private readonly flights = new SingleFlight();

  constructor(
    readonly redis: Redis,
    private readonly observer: CacheObserver = {},
    /** `false` turns read-through off (a kill switch, and the "uncached" side of benchmarks); invalidation still runs. */
    private readonly readsEnabled = true,
  ) {}

  /** True while the connection is up; lets callers skip Redis without paying even a failed round trip. */
  get connected(): boolean {
    return this.redis.status === 'ready';
  }

  async get<T>(key: string): Promise<T | undefined | typeof UNAVAILABLE> {
    if (!this.connected) return UNAVAILABLE;
    try {
      return parse<T>(await this.redis.get(key));
    } catch (error) {
      this.failed(error);
      return UNAVAILABLE;
    }
  }

  /** `onlyIfAbsent`: SET NX, so a slow read-through never overwrites what a writer stored meanwhile. */
  async set(key: string, value: unknown, ttlSeconds: number, index?: CacheIndex, onlyIfAbsent = false): Promise<void> {
    if (!this.connected) return;
    try {
      const json = JSON.stringify(value);
      const multi = onlyIfAbsent
        ? this.redis.multi().set(key, json, 'EX', ttlSeconds, 'NX')
        : this.redis.multi().set(key, json, 'EX', ttlSeconds);
      if (index) this.addToIndex(multi, key, ttlSeconds, index);
      await multi.exec();
    } catch (error) {
      this.failed(error);
    }
  }

  /**
   * Cached value of `key`, else `load()` stored under `key`. Concurrent misses of one key in this
   * process share one `load()`. `accept` lets the caller refuse a cached value (e.g. not visible to
   * this requester) and fall through to the source instead. `prefetched` is the raw value of `key`
   * when the caller already read it in this request (null: absent), which saves the round trip.
   * `onlyIfAbsent` stores the loaded value with SET NX (for keys that writers set themselves).
   */
  async readThrough<T>(
    key: string,
    ttlSeconds: number,
    load: () => Promise<T>,
    options: {
      index?: (value: T) => CacheIndex | undefined;
      accept?: (value: T) => boolean;
      prefetched?: string | null;
      onlyIfAbsent?: boolean;
    } = {},
  ): Promise<{ value: T; cache: CacheResult }> {
    const cached = !this.readsEnabled
      ? UNAVAILABLE
      : options.prefetched !== undefined
        ? this.parsePrefetched<T>(options.prefetched)
        : await this.get<T>(key);
    if (cached !== UNAVAILABLE && cached !== undefined && (options.accept?.(cached) ?? true)) {
      this.observer.onResult?.('hit');
      return { value: cached, cache: 'hit' };
    }
    if (cached === UNAVAILABLE) {
      this.observer.onResult?.('bypass');
      return { value: await load(), cache: 'bypass' };
    }
    this.observer.onResult?.('miss');
    const value = await this.flights.run(key, async () => {
      const loaded = await load();
      await this.set(key, loaded, ttlSeconds, options.index?.(loaded), options.onlyIfAbsent);
      return loaded;
    });
    // A joined flight may have loaded with another requester's rights: check it like a cached value.
    if (options.accept && !options.accept(value)) return { value: await load(), cache: 'miss' };
    return { value, cache: 'miss' };
  }

  /**
   * Drops a task and every cached list/search/stats view that may show it: the views of the listed
   * users, of users whose cached pages contained it, and the global (admin) views. Cost grows with
   * the number of affected keys, not with the size of the keyspace (no KEYS, no SCAN).
   */
  async invalidateTask(taskId: string, userIds: (string | null | undefined)[]): Promise<number> {
    if (!this.connected) return 0;
    try {
      const viewers = await this.redis.smembers(CacheKeys.taskViewers(taskId));
      const users = [...new Set([...userIds.filter((id): id is string => !!id), ...viewers])];
      const indexes = [...users.map((id) => CacheKeys.userIndex(id)), CacheKeys.globalIndex()];
      const read = this.redis.pipeline();
      for (const index of indexes) read.smembers(index);
      const members = (await read.exec())?.flatMap(([, keys]) => (keys as string[]) ?? []) ?? [];
      const keys = [
        CacheKeys.task(taskId),
        ...users.map((id) => CacheKeys.taskStats(id)),
        ...members,
        ...indexes,
        CacheKeys.taskViewers(taskId),
      ];
      const deleted = await this.redis.unlink(...keys);
      this.observer.onEvictions?.(deleted);
      return deleted;
    } catch (error) {
      this.failed(error);
      return 0;
    }
  }

  /** Drops the cached data of one user (profile change, role change). */
  async invalidateUser(userId: string): Promise<void> {
    if (!this.connected) return;
    try {
      const deleted = await this.redis.unlink(CacheKeys.userProfile(userId), CacheKeys.userPermissions(userId));
      this.observer.onEvictions?.(deleted);
    } catch (error) {
      this.failed(error);
    }
  }

  /** Drops every cached `api:response` of one endpoint (through its index set: no KEYS, no SCAN). */
  async invalidateEndpoint(endpointHash: string): Promise<number> {
    if (!this.connected) return 0;
    try {
      const index = CacheKeys.endpointIndex(endpointHash);
      const keys = await this.redis.smembers(index);
      const deleted = await this.redis.unlink(...keys, index);
      this.observer.onEvictions?.(deleted);
      return deleted;
    } catch (error) {
      this.failed(error);
      return 0;
    }
  }

  private addToIndex(multi: ReturnType<Redis['multi']>, key: string, ttlSeconds: number, index: CacheIndex): void {
    // An index outlives its members by a little, so it never forgets a live key.
    if ('endpoint' in index) {
      const indexKey = CacheKeys.endpointIndex(index.endpoint);
      multi.sadd(indexKey, key).expire(indexKey, ttlSeconds + 60);
      return;
    }
    const indexKey = index.owner === 'global' ? CacheKeys.globalIndex() : CacheKeys.userIndex(index.owner);
    multi.sadd(indexKey, key).expire(indexKey, ttlSeconds + 60);
    if (index.owner === 'global') return;
    for (const taskId of index.taskIds ?? []) {
      const viewersKey = CacheKeys.taskViewers(taskId);
      multi.sadd(viewersKey, index.owner).expire(viewersKey, ttlSeconds + 60);
    }
  }

  /** Like `get`: a value that is not JSON counts as Redis being unusable (bypass), never as a failed request. */
  private parsePrefetched<T>(raw: string | null): T | undefined | typeof UNAVAILABLE {
    try {
      return parse<T>(raw);
    } catch (error) {
      this.failed(error);
      return UNAVAILABLE;
    }
  }

  private failed(error: unknown): void {
    this.observer.onResult?.('error');
    this.observer.onUnavailable?.(error as Error);
  }
}

function parse<T>(raw: string | null): T | undefined {
  return raw === null ? undefined : (JSON.parse(raw) as T);
}

export function isUnavailable(value: unknown): value is typeof UNAVAILABLE {
  return value === UNAVAILABLE;
}
