import { ConfigError, env, loadConfig } from './env';

describe('loadConfig', () => {
  const spec = {
    port: env.int('PORT', 3000, { min: 1, max: 65535 }),
    db: { url: env.url('DATABASE_URL', ['postgres', 'postgresql'], 'postgres://127.0.0.1/taskflow') },
    brokers: env.hostPorts('KAFKA_BROKERS', ['127.0.0.1:9092']),
    debug: env.bool('DEBUG', false),
  };

  it('should apply defaults when variables are unset', () => {
    expect(loadConfig(spec, {})).toEqual({
      port: 3000,
      db: { url: 'postgres://127.0.0.1/taskflow' },
      brokers: ['127.0.0.1:9092'],
      debug: false,
    });
  });

  it('should parse provided values', () => {
    const config = loadConfig(spec, { PORT: '8080', KAFKA_BROKERS: 'a:1, b:2', DEBUG: 'true' });
    expect(config.port).toBe(8080);
    expect(config.brokers).toEqual(['a:1', 'b:2']);
    expect(config.debug).toBe(true);
  });

  it('should name every bad variable and the problem in one error', () => {
    const attempt = () => loadConfig(spec, { PORT: 'abc', DATABASE_URL: 'mysql://x', KAFKA_BROKERS: 'nohostport' });
    expect(attempt).toThrow(ConfigError);
    try {
      attempt();
    } catch (error) {
      const problems = (error as ConfigError).problems;
      expect(problems).toHaveLength(3);
      expect(problems[0]).toMatch(/^PORT: must be an integer/);
      expect(problems[1]).toMatch(/^DATABASE_URL: must use postgres or postgresql:\/\//);
      expect(problems[2]).toMatch(/^KAFKA_BROKERS: "nohostport" is not host:port/);
    }
  });

  it('should report a missing required variable', () => {
    expect(() => loadConfig({ secret: env.string('JWT_SECRET') }, {})).toThrow(/JWT_SECRET: is required but not set/);
  });
});
