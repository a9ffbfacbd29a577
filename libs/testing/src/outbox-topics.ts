/** Outbox tables of user-service and task-service (their migrations). */
export const OUTBOX_TABLES = ['user_outbox', 'task_outbox'];

/** The part of a `pg` Client this needs. */
export interface SqlClient {
  query(sql: string): Promise<{ rows: Record<string, unknown>[] }>;
}

/**
 * Makes every outbox row of the connected (scratch) database go to `prefix + topic`: a BEFORE INSERT trigger on
 * each outbox table, so a test or bench run publishes nothing to the shared `taskflow.*` topics. Call it after the
 * services migrated and before the first write; throws when an outbox table already holds rows.
 */
export async function prefixOutboxTopics(client: SqlClient, prefix: string): Promise<void> {
  const literal = `'${prefix.replace(/'/g, "''")}'`;
  await client.query(
    `CREATE FUNCTION prefix_outbox_topic() RETURNS trigger AS $$ ` +
      `BEGIN NEW.topic := ${literal} || NEW.topic; RETURN NEW; END $$ LANGUAGE plpgsql`,
  );
  for (const table of OUTBOX_TABLES) {
    await client.query(
      `CREATE TRIGGER prefix_outbox_topic BEFORE INSERT ON "${table}" FOR EACH ROW EXECUTE FUNCTION prefix_outbox_topic()`,
    );
    const [{ count }] = (await client.query(`SELECT count(*)::int AS count FROM "${table}"`)).rows;
    if (count !== 0) throw new Error(`${table} had ${count} rows before the topic trigger existed`);
  }
}
