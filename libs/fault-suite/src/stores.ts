import { MongoClient } from 'mongodb';
import { Client } from 'pg';

/**
 * Read-only views of what the system stored for one load-generating user: its tasks in PostgreSQL, their
 * outbox rows, and the task.created events in the audit store (event_logs). Fresh connections per call, so
 * a terminated backend or a stopped MongoDB only fails that call.
 */
export class Stores {
  constructor(
    private readonly databaseUrl: string,
    private readonly auditMongoUrl: string,
  ) {}

  private async pg<T>(fn: (client: Client) => Promise<T>): Promise<T> {
    const client = new Client({ connectionString: this.databaseUrl, connectionTimeoutMillis: 5000 });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /** Ids of the user's tasks, optionally only those created up to `until`. */
  async tasks(userId: string, until?: Date): Promise<Set<string>> {
    const { rows } = await this.pg((client) =>
      client.query<{ id: string }>(
        `SELECT id FROM tasks WHERE creator_id = $1 AND ($2::timestamptz IS NULL OR created_at <= $2)`,
        [userId, until ?? null],
      ),
    );
    return new Set(rows.map((row) => row.id));
  }

  /** Tasks without their task.created outbox row (a half-written create). */
  async tasksWithoutOutboxRow(userId: string): Promise<number> {
    const { rows } = await this.pg((client) =>
      client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM tasks t WHERE t.creator_id = $1 AND NOT EXISTS (
           SELECT 1 FROM task_outbox o WHERE o.message_key = t.id::text AND o.event_type = 'task.created')`,
        [userId],
      ),
    );
    return rows[0].n;
  }

  /** Outbox rows not yet published (whole database), optionally only those created up to `until`. */
  async outboxPending(until?: Date): Promise<number> {
    const { rows } = await this.pg((client) =>
      client.query<{ n: number }>(
        `SELECT count(*)::int AS n FROM task_outbox
         WHERE sent_at IS NULL AND ($1::timestamptz IS NULL OR created_at <= $1)`,
        [until ?? null],
      ),
    );
    return rows[0].n;
  }

  /** event_id of every outbox row of the user's task.created events. */
  async outboxEventIds(userId: string): Promise<string[]> {
    const { rows } = await this.pg((client) =>
      client.query<{ event_id: string }>(
        `SELECT o.event_id FROM task_outbox o JOIN tasks t ON o.message_key = t.id::text
         WHERE t.creator_id = $1 AND o.event_type = 'task.created'`,
        [userId],
      ),
    );
    return rows.map((row) => row.event_id);
  }

  /** task.created events of the user in the audit store: entityId → how many documents. */
  async auditedTaskCreations(userId: string): Promise<Map<string, number>> {
    const client = new MongoClient(this.auditMongoUrl, {
      serverSelectionTimeoutMS: 2000,
      connectTimeoutMS: 2000,
      socketTimeoutMS: 10_000,
    });
    try {
      await client.connect();
      const docs = await client
        .db()
        .collection('event_logs')
        .find({ type: 'task.created', actorId: userId }, { projection: { entityId: 1 } })
        .toArray();
      const counts = new Map<string, number>();
      for (const doc of docs) counts.set(doc.entityId as string, (counts.get(doc.entityId as string) ?? 0) + 1);
      return counts;
    } finally {
      await client.close().catch(() => undefined);
    }
  }

  /** Terminates every connection to the database except our own (the PostgreSQL fault). Returns how many. */
  async terminateConnections(database: string): Promise<number> {
    const { rows } = await this.pg((client) =>
      client.query<{ pid: number }>(
        // The filter runs in the subquery: a WHERE with pg_terminate_backend beside it may terminate us first.
        `SELECT pg_terminate_backend(pid) AS pid
         FROM (SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()) AS others`,
        [database],
      ),
    );
    return rows.length;
  }
}
