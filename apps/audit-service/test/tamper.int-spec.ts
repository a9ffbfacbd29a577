import { signedMessage } from '@taskflow/testing';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createEnvelope, EventEnvelope, EventType, VerifyReport, Events } from '@taskflow/contracts';
import fc from 'fast-check';
import { Db, Document, MongoClient, ObjectId } from 'mongodb';
import { spawnSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { verifyChains } from '../src/audit/application/verify-chains';
import { ChainedEventLog, IN_FLIGHT_MS, recordHash } from '../src/audit/domain/record-chain';
import { RetentionPolicy } from '../src/audit/domain/retention-policy';
import { ChainRepository } from '../src/audit/infrastructure/persistence/chain.repository';
import { AuditConfig } from '../src/config/audit.config';
import {
  KafkaFixture,
  MONGO_BASE,
  openDb,
  sampleEvent,
  startApp,
  testConfig,
  token,
  testTopic,
  uniqueName,
  waitFor,
} from './support';

jest.setTimeout(180_000);

const DAY = 86_400_000;
/** Fixed so a failure can be replayed; each run tampers with one record and restores it. */
const PROPERTY_SEED = 20261129;
const PROPERTY_RUNS = 45;

type StoredRecord = ChainedEventLog & { _id: ObjectId };

/**
 * Tamper evidence (issue 13 part 3) against the real Kafka and the MongoDB protocol server: events go through the
 * ingest, then records are edited, deleted or forged directly in MongoDB, as someone with write access would.
 */
describe('tamper evidence: hash chains and signed checkpoints (real Kafka + MongoDB protocol server)', () => {
  const kafka = new KafkaFixture();
  const topics = {
    task: testTopic('audit-int-chain', 'task'),
    user: testTopic('audit-int-chain', 'user'),
    system: testTopic('audit-int-chain', 'system'),
  };
  const dbName = uniqueName('audit_int_chain').replace(/-/g, '_');
  let mongo: { client: MongoClient; db: Db };
  let app: NestFastifyApplication;
  let config: AuditConfig;
  let expected = 0;

  const records = () => mongo.db.collection<StoredRecord>('event_logs');
  const topicOf = (event: EventEnvelope) =>
    event.entityType === 'user' ? topics.user : event.entityType === 'task' ? topics.task : topics.system;
  const publish = async (events: EventEnvelope[]) => {
    for (const topic of Object.values(topics))
      await kafka.publish(
        topic,
        events.filter((e) => topicOf(e) === topic),
      );
    expected += events.length;
  };
  /**
   * Everything ingested so far (and a margin for clock differences), judged after the in-flight grace: a record
   * written less than IN_FLIGHT_MS ago without a checkpoint is not reported yet (its checkpoint may be on its way).
   */
  const verify = (options: { now?: Date; policy?: RetentionPolicy } = {}) =>
    verifyChains(app.get(ChainRepository), new Date(0), new Date(Date.now() + 60_000), {
      key: config.chain.checkpointKey,
      policy: options.policy ?? config.retention,
      now: options.now ?? new Date(Date.now() + 2 * IN_FLIGHT_MS),
    });
  const get = async (path: string, role: 'admin' | 'auditor' | 'user' = 'auditor') =>
    app.inject({ method: 'GET', url: path, headers: { authorization: `Bearer ${token(role)}` } });

  beforeAll(async () => {
    await kafka.connect();
    await kafka.createTopics(Object.values(topics));
    mongo = await openDb(`${MONGO_BASE}/${dbName}`);
    config = testConfig({
      MONGO_URL: `${MONGO_BASE}/${dbName}`,
      AUDIT_TOPICS: Object.values(topics).join(','),
      AUDIT_SYSTEM_TOPIC: topics.system,
      AUDIT_CONSUMER_GROUP: uniqueName('audit-int-chain'),
      AUDIT_BATCH_SIZE: '7', // several segments per chain
    });
    app = await startApp(config);
    // Old events (past their retention already: what TTL deletes) interleaved with fresh ones of every class, so
    // chunks mix them: an old record's expiry must never excuse the deletion of a fresh one next to it.
    const old = Array.from({ length: 24 }, (_, i) => sampleEvent(i, { occurredAt: new Date(Date.now() - 3000 * DAY) }));
    const fresh = Array.from({ length: 60 }, (_, i) => sampleEvent(i));
    const mixed = fresh.flatMap((event, i) =>
      i % 5 === 0 ? [event, old[(i / 5) * 2], old[(i / 5) * 2 + 1]] : [event],
    );
    expect(mixed).toHaveLength(84);
    await publish(mixed);
    await waitFor(async () => {
      const report = await verify();
      return report.intact && report.checked === expected;
    }, 60_000);
  });

  afterAll(async () => {
    await app?.close().catch(() => undefined);
    await mongo?.db.dropDatabase();
    await mongo?.client.close();
    await kafka.close();
  });

  it('should prove everything ingested intact through the API, for admins and auditors only', async () => {
    const res = await get('/api/v1/audit/verify?from=2000-01-01T00:00:00Z');
    expect(res.statusCode).toBe(200);
    const report = res.json<VerifyReport>();
    expect(report).toMatchObject({ intact: true, checked: expected });
    expect(report.firstBreak).toBeUndefined();
    // A chain per (topic, partition, type); seqs without holes, as many as records.
    expect(report.chains.reduce((sum, chain) => sum + chain.lastSeq - chain.firstSeq + 1, 0)).toBe(expected);
    const stored = await records().find().toArray();
    expect(stored.every((r) => r.chain === `${r.chain.split('/')[0]}/${r.chain.split('/')[1]}/${r.type}`)).toBe(true);

    expect((await get('/api/v1/audit/verify', 'admin')).json()).toMatchObject({ intact: true });
    expect((await get('/api/v1/audit/verify', 'user')).statusCode).toBe(403);
    const bad = await get('/api/v1/audit/verify?from=2026-02-30T00:00:00Z&limit=3');
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['content-type']).toContain('application/problem+json');
    expect(
      bad
        .json()
        .errors.map((e: { field: string }) => e.field)
        .sort(),
    ).toEqual(['from', 'limit']);
    // A range in which nothing was ingested proves nothing and breaks nothing.
    expect((await get('/api/v1/audit/verify?from=2001-01-01T00:00:00Z&to=2001-02-01T00:00:00Z')).json()).toEqual({
      intact: true,
      checked: 0,
      chains: [],
    });
  });

  it('should answer through the CLI with exit code 0 intact, 1 broken, 2 bad arguments', async () => {
    const cli = (...args: string[]) =>
      spawnSync(process.execPath, ['-r', '@swc-node/register', 'apps/audit-service/src/verify.ts', ...args], {
        cwd: `${__dirname}/../../..`,
        env: { ...process.env, MONGO_URL: `${MONGO_BASE}/${dbName}`, LOG_LEVEL: 'silent' },
        encoding: 'utf8',
        timeout: 60_000,
      });
    const intact = cli('--from', '2000-01-01T00:00:00Z');
    expect(intact.status).toBe(0);
    expect(JSON.parse(intact.stdout)).toMatchObject({ intact: true, checked: expected });
    const victim = (await records().findOne({ type: EventType.UserRegistered, expiresAt: { $gt: new Date() } }))!;
    await records().deleteOne({ _id: victim._id });
    const broken = cli();
    await records().insertOne(victim);
    expect(broken.status).toBe(1);
    expect(JSON.parse(broken.stdout).firstBreak).toMatchObject({
      kind: 'removed',
      chain: victim.chain,
      seq: victim.seq,
    });
    const bad = cli('--from', '2026-02-30T00:00:00Z');
    expect(bad.status).toBe(2);
    expect(bad.stderr).toContain('--from 2026-02-30T00:00:00Z: expected --from/--to with an RFC 3339 date-time');
  });

  it('should not hash what changes legitimately: retention re-stamps and legal-hold fields', async () => {
    const target = await records().findOne({ type: EventType.UserRegistered });
    await records().updateOne(
      { _id: target!._id },
      { $set: { expiresAt: new Date(Date.now() + 9000 * DAY), legalHolds: ['case-42'], heldExpiresAt: new Date() } },
    );
    expect(await verify()).toMatchObject({ intact: true, checked: expected });
    await records().replaceOne({ _id: target!._id }, target!);
  });

  it('should name every single-record edit, deletion and insertion made directly in MongoDB (property, 100 %)', async () => {
    const all = (await records().find().sort({ chain: 1, seq: 1 }).toArray()) as StoredRecord[];
    const now = Date.now();
    const fresh = all.filter((r) => r.expiresAt!.getTime() > now);
    const tamper = fc.oneof(
      fc.record({
        op: fc.constant('edit' as const),
        index: fc.nat({ max: all.length - 1 }),
        field: fc.constantFrom(...EDITABLE_FIELDS),
        rehash: fc.boolean(),
      }),
      fc.record({ op: fc.constant('delete' as const), index: fc.nat({ max: fresh.length - 1 }) }),
      fc.record({
        op: fc.constant('insert' as const),
        index: fc.nat({ max: all.length - 1 }),
        placement: fc.constantFrom('outside-any-chain', 'after-the-chain-head'),
      }),
    );
    let caught = 0;
    await fc.assert(
      fc.asyncProperty(tamper, async (t) => {
        let identifies: (report: VerifyReport) => boolean;
        let restore: () => Promise<unknown>;
        if (t.op === 'edit') {
          const original = all[t.index];
          const edited = editField(original, t.field, t.rehash);
          await records().replaceOne({ _id: original._id }, edited);
          identifies = ({ firstBreak: b }) =>
            (b?.chain === original.chain && b?.seq === original.seq) || b?.eventId === edited.eventId;
          restore = () => records().replaceOne({ _id: original._id }, original);
        } else if (t.op === 'delete') {
          const original = fresh[t.index];
          await records().deleteOne({ _id: original._id });
          identifies = ({ firstBreak: b }) =>
            b?.kind === 'removed' && b.chain === original.chain && b.seq === original.seq;
          restore = () => records().insertOne(original);
        } else {
          const forged = await forge(all[t.index], t.placement);
          identifies = ({ firstBreak: b }) => b?.kind === 'inserted' && b.eventId === forged.eventId;
          restore = () => records().deleteOne({ _id: forged._id });
        }
        const report = await verify();
        await restore();
        expect(report.intact).toBe(false);
        if (!identifies(report))
          throw new Error(`${JSON.stringify(t)} reported as ${JSON.stringify(report.firstBreak)}`);
        caught += 1;
      }),
      { seed: PROPERTY_SEED, numRuns: PROPERTY_RUNS, endOnFailure: true },
    );
    expect(caught).toBe(PROPERTY_RUNS);
    expect(await verify()).toMatchObject({ intact: true, checked: expected });
  });

  it('should survive TTL expiry of old segments and still name the deletion of an unexpired record', async () => {
    const now = new Date();
    // What the TTL monitor does (the stand-in has none): delete every record past its expiresAt.
    const expired = await records().deleteMany({ expiresAt: { $lte: now } });
    expect(expired.deletedCount).toBe(24);
    const afterTtl = await verify();
    expect(afterTtl).toMatchObject({ intact: true, checked: expected - 24 });
    expect(afterTtl.chains.reduce((sum, chain) => sum + chain.expired, 0)).toBe(24);

    const victim = await records().findOne({ type: EventType.UserRegistered });
    await records().deleteOne({ _id: victim!._id });
    expect((await verify()).firstBreak).toMatchObject({ kind: 'removed', chain: victim!.chain, seq: victim!.seq });
    expect((await get('/api/v1/audit/verify')).json().firstBreak).toMatchObject({ kind: 'removed', seq: victim!.seq });
    // Once the unexpired ones could have expired as well (7 years on), every deletion is accepted as expiry.
    expect(await verify({ now: new Date(now.getTime() + 3000 * DAY) })).toMatchObject({ intact: true });
    await records().insertOne(victim!);

    // A retention policy shortened since ingest (records re-stamped, then deleted by TTL) is not a deletion either.
    const shorter = RetentionPolicy.from(
      { ...config.retention.rules, 'task.*': 1 },
      config.retention.entries().map(([type]) => type),
    );
    const tasks = await records().find({ entityType: 'task' }).toArray();
    await records().deleteMany({ entityType: 'task' });
    expect((await verify()).firstBreak).toMatchObject({ kind: 'removed' });
    expect(await verify({ policy: shorter, now: new Date(now.getTime() + 2 * DAY) })).toMatchObject({ intact: true });
    await records().insertMany(tasks);
    expect(await verify()).toMatchObject({ intact: true, checked: expected - 24 });
  });

  it('should seal, on the next chunk, records a crash left without checkpoint, and report them until then', async () => {
    // A crash between the insert and the checkpoint write: the chain's last checkpoint is not there.
    const checkpoints = mongo.db.collection('audit_checkpoints');
    const taskCheckpoints = await checkpoints.find({ chain: new RegExp(`^${topics.task}/`) }).toArray();
    const perChain = new Map<string, Document[]>();
    for (const checkpoint of taskCheckpoints)
      perChain.set(checkpoint.chain, [...(perChain.get(checkpoint.chain) ?? []), checkpoint]);
    const lastOf = (chain: Document[]) => [...chain].sort((a, b) => b.firstSeq - a.firstSeq)[0];
    // A chain whose last segment has not expired (a missing checkpoint of an expired segment is excused).
    const longest = [...perChain.values()]
      .filter((chain) => lastOf(chain).minExpiresAt.getTime() > Date.now())
      .sort((a, b) => b.length - a.length)[0];
    expect(longest.length).toBeGreaterThan(1);
    const last = lastOf(longest);
    await checkpoints.deleteOne({ _id: last._id });
    const unsealed = await verify();
    expect(unsealed.firstBreak).toMatchObject({ kind: 'inserted', chain: last.chain, seq: last.firstSeq });

    // The restarted consumer reloads the head (a rebalance forgets cached heads) and goes on in that chain.
    app.get(ChainRepository).forget();
    const partition = Number(last.chain.split('/')[1]);
    const taskId = randomUUID();
    const next = createEnvelope(Events.TaskStatusChanged, {
      actorId: randomUUID(),
      entityId: taskId,
      payload: { taskId, from: 'todo', to: 'in_progress', version: 2 },
    });
    expect(last.type).toBe(EventType.TaskStatusChanged);
    await kafka.producer.send({ topic: topics.task, messages: [{ ...signedMessage(next), partition }] });
    expected += 1;
    // The unsealed records may still be in flight (IN_FLIGHT_MS): the ingest retries until it may seal them.
    await waitFor(async () => (await verify()).intact, 2 * IN_FLIGHT_MS + 30_000, 1000);
    const resealed = await checkpoints.findOne({ chain: last.chain, firstSeq: last.firstSeq });
    expect(resealed).toMatchObject({ lastSeq: last.lastSeq, lastHash: last.lastHash, mac: last.mac });
    expect((await records().findOne({ eventId: next.eventId }))!.seq).toBe(last.lastSeq + 1);
  });

  it('should not report a record without checkpoint while it may be in flight, and report it after', async () => {
    const source = (await records().findOne({ type: EventType.UserLogin }))!;
    const forged = await forge(source, 'outside-any-chain', new Date());
    const now = new Date(forged.updatedAt.getTime() + 1000);
    expect(await verify({ now })).toMatchObject({ intact: true });
    const later = new Date(forged.updatedAt.getTime() + IN_FLIGHT_MS + 1000);
    expect((await verify({ now: later })).firstBreak).toMatchObject({ kind: 'inserted', eventId: forged.eventId });
    await records().deleteOne({ _id: forged._id });
  });

  /** A copy of `source` under a new eventId and other content, placed where an intruder would put it. */
  async function forge(
    source: StoredRecord,
    placement: 'outside-any-chain' | 'after-the-chain-head',
    updatedAt = source.updatedAt,
  ) {
    const { _id: _source, chain, seq: _seq, prevHash: _prevHash, hash: _hash, ...content } = source;
    const forged: Document = {
      ...content,
      _id: new ObjectId(),
      eventId: randomUUID(),
      actorId: randomUUID(),
      updatedAt,
    };
    if (placement === 'after-the-chain-head') {
      const head = (await records().find({ chain }).sort({ seq: -1 }).limit(1).next())!;
      const link = { chain, seq: head.seq + 1, prevHash: head.hash };
      Object.assign(forged, link, { hash: recordHash(forged as ChainedEventLog, link) });
    }
    await records().insertOne(forged as StoredRecord);
    return forged as StoredRecord;
  }
});

