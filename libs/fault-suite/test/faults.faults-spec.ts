import fs from 'node:fs';
import path from 'node:path';
import { startSystem, TaskflowSystem } from '@taskflow/testing';
import { recordRow } from '../src/report';
import { Fault, RECOVERY_BOUND_MS, runScenario, ScenarioResult, storesOf } from '../src/scenario';
import { runForgedProducer, runPoisonMessage } from '../src/injected-events';
import { runRollingRestart } from '../src/rolling-restart';
import { runTwoRelays } from '../src/two-relays';

// The fault-injection suite (docs/faults.md): one private system, one scenario per test, each checked on
// the same invariants. Run with `npm run test:faults`.
process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';

const FAULT_MS = 20_000;
/** The system's DRAIN_DELAY_MS (libs/testing startSystem) and the default SHUTDOWN_TIMEOUT_MS. */
const DRAIN_DELAY_MS = 2_000;
const SHUTDOWN_TIMEOUT_MS = 15_000;
const LOG_DIR = path.resolve(__dirname, '../../../.reports/faults-logs');

let system: TaskflowSystem;

beforeAll(async () => {
  system = await startSystem();
}, 600_000);

afterAll(async () => {
  // Every app's output (all its runs), for the post-mortem of a failed scenario.
  fs.mkdirSync(LOG_DIR, { recursive: true });
  for (const app of [system?.gateway, system?.user, system?.task, system?.audit].filter(Boolean)) {
    fs.writeFileSync(path.join(LOG_DIR, `${app.app}.log`), app.output());
  }
  await system?.stop();
}, 120_000);

/** A previous scenario that failed half-way must not break the next one: every process runs again. */
beforeEach(async () => {
  if (!system) return;
  for (const server of [system.backends.kafka, system.backends.mongo, system.backends.redis]) {
    if (server.running()) server.resume();
    else await server.start();
  }
  for (const app of [system.user, system.task, system.audit, system.gateway]) {
    if (app.running()) app.resume();
    else await app.start();
  }
}, 240_000);

/** The invariants every scenario must keep (docs/faults.md "Invariants"). */
function expectInvariants(result: ScenarioResult): void {
  const context = `${result.scenario}: ${JSON.stringify({ ...result, records: undefined })}`;
  expect({ context, lost: result.lost }).toEqual({ context, lost: 0 });
  expect({ context, duplicated: result.duplicated }).toEqual({ context, duplicated: 0 });
  expect({ context, unexpected: result.unexpected }).toEqual({ context, unexpected: 0 });
  expect({ context, unaudited: result.unaudited }).toEqual({ context, unaudited: 0 });
  expect({ context, halfWritten: result.halfWritten }).toEqual({ context, halfWritten: 0 });
  expect(result.acknowledged).toBeGreaterThan(0);
  expect(result.recoverMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
  expect(result.auditCaughtUpMs).toBeLessThanOrEqual(RECOVERY_BOUND_MS);
}

/** Writes never depend on this fault: every write is acknowledged. */
function expectNoFailedWrites(result: ScenarioResult): void {
  expect({ scenario: result.scenario, failures: result.failures }).toEqual({ scenario: result.scenario, failures: {} });
}

function failureSamples(result: ScenarioResult): string[] {
  return result.records.filter((r) => r.status !== 201).map((r) => `${r.status} ${r.error ?? ''}`.slice(0, 200));
}

it('Kafka broker killed (SIGKILL) for 20 s, then restarted', async () => {
  const { kafka } = system.backends;
  const fault: Fault = { inject: () => kafka.kill('SIGKILL'), durationMs: FAULT_MS, remove: () => kafka.start() };
  const result = await runScenario(system, 'kafka SIGKILL 20 s', fault);
  recordRow(result);
  expectInvariants(result);
  expectNoFailedWrites(result);
});

it('Kafka broker paused (SIGSTOP) for 20 s, then continued', async () => {
  const { kafka } = system.backends;
  const fault: Fault = {
    inject: async () => kafka.pause(),
    durationMs: FAULT_MS,
    remove: async () => kafka.resume(),
  };
  const result = await runScenario(system, 'kafka SIGSTOP 20 s', fault);
  recordRow(result);
  expectInvariants(result);
  expectNoFailedWrites(result);
});

it('audit-service killed (SIGKILL) mid-batch and restarted', async () => {
  const fault: Fault = {
    inject: () => system.audit.kill('SIGKILL'),
    durationMs: 5_000,
    remove: () => system.audit.start(),
  };
  const result = await runScenario(system, 'audit-service SIGKILL', fault);
  recordRow(result);
  expectInvariants(result);
  expectNoFailedWrites(result);
});

it('MongoDB-protocol server stopped for 20 s and restarted', async () => {
  const { mongo } = system.backends;
  const fault: Fault = { inject: () => mongo.stop(), durationMs: FAULT_MS, remove: () => mongo.start() };
  const result = await runScenario(system, 'mongo stopped 20 s', fault);
  recordRow(result);
  expectInvariants(result);
  expectNoFailedWrites(result);
});

it('Redis stopped for 20 s and restarted: the API keeps answering', async () => {
  const { redis } = system.backends;
  const fault: Fault = { inject: () => redis.stop(), durationMs: FAULT_MS, remove: () => redis.start() };
  const result = await runScenario(system, 'redis stopped 20 s', fault);
  recordRow(result);
  expectInvariants(result);
  expect({ fiveXx: result.fiveXx, samples: failureSamples(result).slice(0, 3) }).toEqual({
    fiveXx: 0,
    samples: [],
  });
  expectNoFailedWrites(result);
});

it('PostgreSQL connections terminated mid-load: the pools recover without a restart', async () => {
  const stores = storesOf(system);
  const pids = { task: system.task.pid, user: system.user.pid };
  let terminated = 0;
  const fault: Fault = {
    inject: async () => {
      terminated = await stores.terminateConnections(system.database.name);
    },
    durationMs: 1_000,
    remove: async () => undefined,
  };
  const result = await runScenario(system, 'pg_terminate_backend', fault);
  recordRow(result);
  expect(terminated).toBeGreaterThan(0);
  expectInvariants(result);
  // Only a write whose statement ran on a terminated connection may fail, and then with a clear 503.
  expect(Object.keys(result.failures).filter((status) => status !== '503')).toEqual([]);
  // ...named for what it is (retryable: the database dropped the connection), not as an internal error.
  const codes = result.records.filter((r) => r.status === 503).map((r) => /"code":"([^"]+)"/.exec(r.error ?? '')?.[1]);
  expect(codes.filter((code) => code !== 'DATABASE.UNAVAILABLE')).toEqual([]);
  expect({ task: system.task.pid, user: system.user.pid }).toEqual(pids);
});

