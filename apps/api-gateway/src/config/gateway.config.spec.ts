import { loadGatewayConfig } from './gateway.config';

const JWT_SECRET = 'x'.repeat(40);

describe('gateway config profiles', () => {
  it('should serve /docs and log at debug in development', () => {
    const config = loadGatewayConfig({ JWT_SECRET });
    expect(config).toMatchObject({ profile: 'development', logLevel: 'debug', http: { docs: true } });
    expect(config.redis.tls.enabled).toBe(false);
  });

  it('should hide /docs, require REDIS_URL and turn Redis TLS on in production', () => {
    expect(() => loadGatewayConfig({ APP_ENV: 'production', JWT_SECRET })).toThrow(
      /REDIS_URL: is required in production/,
    );
    const config = loadGatewayConfig({ APP_ENV: 'production', JWT_SECRET, REDIS_URL: 'rediss://cache.internal:6380' });
    expect(config).toMatchObject({ profile: 'production', logLevel: 'info', http: { docs: false } });
    expect(config.redis.tls).toEqual({ enabled: true, caFile: '', rejectUnauthorized: true });
    expect(() =>
      loadGatewayConfig({ APP_ENV: 'production', JWT_SECRET, REDIS_URL: 'redis://cache:6379', REDIS_TLS: 'false' }),
    ).toThrow(/REDIS_TLS: must be true in production/);
  });
});
