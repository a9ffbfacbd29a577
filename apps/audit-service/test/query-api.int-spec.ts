import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { AUDIT_CSV_COLUMNS, decodeEnvelope, EventEnvelope } from '@taskflow/contracts';
import type { InjectOptions } from 'fastify';
import { getModelToken } from '@nestjs/mongoose';
import { createLogger, managementServer } from '@taskflow/nest-kit';
import { sign } from 'jsonwebtoken';
import type { Model } from 'mongoose';
import { Db, MongoClient } from 'mongodb';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { accessToken, callCredential, signingKeyEnv } from '@taskflow/testing';
import { CacheKeys, permissionsOf } from '@taskflow/cache';
import { Redis } from 'ioredis';
import { toEventLog } from '../src/audit/application/to-event-log';
import { bucketStart } from '../src/audit/domain/time-bucket';
import { chainOf } from '../src/audit/domain/record-chain';
import { EventLogRepository } from '../src/audit/infrastructure/persistence/event-log.repository';
import { EVENT_LOG_MODEL } from '../src/audit/infrastructure/persistence/event-log.schema';
import { MongoConnector } from '../src/audit/infrastructure/persistence/mongo-connector';
import { AuditConfig } from '../src/config/audit.config';
import { createAuditApp } from '../src/bootstrap';
import {
  KafkaFixture,
  MONGO_BASE,
  openDb,
  sampleEvent,
  saveSessions,
  startApp,
  TEST_REDIS_URL,
  testConfig,
  testTopic,
  token,
  tokenWithoutSession,
  uniqueName,
  waitFor,
} from './support';
import { verifyEventSignature } from '@taskflow/messaging-kafka';

type Role = 'user' | 'admin' | 'auditor';

jest.setTimeout(60_000);

const DAY = 86_400_000;
const ACTORS = [randomUUID(), randomUUID()];
const BASE = new Date(Date.now() - 2 * 3_600_000); // every event lies in the last two hours