const EDITABLE_FIELDS = [
  'eventId',
  'type',
  'schemaVersion',
  'actorId',
  'entityType',
  'entityId',
  'correlationId',
  'causationId',
  'metadata',
  'payload',
  'createdAt',
  'prevHash',
  'hash',
  'seq',
] as const;

/** `record` with one field changed; `rehash` recomputes the record's own hash, as an intruder who read the code would. */
function editField(record: StoredRecord, field: (typeof EDITABLE_FIELDS)[number], rehash: boolean): StoredRecord {
  const edited: StoredRecord = { ...record };
  switch (field) {
    case 'schemaVersion':
    case 'seq':
      edited[field] = record[field] + 1000;
      break;
    case 'createdAt':
      edited.createdAt = new Date(record.createdAt.getTime() - 1);
      break;
    case 'metadata':
      edited.metadata = { ...record.metadata, ipAddress: '203.0.113.7' };
      break;
    case 'payload':
      edited.payload = { ...record.payload, forged: true };
      break;
    case 'prevHash':
    case 'hash':
      edited[field] = 'e'.repeat(64);
      break;
    default:
      edited[field] = `${record[field] ?? ''}x`;
  }
  if (rehash && field !== 'hash') edited.hash = recordHash(edited, edited);
  return edited;
}
