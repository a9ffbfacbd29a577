import { Db, MongoClient } from 'mongodb';

/**
 * The MongoDB connection through the native driver. Ingest and queries need the native collection anyway
 * (mongoose casting costs ~30x on bulk inserts), mongoose 9 bundles a second driver copy whose error
 * classes fail `instanceof` checks against this one, and indexes come from migrations, not model compilation.
 */
export class AuditDatabase {
  private constructor(private readonly client: MongoClient) {}

  static async connect(url: string, serverSelectionTimeoutMS: number): Promise<AuditDatabase> {
    // A short server selection timeout makes writes fail fast while MongoDB is down, so the consumer backs off.
    const client = new MongoClient(url, { serverSelectionTimeoutMS, appName: 'audit-service' });
    await client.connect();
    return new AuditDatabase(client);
  }

  get db(): Db {
    return this.client.db();
  }

  async ping(): Promise<void> {
    await this.db.command({ ping: 1 });
  }

  close(): Promise<void> {
    return this.client.close();
  }
}
