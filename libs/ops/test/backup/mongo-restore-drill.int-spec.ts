import { mongoToolsMissing, runMongoDrill } from '../../src/backup/mongo-restore-drill';
import { MongoClient } from 'mongodb';

jest.setTimeout(120_000);

const missing = mongoToolsMissing();
if (missing) {
  // Written straight to stderr: Jest shows no console output for a file whose tests are all skipped.
  process.stderr.write(`SKIPPED MongoDB restore drill: ${missing}.\n`);
  describe('MongoDB restore drill', () => {
    it.skip(`SKIPPED: ${missing}`, () => undefined);
  });
}

(missing ? () => undefined : describe)('MongoDB restore drill (mongodump/mongorestore)', () => {
  const base = process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/taskflow_audit';
  const db = `tf_mongo_drill_${Date.now()}`;
  const url = (() => {
    const u = new URL(base);
    u.pathname = `/${db}`;
    return u.toString();
  })();

  afterAll(async () => {
    const client = new MongoClient(url);
    await client.connect();
    await client.db(db).dropDatabase();
    await client.close();
  });

  it('dumps the audit database, restores it under a scratch name and finds it identical', async () => {
    const client = new MongoClient(url);
    await client.connect();
    await client
      .db(db)
      .collection('event_logs')
      .insertMany(Array.from({ length: 500 }, (_, i) => ({ eventId: `e${i}`, type: 'task.created', n: i })));
    await client.close();
    const result = await runMongoDrill({ mongoUrl: url });
    expect(result.ok).toBe(true);
    expect(result.collections.find((c) => c.name === 'event_logs')?.source).toMatch(/^500\//);
  });
});
