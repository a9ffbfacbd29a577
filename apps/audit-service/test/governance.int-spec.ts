import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEnvelope, EventEnvelope, Events } from '@taskflow/contracts';
import { isMongoStandIn, mongoProvider } from '@taskflow/infra';
import { accessToken } from '@taskflow/testing';
import type { InjectOptions } from 'fastify';
import { Db, MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { toEventLog } from '../src/audit/application/to-event-log';
import { KafkaClients } from '../src/audit/infrastructure/messaging/kafka-clients';
import {
  KafkaFixture,
  MONGO_BASE,
  openDb,
  saveSessions,
  startApp,
  testConfig,
  testTopic,
  uniqueName,
  waitFor,
} from './support';

jest.setTimeout(180_000);

const DAY = 86_400_000;
type Actor = { id: string; role: 'admin' | 'auditor' | 'user' };
const ADMIN: Actor = { id: randomUUID(), role: 'admin' };
const AUDITOR: Actor = { id: randomUUID(), role: 'auditor' };
// One live session per actor (audit-service checks the session and the current role, as the gateway does).
const sessions = new Map<string, string>();
const sessionOf = (actor: Actor) => sessions.get(actor.id) ?? sessions.set(actor.id, randomUUID()).get(actor.id)!;
const bearer = (actor: Actor) => ({
  authorization: `Bearer ${accessToken(actor, sessionOf(actor), 300)}`,
});
/** Saves the sessions of `actors` as the gateway does at login. */
const logIn = (...actors: Actor[]) =>
  saveSessions(actors.map((actor) => ({ userId: actor.id, sessionId: sessionOf(actor), role: actor.role })));

const standIn = isMongoStandIn();
if (standIn) {
  console.log(
    `SKIPPED legal-hold TTL deletion test: it needs a real mongod with a TTL monitor; the MongoDB of this run is a stand-in (${mongoProvider()}, TASKFLOW_MONGO_STANDIN=true) that never deletes expired documents`,
  );
}

/** A task event about `taskId` (entity scope), by `actorId`, in `correlationId`, `ageDays` old. */
function taskEvent(opts: { taskId?: string; actorId?: string; correlationId?: string; ageDays?: number } = {}) {
  const taskId = opts.taskId ?? randomUUID();
  return createEnvelope(Events.TaskStatusChanged, {
    actorId: opts.actorId ?? randomUUID(),
    entityId: taskId,
    correlationId: opts.correlationId ?? uniqueName('corr'),
    occurredAt: new Date(Date.now() - (opts.ageDays ?? 1) * DAY),
    payload: { taskId, from: 'todo', to: 'done', version: 2 },
  });
}

function loginEvent(ageDays = 1) {
  const userId = randomUUID();
  return createEnvelope(Events.UserLogin, {
    actorId: userId,
    entityId: userId,
    occurredAt: new Date(Date.now() - ageDays * DAY),
    payload: { userId, sessionId: randomUUID() },
  });
}

describe('retention governance and audited reads (real Kafka + MongoDB protocol server)', () => {
  const kafka = new KafkaFixture();
  const taskTopic = testTopic('audit-int-gov', 'task');
  const userTopic = testTopic('audit-int-gov', 'user');
  const systemTopic = testTopic('audit-int-gov', 'system');
  const auditTopic = testTopic('audit-int-gov', 'audit');
  const dbName = uniqueName('audit_int_gov').replace(/-/g, '_');
  const env = {
    MONGO_URL: `${MONGO_BASE}/${dbName}`,
    AUDIT_TOPICS: [taskTopic, userTopic, systemTopic, auditTopic].join(','),
    AUDIT_SYSTEM_TOPIC: systemTopic,
    AUDIT_EVENTS_TOPIC: auditTopic,
    AUDIT_CONSUMER_GROUP: uniqueName('audit-int-gov'),
  };
  let app: NestFastifyApplication;
  let mongo: { client: MongoClient; db: Db };
  const extraApps: NestFastifyApplication[] = [];

  const inject = (target: NestFastifyApplication, options: InjectOptions) =>
    target.getHttpAdapter().getInstance().inject(options);
  const call = (method: 'GET' | 'POST' | 'DELETE', url: string, actor: Actor = ADMIN, payload?: object) =>
    inject(app, { method, url, headers: bearer(actor), payload });
  const logs = () => mongo.db.collection('event_logs');
  const byEventId = async (events: EventEnvelope[]) =>
    logs()
      .find({ eventId: { $in: events.map((e) => e.eventId) } })
      .toArray();
  const publish = async (events: EventEnvelope[]) => {
    await kafka.publish(
      taskTopic,
      events.filter((e) => e.entityType === 'task'),
    );
    await kafka.publish(
      userTopic,
      events.filter((e) => e.entityType === 'user'),
    );
  };
  const stored = async (events: EventEnvelope[]) => {
    await publish(events);
    await waitFor(async () => (await byEventId(events)).length === events.length);
  };
  /** The audit.* events of `type` by `actorId` in event_logs, once `count` of them arrived. */
  const auditEvents = async (type: string, actorId: string, count: number) => {
    const find = () => logs().find({ type, actorId }).sort({ createdAt: 1, eventId: 1 }).toArray();
    await waitFor(async () => (await find()).length >= count);
    return find();
  };

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([taskTopic, userTopic, systemTopic, auditTopic], 1);
    app = await startApp(testConfig(env));
    await logIn(ADMIN, AUDITOR);
    mongo = await openDb(env.MONGO_URL);
  });

  afterAll(async () => {
    for (const extra of extraApps) await extra.close().catch(() => undefined);
    await app?.close();
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  describe('legal hold', () => {
    const taskId = randomUUID();
    const actorId = randomUUID();
    const correlationId = uniqueName('case');
    const byEntity = [taskEvent({ taskId }), taskEvent({ taskId })];
    const byActor = [taskEvent({ actorId }), taskEvent({ actorId })];
    const byCorrelation = [taskEvent({ correlationId }), taskEvent({ correlationId })];
    // Covered by the actor hold and by the correlation hold.
    const byBoth = [taskEvent({ actorId, correlationId })];
    const others = [taskEvent(), taskEvent(), loginEvent()];
    const holdIds: Record<'entity' | 'actor' | 'correlation', string> = { entity: '', actor: '', correlation: '' };

    it('should refuse a hold without exactly one scope or reason (400 naming the field), and non-admins', async () => {
      const both = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, {
        actorId,
        correlationId,
        reason: 'x case',
      });
      expect(both.statusCode).toBe(400);
      expect(both.headers['content-type']).toContain('application/problem+json');
      expect(JSON.stringify(both.json())).toContain('scope');
      const none = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, { reason: 'a case' });
      expect(none.statusCode).toBe(400);
      const half = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, { entityId: taskId, reason: 'a case' });
      expect(JSON.stringify(half.json())).toContain('entityType');
      const noReason = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, { actorId });
      expect(noReason.statusCode).toBe(400);
      expect(JSON.stringify(noReason.json())).toContain('reason');
      const badId = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, {
        actorId: '$where',
        reason: 'a case',
      });
      expect(badId.statusCode).toBe(400);
      const auditor = await call('POST', '/api/v1/audit/admin/legal-holds', AUDITOR, { actorId, reason: 'a case' });
      expect(auditor.statusCode).toBe(403);
      expect((await call('DELETE', `/api/v1/audit/admin/legal-holds/${randomUUID()}`)).statusCode).toBe(404);
      expect((await call('DELETE', '/api/v1/audit/admin/legal-holds/not-a-uuid')).statusCode).toBe(400);
      expect(await mongo.db.collection('legal_holds').countDocuments()).toBe(0);
    });

    it('should hold the stored records of an entity, an actor and a correlation id, and no others', async () => {
      await stored([...byEntity, ...byActor, ...byCorrelation, ...byBoth, ...others]);
      const before = new Map((await logs().find().toArray()).map((doc) => [doc.eventId, doc.expiresAt as Date]));
      const scopes = {
        entity: { entityType: 'task', entityId: taskId },
        actor: { actorId },
        correlation: { correlationId },
      };
      const expectedHeld = { entity: 2, actor: 3, correlation: 3 };
      for (const [name, scope] of Object.entries(scopes) as [keyof typeof scopes, object][]) {
        const res = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, { ...scope, reason: `case ${name}` });
        expect(res.statusCode).toBe(201);
        expect(res.json()).toMatchObject({ scope, placedBy: ADMIN.id, heldCount: expectedHeld[name] });
        holdIds[name] = res.json().id;
      }

      for (const doc of await byEventId([...byEntity, ...byActor, ...byCorrelation, ...byBoth])) {
        expect(doc).not.toHaveProperty('expiresAt');
        expect(doc.retentionExpiresAt).toEqual(before.get(doc.eventId));
      }
      const both = (await byEventId(byBoth))[0];
      expect([...both.legalHoldIds].sort()).toEqual([holdIds.actor, holdIds.correlation].sort());
      expect((await byEventId(byEntity)).map((doc) => doc.legalHoldIds)).toEqual([[holdIds.entity], [holdIds.entity]]);
      for (const doc of await byEventId(others)) {
        expect(doc.expiresAt).toEqual(before.get(doc.eventId));
        expect(doc).not.toHaveProperty('legalHoldIds');
        expect(doc).not.toHaveProperty('retentionExpiresAt');
      }
      // Held records are still visible to analysts.
      const visible = await call('GET', `/api/v1/audit/events?actorId=${actorId}`, AUDITOR);
      expect(visible.json().items).toHaveLength(3);
    });

    it('should hold matching records ingested after the hold was placed', async () => {
      const later = [taskEvent({ taskId }), taskEvent({ actorId }), taskEvent({ correlationId })];
      const unrelated = [taskEvent()];
      await stored([...later, ...unrelated]);
      const docs = await byEventId(later);
      expect(docs.map((doc) => doc.legalHoldIds.length)).toEqual([1, 1, 1]);
      for (const doc of docs) {
        expect(doc).not.toHaveProperty('expiresAt');
        expect(doc.retentionExpiresAt.getTime() - doc.createdAt.getTime()).toBe(180 * DAY);
      }
      const [free] = await byEventId(unrelated);
      expect(free.expiresAt.getTime() - free.createdAt.getTime()).toBe(180 * DAY);
      expect(free).not.toHaveProperty('legalHoldIds');
    });

    it('should list active holds and restore retention on release unless another hold still covers a record', async () => {
      const active = await call('GET', '/api/v1/audit/admin/legal-holds?active=true');
      expect(
        active
          .json()
          .items.map((h: { id: string }) => h.id)
          .sort(),
      ).toEqual(Object.values(holdIds).sort());
      expect((await call('GET', '/api/v1/audit/admin/legal-holds?active=maybe')).statusCode).toBe(400);

      const released = await call('DELETE', `/api/v1/audit/admin/legal-holds/${holdIds.actor}`);
      expect(released.statusCode).toBe(200);
      // Two stored before the hold plus one ingested after; the record also under the correlation hold stays held.
      expect(released.json()).toMatchObject({ id: holdIds.actor, releasedBy: ADMIN.id, restoredCount: 3 });
      const actorDocs = await logs().find({ actorId }).toArray();
      expect(actorDocs).toHaveLength(4);
      for (const doc of actorDocs) {
        if (doc.correlationId === correlationId) {
          expect(doc).not.toHaveProperty('expiresAt');
          expect(doc.legalHoldIds).toEqual([holdIds.correlation]);
        } else {
          expect(doc.expiresAt.getTime() - doc.createdAt.getTime()).toBe(180 * DAY);
          expect(doc).not.toHaveProperty('legalHoldIds');
          expect(doc).not.toHaveProperty('retentionExpiresAt');
        }
      }
      // Releasing again records nothing new and restores nothing more.
      const again = await call('DELETE', `/api/v1/audit/admin/legal-holds/${holdIds.actor}`);
      expect(again.json()).toMatchObject({ restoredCount: 0 });

      for (const id of [holdIds.correlation, holdIds.entity]) {
        expect((await call('DELETE', `/api/v1/audit/admin/legal-holds/${id}`)).statusCode).toBe(200);
      }
      expect(await logs().countDocuments({ expiresAt: { $exists: false } })).toBe(0);
      expect(await logs().countDocuments({ legalHoldIds: { $exists: true } })).toBe(0);
      const history = (await call('GET', '/api/v1/audit/admin/legal-holds?active=false')).json().items;
      expect(history).toHaveLength(3);
      expect((await call('GET', '/api/v1/audit/admin/legal-holds?active=true')).json().items).toEqual([]);
    });

    it('should record each placement and release as an audit event with the admin as actor', async () => {
      const placed = await auditEvents('audit.legal_hold.placed', ADMIN.id, 3);
      expect(placed).toHaveLength(3);
      expect(placed.map((e) => e.entityId).sort()).toEqual(Object.values(holdIds).sort());
      expect(placed.find((e) => e.entityId === holdIds.actor)!.payload).toMatchObject({
        scope: { actorId },
        reason: 'case actor',
        heldCount: 3,
      });
      const released = await auditEvents('audit.legal_hold.released', ADMIN.id, 3);
      expect(released).toHaveLength(3);
      expect(released.find((e) => e.entityId === holdIds.actor)!.payload).toMatchObject({ restoredCount: 3 });
      expect(released[0].expiresAt.getTime() - released[0].createdAt.getTime()).toBe(2555 * DAY);
    });

    (standIn ? it.skip : it)(
      'should keep an overdue held record past TTL passes and let the monitor delete it once released (real mongod only)',
      async () => {
        const overdue = taskEvent({ correlationId: uniqueName('ttl-case'), ageDays: 400 });
        const hold = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, {
          correlationId: overdue.correlationId,
          reason: 'ttl case',
        });
        await stored([overdue]);
        // The TTL monitor runs every 60 s: two passes must leave the held record alone.
        await new Promise((resolve) => setTimeout(resolve, 125_000));
        expect(await byEventId([overdue])).toHaveLength(1);
        await call('DELETE', `/api/v1/audit/admin/legal-holds/${hold.json().id}`);
        await waitFor(async () => (await byEventId([overdue])).length === 0, 150_000, 2000);
      },
      330_000, // two TTL passes held, then up to two more until the released record is deleted
    );
  });

  describe('retention re-stamp', () => {
    const tasks = [taskEvent({ ageDays: 10 }), taskEvent({ ageDays: 10 }), taskEvent({ ageDays: 60 })];
    const heldTask = taskEvent({ correlationId: uniqueName('retention-case'), ageDays: 10 });
    const logins = [loginEvent(5), loginEvent(5)];
    let changed: NestFastifyApplication;
    const restamp = (dryRun?: boolean) =>
      inject(changed, {
        method: 'POST',
        url: `/api/v1/audit/admin/retention/restamp${dryRun === undefined ? '' : `?dryRun=${dryRun}`}`,
        headers: bearer(ADMIN),
      });

    beforeAll(async () => {
      await stored([...tasks, heldTask, ...logins]);
      const hold = await call('POST', '/api/v1/audit/admin/legal-holds', ADMIN, {
        correlationId: heldTask.correlationId,
        reason: 'retention case',
      });
      expect(hold.statusCode).toBe(201);
      // The same store after a deploy with another policy (API only; the first app ingests its events).
      changed = await startApp(
        testConfig({
          ...env,
          AUDIT_INGEST_ENABLED: 'false',
          AUDIT_RETENTION_JSON: '{"task.*": 30, "user.login": 400}',
        }),
      );
      extraApps.push(changed);
    });

    it('should report per class what a change would do without changing or recording anything, and match the change', async () => {
      const snapshot = async () =>
        (
          await logs()
            .find({}, { projection: { _id: 0, eventId: 1, expiresAt: 1, retentionExpiresAt: 1 } })
            .toArray()
        )
          .map((doc) => JSON.stringify(doc))
          .sort();
      const before = await snapshot();
      const storedTasks = await logs().countDocuments({ type: { $regex: '^task\\.' } });
      const storedLogins = await logs().countDocuments({ type: 'user.login' });

      const dry = await restamp(true);
      expect(dry.statusCode).toBe(200);
      const report = dry.json();
      expect(report).toMatchObject({ dryRun: true, updated: 0, previousRules: null });
      expect(report.rules).toMatchObject({ 'task.*': 30, 'user.login': 400 });
      // Every unheld task record gets an earlier deadline (60 days old: past 30 days, expires at once); the held
      // one only a new set-aside deadline; every login a later one; the audit.* records are unchanged.
      expect(report.affected).toMatchObject({ earlier: storedTasks - 1, expireNow: 1, later: storedLogins, held: 1 });
      expect(report.byType).toContainEqual(
        expect.objectContaining({ type: 'user.login', days: 400, later: storedLogins, earlier: 0 }),
      );
      expect(report.byType.find((t: { type: string }) => t.type.startsWith('audit.'))).toBeUndefined();
      expect(await snapshot()).toEqual(before);

      const real = await restamp(false);
      expect(real.statusCode).toBe(200);
      // `unchanged` grows with the audit.* records still arriving (this suite's reads and holds); the rest must match.
      const { earlier, later, expireNow, held } = report.affected;
      expect(real.json()).toMatchObject({
        dryRun: false,
        affected: { earlier, later, expireNow, held },
        byType: report.byType,
      });
      expect(real.json().updated).toBe(earlier + later + held);
    });

    it('should have applied it to the stored records, skipping the held one, and recorded the change', async () => {
      // The change made by the previous test: its event carries the dry run's counts and the admin as actor.
      const [change] = await auditEvents('audit.retention.changed', ADMIN.id, 1);
      expect(change.entityType).toBe('audit');
      expect(change.payload.previousRules).toBeNull();
      expect(change.payload.rules).toMatchObject({ 'task.*': 30, 'user.login': 400 });
      const storedTasks = await logs().countDocuments({ type: { $regex: '^task\\.' } });
      expect(change.payload.affected).toMatchObject({ earlier: storedTasks - 1, expireNow: 1, held: 1 });

      for (const doc of await byEventId(tasks)) {
        expect(doc.expiresAt.getTime() - doc.createdAt.getTime()).toBe(30 * DAY);
      }
      const [held] = await byEventId([heldTask]);
      expect(held).not.toHaveProperty('expiresAt');
      expect(held.retentionExpiresAt.getTime() - held.createdAt.getTime()).toBe(30 * DAY);
      for (const doc of await byEventId(logins)) {
        expect(doc.expiresAt.getTime() - doc.createdAt.getTime()).toBe(400 * DAY);
      }
      // A record 60 days old under a 30-day rule is past due: hidden from queries before the TTL monitor runs.
      const gone = await call('GET', `/api/v1/audit/events?correlationId=${tasks[2].correlationId}`, AUDITOR);
      expect(gone.json().items).toEqual([]);

      // Applying the same policy again: nothing to change, and the previous rules are now known.
      const again = (await restamp(false)).json();
      expect(again).toMatchObject({ updated: 0, affected: { earlier: 0, later: 0, held: 0 } });
      expect(again.previousRules).toMatchObject({ 'task.*': 30, 'user.login': 400 });
      const changes = await auditEvents('audit.retention.changed', ADMIN.id, 2);
      // The dry run published nothing: exactly the two real changes, in order.
      expect(changes).toHaveLength(2);
      expect(changes[1].payload.previousRules).toMatchObject({ 'task.*': 30 });
    });

    it('should refuse a bad dryRun value and non-admins', async () => {
      const bad = await inject(changed, {
        method: 'POST',
        url: '/api/v1/audit/admin/retention/restamp?dryRun=yes',
        headers: bearer(ADMIN),
      });
      expect(bad.statusCode).toBe(400);
      expect(JSON.stringify(bad.json())).toContain('dryRun');
      const auditor = await inject(changed, {
        method: 'POST',
        url: '/api/v1/audit/admin/retention/restamp?dryRun=true',
        headers: bearer(AUDITOR),
      });
      expect(auditor.statusCode).toBe(403);
    });
  });

  describe('audited reads', () => {
    const reader = { id: randomUUID(), role: 'auditor' as const };
    const actorId = randomUUID();
    const events = [taskEvent({ actorId }), taskEvent({ actorId }), taskEvent({ actorId }), loginEvent()];
    const reads = (count: number) => auditEvents('audit.read', reader.id, count);

    beforeAll(async () => {
      await logIn(reader);
      await stored(events);
    });

    it('should record one audit.read with the reader, the parsed filter and the result count', async () => {
      const res = await inject(app, {
        method: 'GET',
        url: `/api/v1/audit/events?actorId=${actorId}&type=task.&limit=2`,
        headers: bearer(reader),
      });
      expect(res.statusCode).toBe(200);
      expect(res.json().items).toHaveLength(2);
      const [read] = await reads(1);
      expect(read).toMatchObject({
        type: 'audit.read',
        entityType: 'audit',
        actorId: reader.id,
        payload: {
          route: 'GET /api/v1/audit/events',
          filter: { actorId, typePrefixes: ['task.'], limit: 2 },
          resultCount: 2,
        },
      });
    });

    it('should record reading audit.read events once, not recursively', async () => {
      const res = await inject(app, {
        method: 'GET',
        url: `/api/v1/audit/events?type=audit.read&actorId=${reader.id}`,
        headers: bearer(reader),
      });
      expect(res.json().items).toHaveLength(1);
      const after = await reads(2);
      expect(after[1].payload).toMatchObject({ filter: { types: ['audit.read'], actorId: reader.id }, resultCount: 1 });
      // Storing those two must not cause another read: still two a few seconds later.
      await new Promise((resolve) => setTimeout(resolve, 4000));
      expect(await logs().countDocuments({ type: 'audit.read', actorId: reader.id })).toBe(2);
    });

    it('should record the rows an export streamed when the stream ends, and the other routes', async () => {
      const ndjson = await inject(app, {
        method: 'GET',
        url: `/api/v1/audit/export?format=ndjson&actorId=${actorId}`,
        headers: bearer(reader),
      });
      const rows = ndjson.body.trim().split('\n');
      expect(rows).toHaveLength(3);
      const csv = await inject(app, {
        method: 'GET',
        url: `/api/v1/audit/export?format=csv&actorId=${actorId}&limit=2`,
        headers: bearer(reader),
      });
      expect(csv.body.trim().split('\n')).toHaveLength(3); // header + 2 rows
      for (const url of [
        `/api/v1/audit/stats/by-type?actorId=${actorId}`,
        `/api/v1/audit/correlations/${events[0].correlationId}`,
        `/api/v1/audit/entities/task/${events[1].entityId}/history`,
      ]) {
        expect((await inject(app, { method: 'GET', url, headers: bearer(reader) })).statusCode).toBe(200);
      }
      const all = await reads(7);
      expect(all.slice(2).map((e) => [e.payload.route, e.payload.resultCount])).toEqual(
        expect.arrayContaining([
          ['GET /api/v1/audit/export', 3],
          ['GET /api/v1/audit/export', 2],
          ['GET /api/v1/audit/stats/by-type', 3],
          ['GET /api/v1/audit/correlations/:correlationId', 1],
          ['GET /api/v1/audit/entities/:entityType/:entityId/history', 1],
        ]),
      );
      expect(
        all.find((e) => e.payload.resultCount === 2 && e.payload.route.endsWith('export'))!.payload.filter,
      ).toEqual({
        actorId,
        limit: 2,
      });
    });

    it('should answer 503 (not the data) when the read cannot be recorded', async () => {
      const blind = await startApp(
        testConfig({
          ...env,
          AUDIT_INGEST_ENABLED: 'false',
          AUDIT_EVENTS_TOPIC: testTopic('audit-int-missing', 'audit'), // never created: Kafka refuses the record
          KAFKA_REQUEST_TIMEOUT_MS: '2000',
        }),
      );
      extraApps.push(blind);
      // Observed, not replaced: the refused send keeps retrying inside kafkajs after the 503; the test waits for it
      // before closing the app.
      const producer = blind.get(KafkaClients).producer;
      const sends: Promise<unknown>[] = [];
      const send = producer.send.bind(producer);
      producer.send = (record) => {
        const sent = send(record);
        sends.push(sent.catch(() => undefined));
        return sent;
      };
      const started = Date.now();
      const res = await inject(blind, {
        method: 'GET',
        url: `/api/v1/audit/events?actorId=${actorId}`,
        headers: bearer(reader),
      });
      expect(res.statusCode).toBe(503);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'AUDIT.READ_NOT_RECORDED' });
      expect(res.body).not.toContain(events[0].eventId);
      expect(Date.now() - started).toBeLessThan(10_000);
      expect(sends).toHaveLength(1);
      await Promise.all(sends);
    });
  });

  // Last: its hold would change what the tests above count.
  describe('legal hold re-sweep', () => {
    it('should sweep a hold once more after twice the socket timeout, even when the instance that placed it is gone', async () => {
      // Two instances with a 1 s socket timeout (re-sweep 2 s after placement), the ingest off: this test writes.
      const fast = testConfig({
        ...env,
        AUDIT_INGEST_ENABLED: 'false',
        MONGO_SOCKET_TIMEOUT_MS: '1000',
        MONGO_QUERY_TIMEOUT_MS: '500',
      });
      const placing = await startApp(fast);
      const holder = randomUUID();
      const placed = await inject(placing, {
        method: 'POST',
        url: '/api/v1/audit/admin/legal-holds',
        headers: bearer(ADMIN),
        payload: { actorId: holder, reason: 'escaped chunk' },
      });
      expect(placed.statusCode).toBe(201);
      await placing.close(); // before its re-sweep was due
      // What an ingest chunk writes when it read the active holds just before this one was inserted: not held.
      const escaped = taskEvent({ actorId: holder });
      await logs().insertOne(toEventLog(escaped, fast.retention));
      const other = await startApp(fast);
      extraApps.push(other);
      // The re-sweep by the other instance (or, 20 s after placement, by the first app's own round).
      await waitFor(async () => !!(await byEventId([escaped]))[0]?.legalHoldIds, 30_000);
      const [held] = await byEventId([escaped]);
      expect(held.legalHoldIds).toEqual([placed.json().id]);
      expect(held).not.toHaveProperty('expiresAt');
    });
  });
});
