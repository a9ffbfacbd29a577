import { Writable } from 'node:stream';
import { DataSource } from 'typeorm';
import { createLogger } from './logger';
import { postgresConnectionOptions, PostgresSettings } from './postgres';
import { runWithContext } from './request-context';

/** Slow-query logging against the real PostgreSQL: a pg_sleep above the threshold becomes one pino warning. */
describe('slow-query log (real PostgreSQL)', () => {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(chunk.toString()));
      done();
    },
  });
  const settings = (slowQueryMs: number): PostgresSettings => ({
    url: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/taskflow',
    readUrls: [],
    poolMax: 2,
    idleTimeoutMs: 1000,
    connectTimeoutMs: 5000,
    statementTimeoutMs: 0,
    slowQueryMs,
    tls: { enabled: false, caFile: '', rejectUnauthorized: true },
  });
  const open = (slowQueryMs: number) =>
    new DataSource(
      postgresConnectionOptions(settings(slowQueryMs), {
        applicationName: 'slow-query-test',
        logger: createLogger('slow-query-test', 'info', sink),
      }),
    ).initialize();

  beforeEach(() => (lines.length = 0));

  it('should warn with the SQL, the duration and the correlation id, never the parameters', async () => {
    const dataSource = await open(1);
    try {
      await runWithContext({ correlationId: 'corr-slow-1' }, () =>
        dataSource.query('SELECT pg_sleep(0.05), $1::text AS secret', ['hunter2-password']),
      );
    } finally {
      await dataSource.destroy();
    }
    // With a 1 ms threshold TypeORM's own start-up queries may be logged too.
    const slow = lines.filter((line) => line.msg === 'slow query' && String(line.sql).includes('pg_sleep'));
    expect(slow).toHaveLength(1);
    expect(slow[0]).toMatchObject({
      level: 40,
      sql: 'SELECT pg_sleep(0.05), $1::text AS secret',
      correlationId: 'corr-slow-1',
    });
    expect(slow[0].durationMs).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('should stay quiet below the threshold and when it is 0 (off)', async () => {
    for (const threshold of [60_000, 0]) {
      const dataSource = await open(threshold);
      try {
        await dataSource.query('SELECT pg_sleep(0.02)');
      } finally {
        await dataSource.destroy();
      }
    }
    expect(lines.filter((line) => line.msg === 'slow query')).toEqual([]);
  });
});
