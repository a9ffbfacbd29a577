/** Runs SQL with positional parameters and returns rows (a pg Client's or a TypeORM DataSource's query). */
export type SqlQuery = (sql: string, params?: unknown[]) => Promise<Record<string, unknown>[]>;

export interface OutboxLag {
  sent: number;
  pending: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

const TABLE = /^[a-z_][a-z0-9_]*$/;

/**
 * Outbox publish lag of the rows of `table` created at or after `since`: row insert (in the write transaction)
 * → sent_at (stamped by the relay after the Kafka ack), computed in PostgreSQL.
 */
export async function outboxLag(query: SqlQuery, table: string, since = new Date(0)): Promise<OutboxLag> {
  if (!TABLE.test(table)) throw new Error(`invalid table name ${table}`);
  const [row] = await query(
    `SELECT count(*) FILTER (WHERE sent_at IS NOT NULL)::int AS sent,
            count(*) FILTER (WHERE sent_at IS NULL)::int AS pending,
            percentile_cont(0.5) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) * 1000 AS p50,
            percentile_cont(0.99) WITHIN GROUP (ORDER BY extract(epoch FROM sent_at - created_at)) * 1000 AS p99,
            max(extract(epoch FROM sent_at - created_at)) * 1000 AS max
     FROM "${table}" WHERE created_at >= $1`,
    [since],
  );
  return {
    sent: Number(row.sent),
    pending: Number(row.pending),
    p50Ms: Number(row.p50),
    p99Ms: Number(row.p99),
    maxMs: Number(row.max),
  };
}
