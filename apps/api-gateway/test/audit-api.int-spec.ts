import { AUDIT_CSV_COLUMNS, Topics } from '@taskflow/contracts';
import { ensureKafkaTopics } from '@taskflow/infra';
import { MongoStandIn, startMongoStandIn } from '@taskflow/testing';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { startSystem, System, TestUser } from './support/system-harness';

// The analyst API through the gateway against a real audit-service (child process) on a private mongo-java-server
// (in-memory, so the bulk export data never weighs on the shared stand-in), with user- and task-service for logins.
// AUDIT_EXPORT_EVENTS=1000000 runs the streamed export with a million events (about 10 minutes and 6 GB of JVM heap
// for the stand-in on a 2-core machine); the suite's default is 100,000.
const EXPORT_EVENTS = Number(process.env.AUDIT_EXPORT_EVENTS ?? 100_000);
jest.setTimeout(Math.max(300_000, EXPORT_EVENTS * 2));

const BULK_ACTOR = 'system:bulk-load';
const ANALYST_ACTOR = randomUUID();
const CORRELATION = `corr-${randomUUID()}`;
const TASK_ID = randomUUID();
/** Non-ASCII text in every row: what the byte-order mark is for. */
const TITLE = 'Zürich – Überprüfung ✓ 東京';
/** About 2.8 kB per CSV row up to 100,000 events (280 MB), 480 bytes beyond (a million: 480 MB). */
const PADDING = 'x'.repeat(EXPORT_EVENTS > 100_000 ? 200 : 2500);
/** audit-service's V8 old-space cap here: an export held in memory could not fit, a streamed one must. */
const AUDIT_HEAP_MB = 128;
const BASE = Date.now() - 3 * 86_400_000;

/** The stored document of seed 001 (as audit-service writes it), the i-th of the bulk load: i ms after BASE. */
function storedEvent(i: number, overrides: Record<string, unknown> = {}) {
  const at = new Date(BASE + i);
  return {
    eventId: randomUUID(),
    type: 'task.created',
    schemaVersion: 1,
    actorId: BULK_ACTOR,
    entityType: 'task',
    entityId: randomUUID(),
    payload: { title: `${TITLE} #${i}`, description: PADDING },
    metadata: { timestamp: at, ipAddress: '203.0.113.7', userAgent: 'bulk/1.0 (test)', sessionId: `s-${i}` },
    correlationId: `bulk-${i}`,
    causationId: `cause-${i}`,
    createdAt: at,
    updatedAt: at,
    expiresAt: new Date(Date.now() + 365 * 86_400_000),
    ...overrides,
  };
}

