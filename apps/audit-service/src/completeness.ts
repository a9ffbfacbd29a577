import { parseDateTime } from '@taskflow/contracts';
import { Client } from 'pg';
import { parseArgs } from 'node:util';
import { databaseOf, openMongoConnection } from './audit/infrastructure/persistence/mongo-connection';
import { checkCompleteness, OutboxSource } from './completeness/completeness-check';
import { loadCompletenessConfig } from './config/audit.config';

/** The services' outbox tables (their migrations create them: user-service `user_outbox`, task-service `task_outbox`). */
const OUTBOX_TABLES = { user: 'user_outbox', task: 'task_outbox' } as const;
const USAGE =
  'usage: completeness --since <RFC 3339 | 90m | 24h | 7d> [--until <RFC 3339>]\n' +
  '  env: MONGO_URL, USER_OUTBOX_DATABASE_URL and/or TASK_OUTBOX_DATABASE_URL (read-only roles), COMPLETENESS_GRACE_MS';

/**
 * `node dist/apps/audit-service/src/completeness.js --since 24h` (`npm run audit:completeness -- --since 24h`):
 * compares the outbox tables of user-service and task-service with event_logs for the window and prints the
 * report (JSON) on stdout, a summary on stderr. Exit code 0: complete; 2: gaps found; 1: bad arguments or a database unreachable.
 * An operator command, not part of audit-service: the service never holds the other services' credentials.
 */
async function main(): Promise<number> {
  const { values } = parseArgs({ options: { since: { type: 'string' }, until: { type: 'string' } } });
  const now = new Date();
  const since = values.since === undefined ? undefined : instantOf(values.since, now);
  const until = values.until === undefined ? now : parseDateTime(values.until);
  if (!since || !until || until <= since) {
    console.error(USAGE);
    return 1;
  }
  const config = loadCompletenessConfig();
  const clients: Client[] = [];
  const connection = await openMongoConnection(
    config.mongo.url,
    config.mongo.serverSelectionTimeoutMs,
    config.mongo.tls,
  );
  try {
    const sources: OutboxSource[] = [];
    for (const entityType of ['user', 'task'] as const) {
      const url = config.outboxes[entityType];
      if (!url) continue;
      const client = new Client({
        connectionString: url,
        connectionTimeoutMillis: 5000,
        // Reads only, whatever the role may do; a stuck query cannot hold the database.
        options: '-c default_transaction_read_only=on -c statement_timeout=60000',
      });
      await client.connect();
      clients.push(client);
      sources.push({
        name: `${entityType}-service`,
        table: OUTBOX_TABLES[entityType],
        entityType,
        query: async (sql, params) => (await client.query(sql, params)).rows,
      });
    }
    const report = await checkCompleteness(sources, databaseOf(connection), { since, until }, config.graceMs, now);
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    // The summary goes to stderr, so stdout stays one JSON document for jq and scripts.
    for (const s of report.sources)
      console.error(`${s.name}: ${s.outboxRows} outbox rows, gaps ${JSON.stringify(s.gapCounts)}`);
    console.error(report.complete ? 'complete: every outbox event is stored' : 'GAPS FOUND');
    return report.complete ? 0 : 2;
  } finally {
    await Promise.allSettled([...clients.map((c) => c.end()), connection.close()]);
  }
}

/** An RFC 3339 instant, or a duration back from `now` (`90m`, `24h`, `7d`). */
function instantOf(value: string, now: Date): Date | undefined {
  const relative = /^(\d{1,6})([mhd])$/.exec(value);
  if (!relative) return parseDateTime(value);
  const unitMs = { m: 60_000, h: 3_600_000, d: 86_400_000 }[relative[2] as 'm' | 'h' | 'd'];
  return new Date(now.getTime() - Number(relative[1]) * unitMs);
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error instanceof Error ? error.message : error);
    process.exit(1);
  },
);
