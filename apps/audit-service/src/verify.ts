import { parseDateTime } from '@taskflow/contracts';
import { createLogger } from '@taskflow/nest-kit';
import type { EventLog } from './audit/domain/event-log';
import { verifyChains } from './audit/application/verify-chains';
import { ChainRepository } from './audit/infrastructure/persistence/chain.repository';
import { EVENT_LOG_MODEL, EventLogSchema } from './audit/infrastructure/persistence/event-log.schema';
import { openMongoConnection } from './audit/infrastructure/persistence/mongo-connection';
import { loadAuditVerifyConfig } from './config/audit.config';

const USAGE = 'usage: npm run audit:verify -- [--from <RFC 3339>] [--to <RFC 3339>]';

/** `--from`/`--to` as [from, to); RFC 3339 with offset. Throws the usage line on anything else. */
export function parseVerifyArgs(argv: string[], now = new Date()): { from: Date; to: Date } {
  const range = { from: new Date(0), to: now };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i], argv[i + 1]];
    const date = value === undefined ? undefined : parseDateTime(value);
    if ((flag !== '--from' && flag !== '--to') || !date) {
      throw new Error(`${flag} ${value ?? ''}: expected --from/--to with an RFC 3339 date-time\n${USAGE}`);
    }
    range[flag === '--from' ? 'from' : 'to'] = date;
  }
  if (range.from > range.to) throw new Error(`--from is after --to\n${USAGE}`);
  return range;
}

/**
 * `npm run audit:verify -- --from 2026-11-01T00:00:00Z --to 2026-12-01T00:00:00Z` (or
 * `node dist/apps/audit-service/src/verify.js …`): verifies what was ingested in [from, to) and prints the report
 * (contract `VerifyReport`) as JSON. Exit code 0 intact, 1 a break was found, 2 bad arguments or no MongoDB.
 * Reads MONGO_*, AUDIT_RETENTION_JSON and AUDIT_CHECKPOINT_KEY.
 */
async function main(): Promise<number> {
  const { from, to } = parseVerifyArgs(process.argv.slice(2));
  const config = loadAuditVerifyConfig();
  const logger = createLogger('audit-verify', config.logLevel);
  const connection = await openMongoConnection(
    config.mongo.url,
    config.mongo.serverSelectionTimeoutMs,
    config.mongo.tls,
  );
  try {
    const model = connection.model<EventLog>(EVENT_LOG_MODEL, EventLogSchema);
    const chains = new ChainRepository(model, config, logger);
    const report = await verifyChains(chains, from, to, {
      key: config.chain.checkpointKey,
      policy: config.retention,
    });
    process.stdout.write(`${JSON.stringify(report, null, 2)}\n`);
    return report.intact ? 0 : 1;
  } finally {
    await connection.close();
  }
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (error: Error) => {
      console.error(error.message);
      process.exit(2);
    },
  );
}
