import { loadTaskServiceConfig } from '../config/task-service.config';
import { dataSourceOptions } from './data-source';

describe('dataSourceOptions', () => {
  it('should take the pool numbers of seed 001 by default in staging and production', () => {
    const url = 'postgres://app@db:5432/taskflow';
    const options = dataSourceOptions(loadTaskServiceConfig({ APP_ENV: 'staging', DATABASE_URL: url }).db);
    expect(options).toMatchObject({
      url,
      migrationsTableName: 'task_migrations',
      synchronize: false,
      extra: { max: 20, idleTimeoutMillis: 30_000, connectionTimeoutMillis: 2_000, statement_timeout: 10_000 },
    });
  });

  it('should route reads to replicas when DATABASE_READ_URLS is set', () => {
    const db = loadTaskServiceConfig({
      DATABASE_URL: 'postgres://app@primary:5432/taskflow',
      DATABASE_READ_URLS: 'postgres://app@replica1:5432/taskflow, postgres://app@replica2:5432/taskflow',
    }).db;
    expect(dataSourceOptions(db)).toMatchObject({
      replication: {
        master: { url: 'postgres://app@primary:5432/taskflow' },
        slaves: [{ url: 'postgres://app@replica1:5432/taskflow' }, { url: 'postgres://app@replica2:5432/taskflow' }],
      },
    });
  });

  it('should fail fast on a bad variable, naming it', () => {
    expect(() => loadTaskServiceConfig({ DATABASE_URL: 'mysql://x', DB_POOL_MAX: '0' })).toThrow(
      /DATABASE_URL: must use postgres:\/\/ or postgresql:\/\/[\s\S]*DB_POOL_MAX: must be >= 1/,
    );
  });
});