it('task-service killed (SIGKILL) under load and restarted: clear 503s, outbox published after restart', async () => {
  const fault: Fault = {
    inject: () => system.task.kill('SIGKILL'),
    durationMs: 2_000,
    remove: () => system.task.start(),
  };
  const result = await runScenario(system, 'task-service SIGKILL', fault);
  recordRow(result);
  expectInvariants(result);
  expect(result.fiveXx).toBeGreaterThan(0);
  // Every failed write is a 503 answer (service unavailable), none a 500 or a hang.
  expect({ failures: Object.keys(result.failures), samples: failureSamples(result).slice(0, 3) }).toMatchObject({
    failures: ['503'],
  });
});

it('two outbox relays over one backlog never send a row twice', async () => {
  const result = await runTwoRelays(system, FAULT_MS);
  recordRow(result);
  expectInvariants(result);
  expectNoFailedWrites(result);
  expect(result.sentTwice).toEqual([]);
  expect(result.backlog).toBeGreaterThan(0);
  expect(result.publishedByKafka).toBe(result.outboxRows);
});

it('rolling restart: every app SIGTERMed and restarted in turn under load, drained without client errors', async () => {
  const result = await runRollingRestart(system);
  recordRow(result);
  process.stdout.write(`terminations: ${JSON.stringify(result.terminations)}\n`);
  const unanswered = result.records.filter((r) => r.status === 0).map((r) => `${r.startedAt}: ${r.error}`);
  process.stdout.write(`unanswered (start, error): ${JSON.stringify(unanswered.slice(0, 20))}\n`);
  expectInvariants(result);
  // Each process left by itself (exit code 0), after its drain delay and well inside the shutdown timeout.
  expect(result.terminations.map(({ app, code }) => ({ app, code }))).toEqual(
    ['user-service', 'task-service', 'audit-service', 'api-gateway', 'api-gateway (surge)'].map((app) => ({
      app,
      code: 0,
    })),
  );
  for (const termination of result.terminations) {
    expect({ ...termination, inTime: termination.exitMs <= DRAIN_DELAY_MS + SHUTDOWN_TIMEOUT_MS }).toMatchObject({
      inTime: true,
    });
  }
  // Clients see no reset and no unanswered request; the only failures allowed are 503s with Retry-After
  // (task-service has one replica here: while it restarts the gateway answers 503 SERVICE.UNAVAILABLE).
  expect({ noAnswer: result.noAnswer, samples: failureSamples(result).slice(0, 3) }).toMatchObject({ noAnswer: 0 });
  expect(Object.keys(result.failures).filter((status) => status !== '503')).toEqual([]);
  expect(result.records.filter((r) => r.status === 503 && !r.retryAfter).length).toBe(0);
}, 900_000); // five restarts from sources: minutes on a loaded 2-core box

it("poison message: a genuine producer's 3,000-level-deep event mid-load is dead-lettered, the partition moves on", async () => {
  const result = await runPoisonMessage(system);
  recordRow(result);
  process.stdout.write(
    `poison: next event stored after ${result.nextStoredMs} ms; readiness ${JSON.stringify(result.readiness)}\n`,
  );
  expectInvariants(result);
  expectNoFailedWrites(result);
  expect(result.stored).toEqual([]);
  expect(result.deadLettered).toEqual({ [result.injected[0].eventId]: 'invalid-envelope' });
  // The next event of the same partition is stored within seconds, not held behind the poison.
  expect(result.nextStoredMs).toBeLessThanOrEqual(10_000);
  // Nothing is stuck, so nothing shows as stuck: readiness stays 200 and the partition's lag returns to 0.
  expect(result.readiness.filter((status) => status !== 200)).toEqual([]);
  expect(result.lagAfter).toBe(0);
});

it('forged producer: forged events injected during load never reach event_logs; every genuine one does, once', async () => {
  const result = await runForgedProducer(system);
  recordRow(result);
  // `unexpected` 0 also proves no forged task.created of the load's user was stored.
  expectInvariants(result);
  expectNoFailedWrites(result);
  expect(result.stored).toEqual([]);
  expect(result.deadLettered).toEqual(
    Object.fromEntries(result.injected.map(({ eventId, expectedCode }) => [eventId, expectedCode])),
  );
});
