import { signUpThroughGateway, TaskflowSystem, uniqueName, WriteLoad, WriteRecord } from '@taskflow/testing';
import { Stores } from './stores';

/** Settings of every scenario: bounded load, loopback only. */
export const LOAD = { ratePerSecond: 10, timeoutMs: 15_000, beforeFaultMs: 5_000, afterRecoveryMs: 5_000 };
/** The bound: writes and the audit store recover within this long after the fault ends. */
export const RECOVERY_BOUND_MS = 60_000;

export interface Fault {
  /** Starts the fault (kill, pause, stop, terminate, inject messages); `userId` is the load-generating user. */
  inject(context: { userId: string }): Promise<void>;
  /** How long the fault lasts before `remove` (from the start of `inject`). */
  durationMs: number;
  /** Ends the fault (restart, continue); returns when the restarted process is ready. */
  remove(): Promise<void>;
}

export interface ScenarioResult {
  scenario: string;
  /** The load-generating user (every task of the scenario is theirs). */
  userId: string;
  attempted: number;
  acknowledged: number;
  /** Answers by status (non-2xx), 0 = no answer within the client timeout. */
  failures: Record<string, number>;
  fiveXx: number;
  noAnswer: number;
  /** Acknowledged (2xx) but missing from PostgreSQL or from the audit store. */
  lost: number;
  /** task.created documents beyond the first per task in the audit store. */
  duplicated: number;
  /** Audit events of tasks that are not in PostgreSQL. */
  unexpected: number;
  /** Tasks in PostgreSQL (acknowledged or not) whose event never reached the audit store. */
  unaudited: number;
  /** Tasks in PostgreSQL without their outbox row. */
  halfWritten: number;
  /** Tasks committed although the client got no 2xx (allowed: their event must still be audited). */
  committedUnacknowledged: number;
  faultStartedAt?: string;
  faultEndedAt?: string;
  /** How long removing the fault took (a restart: until the process answered again), ms. */
  removeMs?: number;
  /** Last 2xx before the fault → first 2xx after the fault ended (ms). */
  gapMs?: number;
  /** Fault end → first 2xx of a write started after it (ms). */
  recoverMs?: number;
  /** Fault end → every outbox row created up to the fault's end is published to Kafka (ms). */
  outboxPublishedMs?: number;
  /** Fault end → every task created up to the fault's end is in the audit store (ms). */
  auditCaughtUpMs?: number;
  records: WriteRecord[];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, Math.max(0, ms)));

/** Polls `check` until true or `deadline`; resolves with the time it became true, or undefined. */
async function timeWhen(
  check: () => Promise<boolean>,
  deadline: number,
  intervalMs = 500,
): Promise<number | undefined> {
  for (;;) {
    if (await check().catch(() => false)) return Date.now();
    if (Date.now() > deadline) return undefined;
    await sleep(intervalMs);
  }
}

export function storesOf(system: TaskflowSystem): Stores {
  return new Stores(system.database.url, system.auditMongoUrl);
}

/**
 * Runs one scenario: steady writes through the gateway (or `baseUrl`, e.g. a balancer in front of several
 * gateways), the fault, its removal, recovery, then a settle phase; returns the figures the invariants are
 * checked on.
 */
export async function runScenario(
  system: TaskflowSystem,
  scenario: string,
  fault: Fault,
  { baseUrl = system.gateway.url }: { baseUrl?: string } = {},
): Promise<ScenarioResult> {
  const stores = storesOf(system);
  const user = await signUpThroughGateway(baseUrl, `${uniqueName('faults')}@example.com`);
  const load = new WriteLoad({ baseUrl, user, ...LOAD });
  load.start();
  let faultStart: number;
  let faultEnd: number;
  let removedAt: number;
  let caughtUp: ReturnType<typeof backlogCleared>;
  try {
    await sleep(LOAD.beforeFaultMs);
    faultStart = Date.now();
    await fault.inject({ userId: user.id });
    await sleep(faultStart + fault.durationMs - Date.now());
    faultEnd = Date.now();
    caughtUp = backlogCleared(stores, user.id, faultEnd);
    await fault.remove();
    removedAt = Date.now();
    await timeWhen(
      async () => load.records.some((r) => r.startedAt >= faultEnd && r.status >= 200 && r.status < 300),
      faultEnd + RECOVERY_BOUND_MS,
      100,
    );
    await sleep(LOAD.afterRecoveryMs);
  } finally {
    await load.stop();
  }
  const records = await load.stop();
  const { auditAt, outboxAt } = await caughtUp;
  return {
    ...(await settle(stores, scenario, user.id, records)),
    ...timings(records, faultStart, faultEnd),
    removeMs: removedAt - faultEnd,
    outboxPublishedMs: outboxAt && outboxAt - faultEnd,
    auditCaughtUpMs: auditAt && auditAt - faultEnd,
  };
}

