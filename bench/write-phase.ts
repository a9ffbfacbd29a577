import {
  failureSummary,
  HttpResult,
  measureHttp,
  outboxLag,
  OutboxLag,
  SqlQuery,
  storedLag,
  StoredLag,
} from '@taskflow/bench';
import { waitFor } from '@taskflow/testing';
import type { BenchUser, LoadSettings } from './http-phase';
import type { BenchSystem } from './system';

export interface WriteFigures {
  result: HttpResult;
  writesPerSec: number;
  /** Outbox row insert (in the write transaction) → Kafka ack, for the measured window's tasks. */
  outbox: OutboxLag;
  /** The write (event occurredAt) → stored in the audit store, for the same tasks. */
  audit: StoredLag;
}

const DRAIN_TIMEOUT_MS = 60_000;

/** Every outbox row created since `since` (both services) is sent, and every sent row is in the audit store. */
async function settle(system: BenchSystem, since: Date): Promise<void> {
  const query: SqlQuery = async (sql, params) => (await system.pg.query(sql, params)).rows;
  await waitFor(async () => (await outboxLag(query, 'task_outbox', since)).pending === 0, {
    timeoutMs: DRAIN_TIMEOUT_MS,
    intervalMs: 250,
    description: `task-service outbox drained within ${DRAIN_TIMEOUT_MS / 1000} s`,
  });
  const [{ sent }] = (
    await system.pg.query(
      `SELECT (SELECT count(*) FROM task_outbox WHERE sent_at IS NOT NULL)
            + (SELECT count(*) FROM user_outbox WHERE sent_at IS NOT NULL) AS sent`,
    )
  ).rows as { sent: string }[];
  const stored = system.auditDb.collection('event_logs');
  let count = 0;
  await waitFor(async () => (count = await stored.countDocuments()) >= Number(sent), {
    timeoutMs: DRAIN_TIMEOUT_MS,
    intervalMs: 500,
    description: `audit store holds all ${sent} published events`,
  }).catch((error: Error) => {
    throw new Error(`${error.message} (it has ${count})`);
  });
}

/**
 * Task creation through the gateway at full speed (autocannon POSTs, each a new task), then the outbox publish
 * lag and the write → audit-store lag of the tasks created in the measured window.
 */
export async function writePhase(
  system: BenchSystem,
  user: BenchUser,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<WriteFigures> {
  const load = {
    url: `${system.gateway}/api/v1/tasks`,
    method: 'POST' as const,
    headers: { ...user.headers, 'content-type': 'application/json' },
    body: JSON.stringify({ title: 'bench write', description: 'created by npm run bench', priority: 'high' }),
    connections: settings.connections,
  };
  if (settings.warmupSec) {
    await measureHttp({ ...load, durationSec: settings.warmupSec });
    await settle(system, new Date(0)); // the measured window starts with no backlog
  }
  const since = new Date();
  const result = await measureHttp({ ...load, durationSec: settings.durationSec });
  if (result.ok === 0) throw new Error(`no task created (${failureSummary(result)})`);
  const writesPerSec = Math.round(result.ok / result.seconds);
  log(
    `[bench]   POST /api/v1/tasks: ${result.ok} created, ${writesPerSec} writes/s, p99 ${result.p99Ms} ms` +
      `${failureSummary(result) ? `, ${failureSummary(result)}` : ''}; waiting for outbox and audit …`,
  );
  await settle(system, since);
  const query: SqlQuery = async (sql, params) => (await system.pg.query(sql, params)).rows;
  const outbox = await outboxLag(query, 'task_outbox', since);
  const audit = await storedLag(system.auditDb.collection('event_logs'), { createdAt: { $gte: since } });
  return { result, writesPerSec, outbox, audit };
}