/** Peak and current resident set of a process, bytes (Linux /proc). */
function memoryOf(pid: number): { peak: number; current: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { peak: kb('VmHWM'), current: kb('VmRSS') };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

describe('audit API through the gateway', () => {
  let mongo: MongoStandIn;
  let system: System;
  let auditor: TestUser;
  let admin: TestUser;
  let user: TestUser;
  const bulk = { first: '', last: '' };
  const systemTopic = `gw-audit.${randomUUID()}.${Topics.system}`;

  const viaGateway = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${system.http.baseUrl}/api/v1/audit/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  const direct = (path: string, token: string, init: RequestInit = {}) =>
    fetch(`${system.auditUrl}/api/v1/audit/${path}`, {
      ...init,
      headers: { authorization: `Bearer ${token}`, ...(init.body ? { 'content-type': 'application/json' } : {}) },
    });
  /** A problem without what differs per request (its correlation id). */
  const problemOf = async (response: Response) => {
    const { correlationId: _correlationId, ...problem } = (await response.json()) as Record<string, unknown>;
    return { status: response.status, contentType: response.headers.get('content-type'), problem };
  };

  /** Writes stored documents straight into audit-service's collection, in batches of 10,000. */
  const insertEvents = async (docs: Iterable<ReturnType<typeof storedEvent>>) => {
    const client = await MongoClient.connect(system.auditMongoUrl!);
    try {
      const events = client.db().collection('event_logs');
      let batch: ReturnType<typeof storedEvent>[] = [];
      for (const doc of docs) {
        batch.push(doc);
        if (batch.length === 10_000) {
          await events.insertMany(batch, { ordered: false });
          batch = [];
        }
      }
      if (batch.length > 0) await events.insertMany(batch, { ordered: false });
    } finally {
      await client.close();
    }
  };

  beforeAll(async () => {
    mongo = await startMongoStandIn({ maxHeap: EXPORT_EVENTS > 100_000 ? '8g' : '2g' });
    await ensureKafkaTopics(process.env.KAFKA_BROKERS ?? '127.0.0.1:9092', [systemTopic], { partitions: 1 });
    system = await startSystem({
      redisDb: 3,
      audit: true,
      auditMongoBase: mongo.url,
      // The stand-in sorts the whole range before its first batch (mongod walks the createdAt index instead): let
      // audit-service wait for it, and the gateway for audit-service's headers.
      auditEnv: {
        AUDIT_SYSTEM_TOPIC: systemTopic,
        MONGO_SOCKET_TIMEOUT_MS: String(Math.max(60_000, EXPORT_EVENTS)),
        NODE_OPTIONS: `--max-old-space-size=${AUDIT_HEAP_MB}`,
      },
      gatewayEnv: { RPC_TIMEOUT_MS: String(Math.max(60_000, EXPORT_EVENTS)) },
    });
    [auditor, admin, user] = await Promise.all([
      system.signUp('analyst', 'auditor'),
      system.signUp('audit-admin', 'admin'),
      system.signUp('plain'),
    ]);

    await insertEvents([
      storedEvent(-5, { type: 'user.login', actorId: ANALYST_ACTOR, entityType: 'user', entityId: ANALYST_ACTOR }),
      storedEvent(-4, { type: 'task.created', actorId: ANALYST_ACTOR, entityId: TASK_ID, correlationId: CORRELATION }),
      storedEvent(-3, { type: 'task.updated', actorId: ANALYST_ACTOR, entityId: TASK_ID, correlationId: CORRELATION }),
    ]);
  });

  afterAll(async () => {
    // The stand-in is gone after the last test, so the scratch database cannot be dropped (it dies with it).
    await system?.stop().catch(() => undefined);
    await mongo?.stop();
  });

  it('should answer each read route as audit-service does, for an auditor and an admin', async () => {
    const paths = [
      `events?actorId=${ANALYST_ACTOR}`,
      `events?type=task.&actorId=${ANALYST_ACTOR}&limit=1`,
      `entities/task/${TASK_ID}/history`,
      `correlations/${CORRELATION}`,
      `stats/by-type?actorId=${ANALYST_ACTOR}`,
      `stats/by-actor?type=user.login`,
      `stats/by-time?bucket=hour&actorId=${ANALYST_ACTOR}`,
    ];
    for (const path of paths) {
      for (const caller of [auditor, admin]) {
        const [gateway, service] = await Promise.all([viaGateway(path, caller.token), direct(path, auditor.token)]);
        expect({ path, status: gateway.status }).toEqual({ path, status: 200 });
        const body = (await gateway.json()) as { items: unknown[] };
        expect(body.items.length).toBeGreaterThan(0);
        expect(body).toEqual(await service.json());
      }
    }
    const page = (await (await viaGateway(`events?actorId=${ANALYST_ACTOR}`, auditor.token)).json()) as {
      items: { type: string; metadata: object; causationId: string }[];
    };
    expect(page.items.map((item) => item.type)).toEqual(['task.updated', 'task.created', 'user.login']);
    // Exports arrive byte for byte as audit-service streams them (NDJSON unchanged, CSV with its BOM).
    for (const path of [`export?actorId=${ANALYST_ACTOR}`, `export?format=csv&bom=true&actorId=${ANALYST_ACTOR}`]) {
      const [gateway, service] = await Promise.all([viaGateway(path, auditor.token), direct(path, auditor.token)]);
      expect(gateway.headers.get('content-type')).toBe(service.headers.get('content-type'));
      expect(Buffer.from(await gateway.arrayBuffer())).toEqual(Buffer.from(await service.arrayBuffer()));
    }
    expect(page.items[0]).toMatchObject({ causationId: 'cause--3', metadata: { ipAddress: '203.0.113.7' } });
  });

  it('should relay the history, legal-hold and operations routes as audit-service answers them', async () => {
    const at = new Date(BASE).toISOString();
    for (const [path, status] of [
      [`tasks/${TASK_ID}/timeline`, 200],
      [`tasks/${TASK_ID}/as-of?at=${at}`, 200],
      [`tasks/${TASK_ID}/as-of?at=yesterday`, 400],
      ['admin/legal-holds?active=true', 200],
      ['admin/dead-letters?limit=0', 400],
    ] as const) {
      const [gateway, service] = await Promise.all([viaGateway(path, admin.token), direct(path, admin.token)]);
      expect({ path, status: gateway.status }).toEqual({ path, status });
      const [ours, theirs] = [await gateway.json(), await service.json()];
      if (status === 200) expect(ours).toEqual(theirs);
      else
        expect({ ...(ours as object), correlationId: undefined }).toEqual({
          ...(theirs as object),
          correlationId: undefined,
        });
    }
    expect((await viaGateway('admin/legal-holds', auditor.token)).status).toBe(403);
  });

  it('should refuse a bad query at the gateway with the 400 audit-service gives', async () => {
    const bad = [
      'events?limit=201',
      'events?type=task.exploded&colour=red',
      'events?cursor=bogus',
      'events?from=2026-02-30T00:00:00Z',
      'stats/by-type?limit=10',
      'stats/by-time?bucket=month',
      'export?format=xml',
      'export?format=csv&bom=yes',
      'export?limit=1000001',
      'entities/task/not-a-uuid/history',
      `entities/task/${TASK_ID}/history?entityId=${TASK_ID}`,
      'correlations/%3Cscript%3E',
      // Empty is not absent: `?from=` is no "no bound" (attacker review).
      'events?from=',
      'events?to=2026-01-01T00:00:00Z&from=',
      'events?type=',
      'events?limit=',
      'events?cursor=',
      'stats/by-time?bucket=',
      'export?format=',
      `tasks/${TASK_ID}/as-of?at=`,
      `tasks/${TASK_ID}/timeline?field=`,
    ];
    for (const path of bad) {
      const gateway = await problemOf(await viaGateway(path, auditor.token));
      expect({ path, ...gateway }).toEqual({ path, ...(await problemOf(await direct(path, auditor.token))) });
      expect(gateway).toMatchObject({
        status: 400,
        contentType: expect.stringContaining('application/problem+json'),
        problem: { code: 'AUDIT.INVALID_FILTER', errors: expect.any(Array) },
      });
    }
  });

  it('should have no route but the declared ones under /audit (404 problem+json)', async () => {
    for (const [method, path] of [
      ['GET', 'anything-else'],
      ['GET', 'stats/by-month'],
      ['GET', 'admin/maintenance'],
      ['DELETE', 'events'],
      ['GET', '../../metrics'],
    ]) {
      const response = await viaGateway(path, admin.token, { method });
      expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
    }
  });

  it('should keep audit routes from plain users and the admin actions from auditors', async () => {
    for (const [method, path] of [
      ['GET', 'events'],
      ['GET', 'export?format=csv'],
      ['POST', 'admin/retention/restamp'],
    ]) {
      const response = await viaGateway(path, user.token, { method });
      expect({ path, ...(await problemOf(response)).problem }).toMatchObject({ path, code: 'AUTH.FORBIDDEN' });
    }
    for (const path of ['admin/retention/restamp', 'admin/maintenance']) {
      const response = await viaGateway(path, auditor.token, { method: 'POST', body: JSON.stringify({ reason: 'x' }) });
      expect({ path, status: response.status }).toEqual({ path, status: 403 });
    }
  });

  it('should run the admin actions with the admin role', async () => {
    const restamp = await viaGateway('admin/retention/restamp', admin.token, { method: 'POST' });
    expect(restamp.status).toBe(200);
    expect(await restamp.json()).toMatchObject({
      dryRun: false,
      updated: expect.any(Number),
      rules: expect.objectContaining({ 'task.*': expect.any(Number) }),
    });
    const dryRun = await viaGateway('admin/retention/restamp?dryRun=true', admin.token, { method: 'POST' });
    expect(await dryRun.json()).toMatchObject({ dryRun: true, updated: 0 });
    const badFlag = await problemOf(
      await viaGateway('admin/retention/restamp?dryRun=yes', admin.token, { method: 'POST' }),
    );
    expect(badFlag).toEqual(
      await problemOf(await direct('admin/retention/restamp?dryRun=yes', admin.token, { method: 'POST' })),
    );

    const tooShort = JSON.stringify({ reason: 'x', expectedEndAt: '2026-02-30T00:00:00Z' });
    const refused = await problemOf(
      await viaGateway('admin/maintenance', admin.token, { method: 'POST', body: tooShort }),
    );
    expect(refused).toEqual(
      await problemOf(await direct('admin/maintenance', admin.token, { method: 'POST', body: tooShort })),
    );
    expect(refused.problem).toMatchObject({ status: 400, errors: [{ field: 'reason' }, { field: 'expectedEndAt' }] });

    const body = JSON.stringify({ reason: 'Database upgrade', expectedEndAt: '2030-01-01T02:00:00Z' });
    const started = await viaGateway('admin/maintenance', admin.token, { method: 'POST', body });
    expect(started.status).toBe(202);
    expect(await started.json()).toEqual({ eventId: expect.stringMatching(/^[0-9a-f-]{36}$/) });
  });

  it(`should stream a CSV export of ${EXPORT_EVENTS} events with a BOM through the gateway, holding neither copy`, async () => {
    const loading = Date.now();
    await insertEvents(
      (function* () {
        for (let i = 0; i < EXPORT_EVENTS; i++) {
          const event = storedEvent(i);
          if (i === 0) bulk.last = event.eventId;
          if (i === EXPORT_EVENTS - 1) bulk.first = event.eventId;
          yield event;
        }
      })(),
    );
    console.log(`[audit-api] ${EXPORT_EVENTS} events loaded into mongo-java-server in ${Date.now() - loading} ms`);

    const rssBefore = process.memoryUsage().rss;
    const auditPid = system.auditService!.child.pid!;
    const auditBefore = memoryOf(auditPid);
    let rssPeak = rssBefore;
    const sampler = setInterval(() => (rssPeak = Math.max(rssPeak, process.memoryUsage().rss)), 50);
    const started = Date.now();
    let bytes = 0;
    let rows = 0;
    let head = Buffer.alloc(0);
    let tail = Buffer.alloc(0);
    try {
      const response = await viaGateway(`export?format=csv&bom=true&actorId=${BULK_ACTOR}`, auditor.token);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe('text/csv; charset=utf-8');
      expect(response.headers.get('content-disposition')).toBe('attachment; filename="audit-events.csv"');
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        const buffer = Buffer.from(chunk);
        bytes += buffer.length;
        for (let at = buffer.indexOf(0x0a); at !== -1; at = buffer.indexOf(0x0a, at + 1)) rows += 1;
        if (head.length < 8192) head = Buffer.concat([head, buffer]).subarray(0, 8192);
        tail = Buffer.concat([tail, buffer]).subarray(-8192);
      }
    } finally {
      clearInterval(sampler);
    }
    const seconds = (Date.now() - started) / 1000;
    const audit = memoryOf(auditPid);

    expect(head.subarray(0, 3)).toEqual(Buffer.from([0xef, 0xbb, 0xbf]));
    const [header, first] = head.subarray(3).toString('utf8').split('\r\n');
    expect(header).toBe(AUDIT_CSV_COLUMNS.join(','));
    expect(first.startsWith(`${bulk.first},task.created,1,`)).toBe(true);
    expect(first).toContain(`${TITLE} #${EXPORT_EVENTS - 1}`);
    expect(
      first.endsWith(
        `,cause-${EXPORT_EVENTS - 1},${new Date(BASE + EXPORT_EVENTS - 1).toISOString()},203.0.113.7,bulk/1.0 (test),s-${EXPORT_EVENTS - 1}`,
      ),
    ).toBe(true);
    const lines = tail.toString('utf8').split('\r\n');
    expect(lines.at(-1)).toBe('');
    expect(lines.at(-2)!.startsWith(`${bulk.last},task.created,1,`)).toBe(true);
    expect(rows).toBe(EXPORT_EVENTS + 1);

    const gatewayGrowth = rssPeak - rssBefore;
    const auditGrowth = audit.peak - auditBefore.current;
    console.log(
      `[audit-api] export of ${EXPORT_EVENTS} events: ${mb(bytes)} in ${seconds.toFixed(1)} s; ` +
        `gateway (test process) RSS ${mb(rssBefore)} -> peak ${mb(rssPeak)} (+${mb(gatewayGrowth)}); ` +
        `audit-service RSS ${mb(auditBefore.current)} -> peak ${mb(audit.peak)} (+${mb(auditGrowth)})`,
    );
    // Holding the export (or one copy of it) would grow a process by at least its size; audit-service could not
    // even hold it (AUDIT_HEAP_MB). What remains is garbage the collector has not reclaimed yet.
    expect(bytes).toBeGreaterThan(2 * AUDIT_HEAP_MB * 1024 * 1024 * 0.85);
    expect(gatewayGrowth).toBeLessThan(bytes / 2);
    expect(auditGrowth).toBeLessThan(bytes / 2);
  });

  it('should stop reading from audit-service while the caller does not read, and stop it when the caller leaves', async () => {
    // The events of the previous test are still there: an export that would take seconds of audit-service CPU.
    const pid = system.auditService!.child.pid!;
    const cpuTicks = () => {
      const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
      return Number(fields[11]) + Number(fields[12]); // utime + stime, in clock ticks (1/100 s)
    };
    const idleFor = async (ms: number) => {
      const before = cpuTicks();
      await new Promise((resolve) => setTimeout(resolve, ms));
      return cpuTicks() - before;
    };
    const caller = new AbortController();
    const response = await viaGateway(`export?format=csv&actorId=${BULK_ACTOR}`, auditor.token, {
      signal: caller.signal,
    });
    const reader = response.body!.getReader();
    expect((await reader.read()).done).toBe(false);
    const rssPaused = process.memoryUsage().rss;
    await idleFor(3000); // the socket and stream buffers fill up, then backpressure holds audit-service
    // Streaming flat out, audit-service used a whole core (about 300 ticks in 3 s); held back, it idles.
    expect(await idleFor(3000)).toBeLessThan(60);
    expect(process.memoryUsage().rss - rssPaused).toBeLessThan(64 * 1024 * 1024);
    caller.abort();
    await new Promise((resolve) => setTimeout(resolve, 1000));
    expect(await idleFor(3000)).toBeLessThan(60);
    expect((await viaGateway('stats/by-type', auditor.token)).status).toBe(200);
  });

  it('should pass on audit-service problems, and answer 503 with Retry-After when it is unreachable', async () => {
    await mongo.stop();
    const storeDown = await viaGateway('stats/by-type', auditor.token);
    expect(storeDown.status).toBe(503);
    expect(storeDown.headers.get('retry-after')).toMatch(/^\d+$/);
    expect((await problemOf(storeDown)).problem).toMatchObject({ code: 'DATABASE.UNAVAILABLE' });

    await system.auditService!.stop();
    const serviceDown = await viaGateway('events', auditor.token);
    expect(serviceDown.status).toBe(503);
    expect(serviceDown.headers.get('retry-after')).toBe('5');
    expect((await problemOf(serviceDown)).problem).toMatchObject({ code: 'SERVICE.UNAVAILABLE' });
    const exportDown = await viaGateway('export?format=csv', auditor.token);
    expect(exportDown.status).toBe(503);
  });
});
