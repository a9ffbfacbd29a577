import type { mongo } from 'mongoose';
import { EVENT_LOG_CONFLICTS, EVENT_LOGS, LEGAL_HOLDS, RETENTION_STAMPS } from './event-log.schema';

/** mongoose's copy of the driver: the app's only connection to MongoDB is the mongoose one. */
type Db = mongo.Db;

export const SCHEMA_MIGRATIONS = 'schema_migrations';

/** A versioned, forward-only change of the `event_logs` schema (seed 001 "MongoDB Schema Updates"). */
export interface Migration {
  version: number;
  description: string;
  up(db: Db): Promise<void>;
}

export const MIGRATIONS: Migration[] = [
  {
    version: 1,
    description: 'event_logs collection with the query indexes of seed 001',
    async up(db) {
      const exists = await db.listCollections({ name: EVENT_LOGS }).hasNext();
      if (!exists) await db.createCollection(EVENT_LOGS);
      await db
        .collection(EVENT_LOGS)
        .createIndexes([
          { key: { type: 1, createdAt: -1 } },
          { key: { actorId: 1, createdAt: -1 } },
          { key: { entityId: 1, entityType: 1, createdAt: -1 } },
          { key: { correlationId: 1 } },
          { key: { createdAt: -1 } },
          { key: { 'metadata.timestamp': -1 } },
          { key: { entityType: 1, type: 1, createdAt: -1 } },
        ]);
    },
  },
  {
    version: 2,
    description: 'unique eventId: the idempotency key that turns redeliveries into counted duplicates',
    async up(db) {
      await db.collection(EVENT_LOGS).createIndex({ eventId: 1 }, { unique: true, name: 'eventId_unique' });
    },
  },
  {
    version: 3,
    description: 'one TTL index on expiresAt, stamped per event class at ingest (TTL indexes must be single-field)',
    async up(db) {
      await db.collection(EVENT_LOGS).createIndex({ expiresAt: 1 }, { expireAfterSeconds: 0, name: 'expiresAt_ttl' });
    },
  },
  {
    version: 4,
    description:
      'event_log_conflicts: an eventId seen again with other content, both contents kept; one record per variant',
    async up(db) {
      const exists = await db.listCollections({ name: EVENT_LOG_CONFLICTS }).hasNext();
      if (!exists) await db.createCollection(EVENT_LOG_CONFLICTS);
      await db
        .collection(EVENT_LOG_CONFLICTS)
        .createIndex({ eventId: 1, receivedSha256: 1 }, { unique: true, name: 'eventId_variant_unique' });
    },
  },
  {
    version: 5,
    description:
      'legal holds: the legal_holds and retention_stamps collections (no TTL), legalHoldIds index on event_logs',
    async up(db) {
      for (const name of [LEGAL_HOLDS, RETENTION_STAMPS]) {
        if (!(await db.listCollections({ name }).hasNext())) await db.createCollection(name);
      }
      // Sparse: only held records carry the field; a release finds its records through it.
      await db.collection(EVENT_LOGS).createIndex({ legalHoldIds: 1 }, { sparse: true, name: 'legalHoldIds' });
    },
  },
];

interface MigrationRecord {
  _id: number;
  description: string;
  appliedAt: Date;
}

export async function pendingMigrations(db: Db, migrations = MIGRATIONS): Promise<Migration[]> {
  const applied = await db
    .collection<MigrationRecord>(SCHEMA_MIGRATIONS)
    .find({}, { projection: { _id: 1 } })
    .toArray();
  const done = new Set(applied.map((record) => record._id));
  return migrations.filter((migration) => !done.has(migration.version)).sort((a, b) => a.version - b.version);
}

/** Applies the pending migrations in order and records each; steps are idempotent, so a concurrent run is harmless. */
export async function runMigrations(db: Db, migrations = MIGRATIONS): Promise<number[]> {
  const applied: number[] = [];
  for (const migration of await pendingMigrations(db, migrations)) {
    await migration.up(db);
    await db
      .collection<MigrationRecord>(SCHEMA_MIGRATIONS)
      .updateOne(
        { _id: migration.version },
        { $setOnInsert: { description: migration.description, appliedAt: new Date() } },
        { upsert: true },
      );
    applied.push(migration.version);
  }
  return applied;
}
