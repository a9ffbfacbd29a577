import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEnvelope, TaskSnapshotV1, Topics, Events } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';
import { toEventLog } from '../src/audit/application/to-event-log';
import { chainOf } from '../src/audit/domain/record-chain';
import { EventLogRepository } from '../src/audit/infrastructure/persistence/event-log.repository';
import { AuditConfig } from '../src/config/audit.config';
import { KafkaFixture, MONGO_BASE, openDb, startApp, testConfig, testTopic, token, uniqueName } from './support';

jest.setTimeout(60_000);

const MINUTE = 60_000;

describe('as-of reads and field timeline (MongoDB protocol server)', () => {
  const dbName = uniqueName('audit_int_history').replace(/-/g, '_');
  const mongoUrl = `${MONGO_BASE}/${dbName}`;
  const kafka = new KafkaFixture();
  // Every read is recorded as audit.read on this topic (fail closed: it must exist).
  const auditTopic = testTopic('audit-int-history', 'audit');
  const taskId = randomUUID();
  const [alice, bob] = [randomUUID(), randomUUID()];
  const t0 = new Date(Date.now() - 60 * MINUTE);
  const at = (minutes: number) => new Date(t0.getTime() + minutes * MINUTE);
  let config: AuditConfig;
  let app: NestFastifyApplication;

  const get = (url: string, role: 'user' | 'auditor' = 'auditor') =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url, headers: { authorization: `Bearer ${token(role)}` } });

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([auditTopic], 1);
    config = testConfig({ MONGO_URL: mongoUrl, AUDIT_INGEST_ENABLED: 'false', AUDIT_EVENTS_TOPIC: auditTopic });
    app = await startApp(config);
    const snapshot: TaskSnapshotV1 = {
      id: taskId,
      title: 'Quarterly report',
      description: 'café ☕',
      status: 'todo',
      priority: 'high',
      assigneeId: null,
      creatorId: alice,
      dueDate: '2026-12-31T00:00:00.000Z',
      completedAt: null,
      deletedAt: null,
      version: 1,
    };
    const events = [
      createEnvelope(Events.TaskCreated, {
        actorId: alice,
        entityId: taskId,
        occurredAt: at(0),
        payload: { task: snapshot },
      }),
      createEnvelope(Events.TaskAssigned, {
        actorId: alice,
        entityId: taskId,
        occurredAt: at(10),
        payload: { taskId, assigneeId: bob, previousAssigneeId: null, version: 2 },
      }),
      createEnvelope(Events.TaskStatusChanged, {
        actorId: bob,
        entityId: taskId,
        occurredAt: at(20),
        correlationId: 'corr-done',
        payload: { taskId, from: 'todo', to: 'done', version: 3, completedAt: at(20).toISOString() },
      }),
      createEnvelope(Events.TaskUpdated, {
        actorId: alice,
        entityId: taskId,
        occurredAt: at(30),
        payload: {
          task: {
            ...snapshot,
            title: 'Q4 report',
            assigneeId: bob,
            status: 'done',
            completedAt: at(20).toISOString(),
            version: 4,
          },
          changedFields: ['title'],
        },
      }),
    ];
    // Stored in reverse: the fold orders by the task's version, not by insertion.
    await app.get(EventLogRepository).insertBatch(
      events.reverse().map((e) => toEventLog(e, config.retention)),
      (doc) => chainOf(Topics.task, 0, doc.type),
    );
  });

  afterAll(async () => {
    await app?.close();
    const mongo = await openDb(mongoUrl);
    await mongo.db.dropDatabase();
    await mongo.client.close();
    await kafka.close();
  });

  it('should answer a task as it was at each instant', async () => {
    const before = await get(`/api/v1/audit/tasks/${taskId}/as-of?at=${encodeURIComponent(at(-1).toISOString())}`);
    expect(before.statusCode).toBe(200);
    expect(before.json()).toMatchObject({ task: null, asOfEventId: null });

    const assigned = (
      await get(`/api/v1/audit/tasks/${taskId}/as-of?at=${encodeURIComponent(at(15).toISOString())}`)
    ).json();
    expect(assigned).toMatchObject({
      complete: true,
      task: { title: 'Quarterly report', status: 'todo', assigneeId: bob, version: 2 },
    });

    const latest = (
      await get(`/api/v1/audit/tasks/${taskId.toUpperCase()}/as-of?at=${encodeURIComponent(at(45).toISOString())}`)
    ).json();
    expect(latest).toMatchObject({
      taskId,
      task: { title: 'Q4 report', status: 'done', completedAt: at(20).toISOString(), description: 'café ☕' },
    });
  });

  it('should list who changed which field, oldest first, and filter by field', async () => {
    const response = await get(`/api/v1/audit/tasks/${taskId}/timeline?field=status`);
    expect(response.statusCode).toBe(200);
    expect(response.json().items).toEqual([
      expect.objectContaining({ field: 'status', from: null, to: 'todo', actorId: alice, at: at(0).toISOString() }),
      expect.objectContaining({ field: 'status', from: 'todo', to: 'done', actorId: bob, correlationId: 'corr-done' }),
    ]);
    const all = (await get(`/api/v1/audit/tasks/${taskId}/timeline`)).json().items;
    const reads = (await kafka.readAll(auditTopic, 2)).map((m) => JSON.parse(m.value!.toString()));
    expect(reads.every((read) => read.type === 'audit.read')).toBe(true);
    expect(reads[0].payload).toMatchObject({ filter: { entityType: 'task', entityId: taskId }, resultCount: 4 });
    expect(all.filter((c: { field: string }) => c.field === 'title').map((c: { to: string }) => c.to)).toEqual([
      'Quarterly report',
      'Q4 report',
    ]);
  });

  it('should answer 400 for a bad instant or id, 404 for an unknown task, 403 for a plain user', async () => {
    const bad = await get(`/api/v1/audit/tasks/${taskId}/as-of?at=2026-02-30T00:00:00Z`);
    expect(bad.statusCode).toBe(400);
    expect(bad.json().errors[0]).toMatchObject({ field: 'at' });
    expect((await get(`/api/v1/audit/tasks/not-a-uuid/timeline`)).statusCode).toBe(400);
    expect((await get(`/api/v1/audit/tasks/${randomUUID()}/timeline`)).statusCode).toBe(404);
    expect((await get(`/api/v1/audit/tasks/${taskId}/timeline`, 'user')).statusCode).toBe(403);
  });
});
