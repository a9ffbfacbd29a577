import { EventEnvelope } from '@taskflow/contracts';
import { outboxTableSql } from '@taskflow/outbox';
import { createScratchDatabase, ScratchDatabase } from '@taskflow/testing';
import { Db, MongoClient } from 'mongodb';
import { spawnSync } from 'node:child_process';
import { Client } from 'pg';
import { toEventLog } from '../src/audit/application/to-event-log';
import { checkCompleteness, OutboxSource } from '../src/completeness/completeness-check';
import { testConfig, MONGO_BASE, openDb, sampleEvent, uniqueName } from './support';

jest.setTimeout(120_000);

const MINUTE = 60_000;
const ROOT = `${__dirname}/../../..`;

/**
 * The completeness check against real PostgreSQL outbox tables (one database per service, as deployed) and the
 * MongoDB-protocol server: a complete window reports nothing, a record removed from event_logs is a gap, and so
 * are an old unpublished outbox row and a stored event no outbox produced. The CLI is run as the operator does.
 */
describe('completeness check (real PostgreSQL + MongoDB protocol server)', () => {
  const dbName = uniqueName('audit_int_complete').replace(/-/g, '_');
  const mongoUrl = `${MONGO_BASE}/${dbName}`;
  const retention = testConfig({}).retention;
  const databases: Record<'user' | 'task', ScratchDatabase> = {} as never;
  const pg: Record<'user' | 'task', Client> = {} as never;
  let mongo: { client: MongoClient; db: Db };
  const now = Date.now();
  const since = new Date(now - 60 * MINUTE);
  // sampleEvent cycles task, user, user, system: 8 events = 2 task + 4 user (+ 2 system, which no outbox holds).
  const events = Array.from({ length: 8 }, (_, i) => sampleEvent(i, { occurredAt: new Date(now - (30 - i) * MINUTE) }));
  const outboxed = events.filter((e) => e.entityType !== 'system');

  const sources = (): OutboxSource[] =>
    (['user', 'task'] as const).map((entityType) => ({
      name: `${entityType}-service`,
      table: `${entityType}_outbox`,
      entityType,
      query: async (sql, params) => (await pg[entityType].query(sql, params)).rows,
    }));
  const check = () =>
    checkCompleteness(sources(), mongo.db, { since, until: new Date(now) }, 5 * MINUTE, new Date(now));
  const appendRow = (envelope: EventEnvelope, createdAt: Date, sentAt: Date | null) =>
    pg[envelope.entityType as 'user' | 'task'].query(
      `INSERT INTO "${envelope.entityType}_outbox" (topic, message_key, event_id, event_type, payload, created_at, sent_at)
       VALUES ('t', $1, $2, $3, $4, $5, $6)`,
      [envelope.entityId, envelope.eventId, envelope.type, JSON.stringify(envelope), createdAt, sentAt],
    );
  const runCli = (args: string[]) => {
    const result = spawnSync('node', ['-r', '@swc-node/register', 'apps/audit-service/src/completeness.ts', ...args], {
      cwd: ROOT,
      encoding: 'utf8',
      timeout: 60_000,
      env: {
        PATH: process.env.PATH,
        MONGO_URL: mongoUrl,
        USER_OUTBOX_DATABASE_URL: databases.user.url,
        TASK_OUTBOX_DATABASE_URL: databases.task.url,
        COMPLETENESS_GRACE_MS: String(5 * MINUTE),
      },
    });
    return {
      code: result.status,
      report: result.stdout ? JSON.parse(result.stdout) : undefined,
      stderr: result.stderr,
    };
  };

  beforeAll(async () => {
    for (const entityType of ['user', 'task'] as const) {
      databases[entityType] = await createScratchDatabase(`audit_completeness_${entityType}`);
      pg[entityType] = new Client({ connectionString: databases[entityType].url });
      await pg[entityType].connect();
      for (const statement of outboxTableSql(`${entityType}_outbox`).up) await pg[entityType].query(statement);
    }
    mongo = await openDb(mongoUrl);
    // A row older than the window and sent: the outbox still holds the whole window (nothing pruned).
    await appendRow(sampleEvent(1), new Date(now - 2 * 60 * MINUTE), new Date(now - 2 * 60 * MINUTE));
    await appendRow(sampleEvent(0), new Date(now - 2 * 60 * MINUTE), new Date(now - 2 * 60 * MINUTE));
    for (const e of outboxed) {
      const created = new Date(e.occurredAt);
      await appendRow(e, created, new Date(created.getTime() + 200));
    }
    await mongo.db.collection('event_logs').insertMany(events.map((e) => toEventLog(e, retention)));
  });

  afterAll(async () => {
    for (const client of Object.values(pg)) await client.end().catch(() => undefined);
    for (const database of Object.values(databases)) await database.drop().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
  });

  it('should report a complete window as complete, from the function and from the CLI (exit 0)', async () => {
    const report = await check();
    expect(report.complete).toBe(true);
    const [user, task] = report.sources;
    expect(user).toMatchObject({
      outboxRows: 4,
      stored: 4,
      inFlight: 0,
      missingInStore: [],
      unpublished: [],
      unknownToOutbox: [],
    });
    expect(task).toMatchObject({ outboxRows: 2, stored: 2, missingInStore: [], unpublished: [], unknownToOutbox: [] });

    const cli = runCli(['--since', since.toISOString(), '--until', new Date(now).toISOString()]);
    expect(cli.stderr).toContain('complete');
    expect(cli.code).toBe(0);
    expect(cli.report.complete).toBe(true);
  });

  it('should name a removed audit record, an old unpublished row and a stored event unknown to the outbox', async () => {
    const removed = outboxed.find((e) => e.entityType === 'task')!;
    await mongo.db.collection('event_logs').deleteOne({ eventId: removed.eventId });
    const stuck = sampleEvent(2); // user.registered the relay never sent
    await appendRow(stuck, new Date(now - 20 * MINUTE), null);
    const fresh = sampleEvent(0); // just written, not yet sent: in flight, not a gap
    await appendRow(fresh, new Date(now - MINUTE), null);
    const injected = sampleEvent(1, { occurredAt: new Date(now - 10 * MINUTE) }); // in the store, no outbox row
    await mongo.db.collection('event_logs').insertOne(toEventLog(injected, retention));

    const report = await check();
    expect(report.complete).toBe(false);
    const [user, task] = report.sources;
    expect(task.missingInStore).toEqual([
      expect.objectContaining({ eventId: removed.eventId, type: removed.type, sentAt: expect.any(String) }),
    ]);
    expect(task.inFlight).toBe(1);
    expect(task.unknownToOutbox).toEqual([]);
    expect(user.unpublished).toEqual([expect.objectContaining({ eventId: stuck.eventId, sentAt: null })]);
    expect(user.missingInStore).toEqual([]);
    expect(user.unknownToOutbox).toEqual([expect.objectContaining({ eventId: injected.eventId, type: injected.type })]);
    expect(user.gapCounts).toEqual({ missingInStore: 0, unpublished: 1, unknownToOutbox: 1 });

    const cli = runCli(['--since', '90m']);
    expect(cli.code).toBe(2);
    expect(cli.stderr).toContain('GAPS FOUND');
    expect(cli.report.sources[1].missingInStore.map((g: { eventId: string }) => g.eventId)).toEqual([removed.eventId]);
  });

  it('should not claim events unknown to an outbox that may have pruned the window, and refuse bad arguments', async () => {
    const old = new Date(now - 5 * 60 * MINUTE);
    const report = await checkCompleteness(
      sources(),
      mongo.db,
      { since: old, until: new Date(now) },
      5 * MINUTE,
      new Date(now),
    );
    expect(report.sources[0].unknownToOutbox).toBeNull();
    expect(report.sources[0].warning).toMatch(/pruned/);

    const bad = runCli(['--since', 'yesterday']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toContain('usage');
  });
});