describe('audit query API', () => {
  const kafka = new KafkaFixture();
  const systemTopic = testTopic('audit-int-query', 'system');
  const auditTopic = testTopic('audit-int-query', 'audit');
  const dbName = uniqueName('audit_int_query').replace(/-/g, '_');
  const env = {
    MONGO_URL: `${MONGO_BASE}/${dbName}`,
    AUDIT_INGEST_ENABLED: 'false',
    AUDIT_SYSTEM_TOPIC: systemTopic,
    // Every query publishes its audit.read here (and fails closed without it).
    AUDIT_EVENTS_TOPIC: auditTopic,
  };
  let config: AuditConfig;
  let app: NestFastifyApplication;
  let mongo: { client: MongoClient; db: Db };
  const events: EventEnvelope[] = [];

  const get = (url: string, role: Role = 'auditor', extra: Partial<InjectOptions> = {}) =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'GET', url, headers: { authorization: `Bearer ${token(role)}` }, ...extra });
  const post = (url: string, role: Role, payload?: object) =>
    app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'POST', url, headers: { authorization: `Bearer ${token(role)}` }, payload });
  const visible = () => events.filter((e) => e.type !== 'user.login' || !e.correlationId?.startsWith('old'));

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics([systemTopic, auditTopic], 1);
    config = testConfig(env);
    app = await startApp(config);
    mongo = await openDb(env.MONGO_URL);
    for (let i = 0; i < 40; i++) {
      events.push(
        sampleEvent(i, {
          occurredAt: new Date(BASE.getTime() + i * 60_000),
          actorId: ACTORS[i % 2],
          correlationId: i < 6 ? 'corr-A' : `corr-${i}`,
        }),
      );
    }
    // A login of 400 days ago is past its 365-day retention: stored (the TTL monitor has not run) but hidden.
    events.push(sampleEvent(1, { occurredAt: new Date(Date.now() - 400 * DAY), correlationId: 'old-login' }));
    await app.get(EventLogRepository).insertBatch(
      events.map((e) => toEventLog(e, config.retention)),
      (doc) => chainOf('query-api-test', 0, doc.type),
    );
  });

  afterAll(async () => {
    await app?.close();
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  describe('authentication', () => {
    const inject = (authorization?: string) =>
      app
        .getHttpAdapter()
        .getInstance()
        .inject({ method: 'GET', url: '/api/v1/audit/events', headers: authorization ? { authorization } : {} });

    it('should answer 401 without a token or with a bad one', async () => {
      expect((await inject()).statusCode).toBe(401);
      const stranger = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const foreign = sign({ sub: 'x', role: 'admin', sid: 's' }, stranger, {
        algorithm: 'ES256',
        keyid: signingKeyEnv().JWT_PRIVATE_KEY_ID,
        audience: 'taskflow-api',
        issuer: 'taskflow-api-gateway',
        expiresIn: 60,
      });
      expect((await inject(`Bearer ${foreign}`)).statusCode).toBe(401);
      // An RPC credential is signed by the same key but for a service: not an access token.
      const credential = callCredential('user-service', { id: randomUUID(), role: 'admin' }, randomUUID());
      expect((await inject(`Bearer ${credential}`)).statusCode).toBe(401);
      const none = sign({ sub: 'x', role: 'admin' }, '', { algorithm: 'none' });
      expect((await inject(`Bearer ${none}`)).statusCode).toBe(401);
      const hs512 = sign({ sub: 'x', role: 'admin' }, 'a-guessed-secret-a-guessed-secret', { algorithm: 'HS512' });
      const res = await inject(`Bearer ${hs512}`);
      expect(res.statusCode).toBe(401);
      expect(res.headers['content-type']).toContain('application/problem+json');
    });

    it('should answer 403 for role user and allow auditors and admins', async () => {
      expect((await get('/api/v1/audit/events', 'user')).statusCode).toBe(403);
      expect((await get('/api/v1/audit/events', 'auditor')).statusCode).toBe(200);
      expect((await get('/api/v1/audit/events', 'admin')).statusCode).toBe(200);
    });

    it("should check the token's session and the user's current role in the session store, as the gateway does", async () => {
      // A valid signature with no live session behind it (logged out, or a guessed sid): 401.
      const orphan = await inject(`Bearer ${tokenWithoutSession('auditor')}`);
      expect(orphan.statusCode).toBe(401);
      expect(orphan.json()).toMatchObject({ code: 'AUTH.SESSION_ENDED' });

      const userId = randomUUID();
      const sessionId = randomUUID();
      await saveSessions([{ userId, sessionId, role: 'auditor' }]);
      const bearer = `Bearer ${accessToken({ id: userId, role: 'auditor' }, sessionId, 300)}`;
      expect((await inject(bearer)).statusCode).toBe(200);
      const redis = new Redis(TEST_REDIS_URL);
      try {
        // A demotion: the gateway writes the new role to user:permissions:{userId} at once.
        await redis.set(CacheKeys.userPermissions(userId), JSON.stringify(permissionsOf('user')), 'EX', 60);
        const demoted = await inject(bearer);
        expect(demoted.statusCode).toBe(403);
        expect(demoted.json()).toMatchObject({ code: 'AUTH.FORBIDDEN' });
        await redis.set(CacheKeys.userPermissions(userId), JSON.stringify(permissionsOf('auditor')), 'EX', 60);
        expect((await inject(bearer)).statusCode).toBe(200);
        // Logout deletes the session.
        await redis.del(CacheKeys.session(sessionId));
        expect((await inject(bearer)).statusCode).toBe(401);
      } finally {
        redis.disconnect();
      }
    });
  });

  describe('listing', () => {
    it('should filter by one, many and a prefix of types, newest first, hiding expired records', async () => {
      const one = (await get('/api/v1/audit/events?type=user.login&limit=200')).json();
      expect(one.items).toHaveLength(10);
      expect(one.items.every((e: EventEnvelope) => e.type === 'user.login')).toBe(true);
      const times = one.items.map((e: { createdAt: string }) => e.createdAt);
      expect([...times].sort().reverse()).toEqual(times);

      const many = (await get('/api/v1/audit/events?type=user.login,user.registered&limit=200')).json();
      expect(many.items).toHaveLength(20);
      const prefix = (await get('/api/v1/audit/events?type=task.&type=system.&limit=200')).json();
      expect(prefix.items).toHaveLength(20);
    });

    it('should filter by actor, entity, correlation id and time range', async () => {
      const byActor = (await get(`/api/v1/audit/events?actorId=${ACTORS[0]}&limit=200`)).json();
      expect(byActor.items).toHaveLength(20);
      const target = events[4];
      const byEntity = (
        await get(`/api/v1/audit/events?entityType=${target.entityType}&entityId=${target.entityId}`)
      ).json();
      expect(byEntity.items.map((e: EventEnvelope) => e.eventId)).toContain(target.eventId);
      const byCorrelation = (await get('/api/v1/audit/events?correlationId=corr-A')).json();
      expect(byCorrelation.items).toHaveLength(6);
      const from = new Date(BASE.getTime() + 10 * 60_000).toISOString();
      const to = new Date(BASE.getTime() + 20 * 60_000).toISOString();
      const range = (await get(`/api/v1/audit/events?from=${from}&to=${to}`)).json();
      expect(range.items).toHaveLength(10); // [from, to)
    });

    it('should page with a cursor that stays correct while new events arrive', async () => {
      const seen: string[] = [];
      let cursor: string | null = null;
      let page = 0;
      do {
        const query: string = cursor ? `&cursor=${cursor}` : '';
        const body = (await get(`/api/v1/audit/events?limit=7${query}`)).json();
        seen.push(...body.items.map((e: EventEnvelope) => e.eventId));
        cursor = body.nextCursor;
        if (page++ === 1) {
          // Newer events arriving mid-pagination must neither shift nor repeat the pages still to come.
          const late = [sampleEvent(100), sampleEvent(101)];
          await app.get(EventLogRepository).insertBatch(
            late.map((e) => toEventLog(e, config.retention)),
            (doc) => chainOf('query-api-test', 0, doc.type),
          );
        }
      } while (cursor);
      expect(seen).toHaveLength(visible().length);
      expect(new Set(seen)).toEqual(new Set(visible().map((e) => e.eventId)));
      await mongo.db.collection('event_logs').deleteMany({ createdAt: { $gt: new Date(BASE.getTime() + DAY / 24) } });
    });

    it('should return an entity history and a correlation trail oldest first', async () => {
      const target = events[2];
      const history = (await get(`/api/v1/audit/entities/user/${target.entityId}/history`)).json();
      expect(history.items.map((e: EventEnvelope) => e.eventId)).toContain(target.eventId);
      const trail = (await get('/api/v1/audit/correlations/corr-A')).json();
      expect(trail.items.map((e: EventEnvelope) => e.eventId)).toEqual(events.slice(0, 6).map((e) => e.eventId));
      expect((await get('/api/v1/audit/correlations/old-login')).json().items).toEqual([]);
    });
  });

  describe('aggregations', () => {
    it('should count by type and by actor on the server', async () => {
      const byType = (await get('/api/v1/audit/stats/by-type')).json();
      expect(byType.items).toEqual(
        expect.arrayContaining([
          { key: 'user.login', count: 10 },
          { key: 'task.status_changed', count: 10 },
          { key: 'user.registered', count: 10 },
          { key: 'system.backup.started', count: 10 },
        ]),
      );
      const byActor = (await get('/api/v1/audit/stats/by-actor?type=user.')).json();
      expect(byActor.items).toEqual(
        expect.arrayContaining([
          { key: ACTORS[0], count: 10 },
          { key: ACTORS[1], count: 10 },
        ]),
      );
    });

    it.each(['hour', 'day', 'week'] as const)('should count by %s bucket', async (bucket) => {
      const expected = new Map<string, number>();
      for (const e of visible()) {
        const key = bucketStart(new Date(e.occurredAt), bucket).toISOString();
        expected.set(key, (expected.get(key) ?? 0) + 1);
      }
      const body = (await get(`/api/v1/audit/stats/by-time?bucket=${bucket}`)).json();
      expect(body.items).toEqual([...expected.entries()].sort().map(([key, count]) => ({ bucket: key, count })));
    });
  });

  describe('export', () => {
    it('should stream NDJSON and CSV of a filtered range', async () => {
      const ndjson = await get('/api/v1/audit/export?format=ndjson&type=task.');
      expect(ndjson.headers['content-type']).toContain('application/x-ndjson');
      const lines = ndjson.body
        .trim()
        .split('\n')
        .map((line) => JSON.parse(line));
      expect(lines).toHaveLength(10);
      expect(lines[0]).toMatchObject({ type: 'task.status_changed', payload: expect.any(Object) });

      const csv = await get('/api/v1/audit/export?format=csv');
      expect(csv.headers['content-type']).toContain('text/csv');
      const rows = csv.body.trim().split('\r\n');
      expect(rows[0]).toBe(AUDIT_CSV_COLUMNS.join(','));
      expect(rows).toHaveLength(visible().length + 1);
      expect(csv.body.startsWith('\uFEFF')).toBe(false);
      const withBom = await get('/api/v1/audit/export?format=csv&bom=true');
      expect(withBom.rawPayload.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
      expect(withBom.body.slice(1)).toBe(csv.body);
      expect((await get('/api/v1/audit/export?format=csv&bom=yes')).json()).toMatchObject({
        code: 'AUDIT.INVALID_FILTER',
        errors: [{ field: 'bom', reason: 'must be true or false' }],
      });
    });

    it('should keep the newest `limit` rows and refuse a bad limit', async () => {
      const all = (await get('/api/v1/audit/export?format=ndjson&type=task.')).body.trim().split('\n');
      const newest = await get('/api/v1/audit/export?format=ndjson&type=task.&limit=3');
      expect(newest.statusCode).toBe(200);
      expect(newest.body.trim().split('\n')).toEqual(all.slice(0, 3));
      const csv = await get('/api/v1/audit/export?format=csv&limit=2');
      expect(csv.body.trim().split('\r\n')).toHaveLength(3);
      for (const limit of ['0', 'x', '1000001']) {
        const res = await get(`/api/v1/audit/export?format=csv&limit=${limit}`);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ code: 'AUDIT.INVALID_FILTER', errors: [{ field: 'limit' }] });
      }
    });

    it('should refuse paging parameters on stats (they return every group up to the top 200)', async () => {
      for (const path of ['stats/by-type', 'stats/by-actor', 'stats/by-time']) {
        const res = await get(`/api/v1/audit/${path}?limit=10`);
        expect(res.statusCode).toBe(400);
        expect(res.json()).toMatchObject({ errors: [{ field: 'limit', reason: 'is not a known parameter' }] });
      }
    });
  });

  describe('bad filters', () => {
    it.each([
      ['type=task.exploded', 'type'],
      ['entityType=task&entityId=not-a-uuid', 'entityId'],
      ['from=2026-02-01T00:00:00Z&to=2026-01-01T00:00:00Z', 'from'],
      ['limit=201', 'limit'],
      ['cursor=bogus', 'cursor'],
      ['actorId=%3Cscript%3E', 'actorId'],
    ])('should answer 400 problem+json for %s', async (query, field) => {
      const res = await get(`/api/v1/audit/events?${query}`);
      expect(res.statusCode).toBe(400);
      expect(res.headers['content-type']).toContain('application/problem+json');
      expect(res.json()).toMatchObject({ code: 'AUDIT.INVALID_FILTER', errors: [expect.objectContaining({ field })] });
    });

    it('should reject an unknown bucket and export format', async () => {
      expect((await get('/api/v1/audit/stats/by-time?bucket=month')).statusCode).toBe(400);
      expect((await get('/api/v1/audit/export?format=xml')).statusCode).toBe(400);
    });
  });

  describe('retention and schema', () => {
    it('should have run the versioned migrations: seed indexes, unique eventId, TTL on expiresAt, conflicts', async () => {
      const migrations = await mongo.db.collection('schema_migrations').find().sort({ _id: 1 }).toArray();
      expect(migrations.map((m) => m._id)).toEqual([1, 2, 3, 4, 5, 6]);
      const conflictIndexes = await mongo.db.collection('event_log_conflicts').listIndexes().toArray();
      expect(conflictIndexes.find((index) => index.name === 'eventId_variant_unique')).toMatchObject({
        key: { eventId: 1, receivedSha256: 1 },
        unique: true,
      });
      const indexes = await mongo.db.collection('event_logs').listIndexes().toArray();
      const keys = indexes.map((index) => JSON.stringify(index.key));
      for (const key of [
        { type: 1, createdAt: -1 },
        { actorId: 1, createdAt: -1 },
        { entityId: 1, entityType: 1, createdAt: -1 },
        { correlationId: 1 },
        { createdAt: -1 },
        { 'metadata.timestamp': -1 },
        { entityType: 1, type: 1, createdAt: -1 },
      ]) {
        expect(keys).toContain(JSON.stringify(key));
      }
      expect(indexes.find((index) => index.name === 'eventId_unique')).toMatchObject({
        key: { eventId: 1 },
        unique: true,
      });
      expect(indexes.find((index) => index.name === 'expiresAt_ttl')).toMatchObject({
        key: { expiresAt: 1 },
        expireAfterSeconds: 0,
      });
      expect(indexes.filter((index) => index.expireAfterSeconds !== undefined)).toHaveLength(1);
    });

    it('should leave the collection and its indexes to the migrations, not to model compilation', async () => {
      const url = `${MONGO_BASE}/${uniqueName('audit_int_nomigr').replace(/-/g, '_')}`;
      const fresh = await openDb(url);
      const unmigrated = await createAuditApp(
        testConfig({ ...env, MONGO_URL: url, AUDIT_MIGRATE_ON_START: 'false' }),
        createLogger('audit-test', 'silent'),
      );
      try {
        await unmigrated.get<Model<unknown>>(getModelToken(EVENT_LOG_MODEL)).init(); // model compilation done
        expect(await fresh.db.listCollections({ name: 'event_logs' }).toArray()).toEqual([]);
        // It starts (HTTP up), but is not ready and does not ingest until the migrations ran.
        await unmigrated.init();
        const fastify = managementServer(unmigrated).server;
        await waitFor(async () => {
          const ready = await fastify.inject({ method: 'GET', url: '/health/ready' });
          const migrations = ready.json().checks.find((check: { name: string }) => check.name === 'migrations');
          return ready.statusCode === 503 && /pending migrations: 1, 2, 3/.test(migrations?.error ?? '');
        });
        expect(unmigrated.get(MongoConnector).isReady).toBe(false);
      } finally {
        await unmigrated.close().catch(() => undefined);
        await fresh.db.dropDatabase();
        await fresh.client.close();
      }
    });

    it('should re-stamp existing events after a policy change, admin only', async () => {
      const changed = testConfig({ ...env, AUDIT_RETENTION_JSON: '{"task.*": 30}' });
      const second = await startApp(changed);
      try {
        const inject = (role: Role) =>
          second
            .getHttpAdapter()
            .getInstance()
            .inject({
              method: 'POST',
              url: '/api/v1/audit/admin/retention/restamp',
              headers: { authorization: `Bearer ${token(role)}` },
            });
        expect((await inject('auditor')).statusCode).toBe(403);
        const res = await inject('admin');
        expect(res.statusCode).toBe(200);
        expect(res.json().updated).toBe(10);
        const task = await mongo.db.collection('event_logs').findOne({ type: 'task.status_changed' });
        expect(task!.expiresAt.getTime() - task!.createdAt.getTime()).toBe(30 * DAY);
        const login = await mongo.db.collection('event_logs').findOne({ type: 'user.login' });
        expect(login!.expiresAt.getTime() - login!.createdAt.getTime()).toBe(365 * DAY);
      } finally {
        await second.close();
      }
    });
  });

  describe('operations', () => {
    it('should publish system.maintenance.started from the admin endpoint', async () => {
      expect((await post('/api/v1/audit/admin/maintenance', 'auditor', { reason: 'index rebuild' })).statusCode).toBe(
        403,
      );
      const res = await post('/api/v1/audit/admin/maintenance', 'admin', { reason: 'index rebuild' });
      expect(res.statusCode).toBe(202);
      const [message] = await kafka.readAll(systemTopic, 1);
      const decoded = decodeEnvelope(message.value);
      expect(decoded).toMatchObject({ ok: true, envelope: { type: 'system.maintenance.started' } });
      expect(decoded.ok && decoded.envelope.eventId).toBe(res.json().eventId);
      // Signed with audit-service's own key, which may sign the system topic.
      expect(verifyEventSignature(systemTopic, message, config.events.verifyKeys)).toEqual({
        ok: true,
        keyId: config.events.signingKey.keyId,
      });
    });

    it('should refuse an expectedEndAt the event contract refuses with 400, not fail building the event', async () => {
      for (const expectedEndAt of ['2030-01-01', '2030-02-30T00:00:00Z', '2030-01-01T10:00:00']) {
        const res = await post('/api/v1/audit/admin/maintenance', 'admin', { reason: 'index rebuild', expectedEndAt });
        expect(res.statusCode).toBe(400);
        expect(res.json().errors).toEqual([expect.objectContaining({ field: 'expectedEndAt' })]);
      }
    });

    it('should report ready and expose the audit metrics', async () => {
      const management = (url: string) => managementServer(app).server.inject({ method: 'GET', url });
      expect((await get('/health/ready')).statusCode).toBe(404); // not on the public port
      const ready = await management('/health/ready');
      expect(ready.statusCode).toBe(200);
      expect(ready.json().checks.map((c: { name: string }) => c.name)).toEqual([
        'mongodb',
        'kafka-consumer',
        'ingest-progress',
        'migrations',
        'redis-sessions',
      ]);
      const metrics = (await management('/metrics')).body;
      for (const name of [
        'taskflow_audit_events_ingested_total',
        'taskflow_audit_duplicates_total',
        'taskflow_audit_dead_lettered_total',
        'taskflow_kafka_messages_consumed_total',
        'taskflow_kafka_consumer_lag',
      ]) {
        expect(metrics).toContain(name);
      }
    });
  });
});
