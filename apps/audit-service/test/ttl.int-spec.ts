import type { Connection, mongo } from 'mongoose';
import { execFileSync } from 'node:child_process';
import { runMigrations } from '../src/audit/infrastructure/persistence/migrations';
import { databaseOf, openMongoConnection } from '../src/audit/infrastructure/persistence/mongo-connection';
import { MONGO_BASE, uniqueName, waitFor } from './support';

jest.setTimeout(150_000);

/**
 * Decided before the tests are defined (synchronously, in a child process) so the test is reported as
 * skipped, not green: mongo-java-server answers buildInfo without gitVersion and never runs a TTL monitor.
 */
function standInReason(): string | undefined {
  if (process.env.TASKFLOW_MONGO_PROVIDER === 'mongo-java-server') return 'TASKFLOW_MONGO_PROVIDER=mongo-java-server';
  const probe = `const { MongoClient } = require('mongodb');
    MongoClient.connect(${JSON.stringify(MONGO_BASE)}, { serverSelectionTimeoutMS: 3000 })
      .then(async (c) => { const i = await c.db('admin').command({ buildInfo: 1 }); console.log(JSON.stringify(i)); await c.close(); });`;
  const info = JSON.parse(execFileSync(process.execPath, ['-e', probe], { cwd: __dirname, encoding: 'utf8' }));
  return info.gitVersion ? undefined : `buildInfo has no gitVersion (version ${info.version}): a stand-in server`;
}

const skipReason = standInReason();
if (skipReason) {
  console.log(`SKIPPED TTL deletion test: it needs a real mongod with a TTL monitor; ${skipReason}`);
}

describe('TTL deletion by the MongoDB TTL monitor', () => {
  const url = `${MONGO_BASE}/${uniqueName('audit_int_ttl').replace(/-/g, '_')}`;
  let connection: Connection;
  let db: mongo.Db;

  beforeAll(async () => {
    connection = await openMongoConnection(url, 3000);
    db = databaseOf(connection);
  });

  afterAll(async () => {
    await db?.dropDatabase();
    await connection?.close();
  });

  (skipReason ? it.skip : it)('should delete an event once its expiresAt has passed (real mongod only)', async () => {
    await runMigrations(db);
    const events = db.collection('event_logs');
    await events.insertOne({ eventId: 'ttl-1', type: 'user.login', expiresAt: new Date(Date.now() - 1000) });
    await events.insertOne({ eventId: 'ttl-2', type: 'user.login', expiresAt: new Date(Date.now() + 3_600_000) });
    // The TTL monitor wakes about every 60 s.
    await waitFor(async () => (await events.countDocuments({ eventId: 'ttl-1' })) === 0, 130_000, 2000);
    expect(await events.countDocuments({ eventId: 'ttl-2' })).toBe(1);
  });
});