/** When everything written up to the fault's end was published to Kafka, and when it was in the audit store. */
async function backlogCleared(stores: Stores, userId: string, faultEnd: number) {
  const deadline = faultEnd + RECOVERY_BOUND_MS + 30_000;
  const until = new Date(faultEnd);
  const [outboxAt, auditAt] = await Promise.all([
    timeWhen(async () => (await stores.outboxPending(until)) === 0, deadline),
    timeWhen(async () => {
      const [tasks, audited] = await Promise.all([stores.tasks(userId, until), stores.auditedTaskCreations(userId)]);
      return [...tasks].every((id) => audited.has(id));
    }, deadline),
  ]);
  return { outboxAt, auditAt };
}

function timings(records: WriteRecord[], faultStart: number, faultEnd: number) {
  const ok = records.filter((r) => r.status >= 200 && r.status < 300);
  const lastBefore = ok.filter((r) => r.endedAt <= faultStart).reduce((max, r) => Math.max(max, r.endedAt), 0);
  const firstAfter = ok.filter((r) => r.startedAt >= faultEnd).reduce((min, r) => Math.min(min, r.endedAt), Infinity);
  return {
    faultStartedAt: new Date(faultStart).toISOString(),
    faultEndedAt: new Date(faultEnd).toISOString(),
    gapMs: lastBefore && Number.isFinite(firstAfter) ? firstAfter - lastBefore : undefined,
    recoverMs: Number.isFinite(firstAfter) ? firstAfter - faultEnd : undefined,
  };
}

/**
 * Waits (bounded) until the audit store holds every task of the user and the outbox is drained, then counts
 * lost, duplicated, unexpected and half-written writes.
 */
export async function settle(
  stores: Stores,
  scenario: string,
  userId: string,
  records: WriteRecord[],
): Promise<
  Omit<
    ScenarioResult,
    'gapMs' | 'recoverMs' | 'auditCaughtUpMs' | 'outboxPublishedMs' | 'removeMs' | 'faultStartedAt' | 'faultEndedAt'
  >
> {
  const acknowledged = records.filter((r) => r.status >= 200 && r.status < 300);
  await timeWhen(async () => {
    const [tasks, audited, pending] = await Promise.all([
      stores.tasks(userId),
      stores.auditedTaskCreations(userId),
      stores.outboxPending(),
    ]);
    return pending === 0 && [...tasks].every((id) => audited.has(id));
  }, Date.now() + RECOVERY_BOUND_MS);
  const [tasks, audited, halfWritten] = await Promise.all([
    stores.tasks(userId),
    stores.auditedTaskCreations(userId),
    stores.tasksWithoutOutboxRow(userId),
  ]);
  const ackedIds = new Set(acknowledged.map((r) => r.taskId!));
  const failures: Record<string, number> = {};
  for (const r of records.filter((r) => r.status < 200 || r.status >= 300)) {
    failures[r.status] = (failures[r.status] ?? 0) + 1;
  }
  return {
    scenario,
    userId,
    attempted: records.length,
    acknowledged: acknowledged.length,
    failures,
    fiveXx: records.filter((r) => r.status >= 500).length,
    noAnswer: records.filter((r) => r.status === 0).length,
    lost: [...ackedIds].filter((id) => !tasks.has(id) || !audited.has(id)).length,
    duplicated: [...audited.values()].reduce((sum, n) => sum + n - 1, 0),
    unexpected: [...audited.keys()].filter((id) => !tasks.has(id)).length,
    unaudited: [...tasks].filter((id) => !audited.has(id)).length,
    halfWritten,
    committedUnacknowledged: [...tasks].filter((id) => !ackedIds.has(id)).length,
    records,
  };
}
