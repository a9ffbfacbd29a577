import { CacheKeys, CacheTtl, hashOf, stableJson } from './keys';

/** The seed's patterns (seed 001, "Cache Keys Structure"), turned into regexes: `{x}` = one key part. */
const SEED = {
  userProfile: ['user:profile:{userId}', 300],
  userPermissions: ['user:permissions:{userId}', 600],
  session: ['session:{sessionId}', 3600],
  task: ['task:{taskId}', 180],
  taskList: ['task:list:user:{userId}:status:{status}:page:{page}', 60],
  taskStats: ['task:stats:{userId}', 300],
  taskSearch: ['task:search:{queryHash}:page:{page}', 120],
  rateLimitUserMinute: ['rate-limit:user:{userId}:minute', 60],
  rateLimitIpHour: ['rate-limit:ip:{ipAddress}:hour', 3600],
  apiResponse: ['api:response:{endpointHash}:{paramsHash}', 300],
} as const;

const asRegex = (pattern: string) => new RegExp(`^${pattern.replace(/\{\w+\}/g, '[^:\\s]+')}$`);
const id = '123e4567-e89b-12d3-a456-426614174000';

describe('CacheKeys', () => {
  const built: Record<keyof typeof SEED, string> = {
    userProfile: CacheKeys.userProfile(id),
    userPermissions: CacheKeys.userPermissions(id),
    session: CacheKeys.session(id),
    task: CacheKeys.task(id),
    taskList: CacheKeys.taskList(id, 'in_progress', 1),
    taskStats: CacheKeys.taskStats(id),
    taskSearch: CacheKeys.taskSearch(hashOf({ q: 'x' }), 2),
    rateLimitUserMinute: CacheKeys.rateLimitUserMinute(id),
    rateLimitIpHour: CacheKeys.rateLimitIpHour('192.168.1.1'),
    apiResponse: CacheKeys.apiResponse('abc', 'def'),
  };

  it.each(Object.keys(SEED) as (keyof typeof SEED)[])(
    'should build %s in the seed pattern with the seed TTL',
    (name) => {
      const [pattern, ttl] = SEED[name];
      expect(built[name]).toMatch(asRegex(pattern));
      expect(CacheTtl[name]).toBe(ttl);
    },
  );

  it('should build the exact seed examples', () => {
    expect(CacheKeys.userProfile(id)).toBe(`user:profile:${id}`);
    expect(CacheKeys.session(id)).toBe(`session:${id}`);
    expect(CacheKeys.taskList(id, 'todo', 1)).toBe(`task:list:user:${id}:status:todo:page:1`);
    expect(CacheKeys.rateLimitIpHour('192.168.1.1')).toBe('rate-limit:ip:192.168.1.1:hour');
  });

  it('should keep an IPv6 address inside one key part', () => {
    expect(CacheKeys.rateLimitIpHour('::1')).toBe('rate-limit:ip:__1:hour');
  });

  it('should refuse parts that would change the key shape', () => {
    expect(() => CacheKeys.task('a:b')).toThrow();
    expect(() => CacheKeys.task('*')).toThrow();
    expect(() => CacheKeys.session('')).toThrow();
    expect(() => CacheKeys.userProfile('a b')).toThrow();
  });
});

describe('hashOf', () => {
  it('should not depend on object key order', () => {
    expect(hashOf({ a: 1, b: [1, { c: 2, d: 3 }] })).toBe(hashOf({ b: [1, { d: 3, c: 2 }], a: 1 }));
    expect(stableJson({ b: 1, a: undefined })).toBe('{"b":1}');
  });

  it('should differ for different values', () => {
    expect(hashOf({ q: 'a' })).not.toBe(hashOf({ q: 'b' }));
  });
});
