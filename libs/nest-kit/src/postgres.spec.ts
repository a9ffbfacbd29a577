import { postgresConnectionOptions, PostgresSettings, SlowQueryLogger } from './postgres';

const base: PostgresSettings = {
  url: 'postgres://app:secret@db:5432/taskflow',
  readUrls: [],
  poolMax: 20,
  idleTimeoutMs: 30_000,
  connectTimeoutMs: 2_000,
  statementTimeoutMs: 10_000,
  slowQueryMs: 200,
  tls: { enabled: false, caFile: '', rejectUnauthorized: true },
};
const logger = { warn: jest.fn() } as never;

describe('postgresConnectionOptions', () => {
  it('should map the pool numbers, the statement timeout and the application name', () => {
    expect(postgresConnectionOptions(base, { applicationName: 'svc' })).toMatchObject({
      type: 'postgres',
      url: base.url,
      ssl: false,
      logging: false,
      extra: {
        max: 20,
        idleTimeoutMillis: 30_000,
        connectionTimeoutMillis: 2_000,
        statement_timeout: 10_000,
        application_name: 'svc',
      },
    });
  });

  it('should log slow queries through pino only with a logger and a threshold above 0', () => {
    const options = postgresConnectionOptions(base, { applicationName: 'svc', logger });
    expect(options.maxQueryExecutionTime).toBe(200);
    expect(options.logger).toBeInstanceOf(SlowQueryLogger);
    expect(
      postgresConnectionOptions({ ...base, slowQueryMs: 0 }, { applicationName: 'svc', logger }).logger,
    ).toBeUndefined();
    expect(postgresConnectionOptions(base, { applicationName: 'svc' }).logger).toBeUndefined();
  });

  it('should put ssl on the primary and on every replica', () => {
    const options = postgresConnectionOptions(
      { ...base, readUrls: ['postgres://r1/taskflow'], tls: { enabled: true, caFile: '', rejectUnauthorized: true } },
      { applicationName: 'svc' },
    );
    expect(options.replication).toEqual({
      master: { url: base.url, ssl: { rejectUnauthorized: true } },
      slaves: [{ url: 'postgres://r1/taskflow', ssl: { rejectUnauthorized: true } }],
    });
  });
});
