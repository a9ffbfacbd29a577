import { createLogger } from '@taskflow/nest-kit';
import { uniqueName } from '@taskflow/testing';
import mongoose from 'mongoose';
import { Writable } from 'node:stream';
import { logSlowCommands, mongoConnectOptions } from './mongo-connection';

/** Slow-command logging against the real MongoDB (or its stand-in): name and duration, never the filter values. */
describe('MongoDB slow-command log', () => {
  const lines: Record<string, unknown>[] = [];
  const logger = createLogger(
    'audit-slow-test',
    'info',
    new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(chunk.toString()));
        done();
      },
    }),
  );
  const url = () => {
    const base = new URL(process.env.MONGO_URL ?? 'mongodb://127.0.0.1:27017/taskflow');
    base.pathname = `/${uniqueName('slow').replace(/-/g, '_')}`;
    return base.toString();
  };

  beforeEach(() => (lines.length = 0));

  it('should warn for a command above the threshold without its documents', async () => {
    // A threshold far below any real round trip: every command counts as slow.
    const threshold = 0.000_001;
    const connection = await mongoose
      .createConnection(url(), mongoConnectOptions({ serverSelectionTimeoutMs: 3000 }, undefined, threshold))
      .asPromise();
    try {
      const probe = connection.db!.collection('probe');
      // Enough documents that the find takes at least a millisecond (the driver reports whole ms; 0 is not slow).
      await probe.insertMany(Array.from({ length: 2000 }, (_, i) => ({ i, email: `user${i}@example.com` })));
      logSlowCommands(connection.getClient(), logger, threshold);
      await probe.find({ email: 'hunter2@example.com' }).toArray();
    } finally {
      await connection.db!.dropDatabase().catch(() => undefined);
      await connection.close();
    }
    expect(lines).toContainEqual(expect.objectContaining({ level: 40, msg: 'slow query', command: 'find' }));
    expect(JSON.stringify(lines)).not.toContain('hunter2');
  });

  it('should not listen at all with threshold 0 (off)', async () => {
    const connection = await mongoose
      .createConnection(url(), mongoConnectOptions({ serverSelectionTimeoutMs: 3000 }, undefined, 0))
      .asPromise();
    try {
      logSlowCommands(connection.getClient(), logger, 0);
      await connection.db!.collection('probe').find({}).toArray();
    } finally {
      await connection.close();
    }
    expect(lines).toEqual([]);
  });
});
