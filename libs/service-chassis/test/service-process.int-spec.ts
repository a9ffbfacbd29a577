import { createServiceDatabase, freePort, ServiceDatabase, ServiceProcess, startService } from '@taskflow/testing';

// The chassis in the real processes (runPostgresService), from start to SIGTERM: both PostgreSQL services boot through
// it, report ready, drain (readiness 503 while still serving), close their servers and then their resources, and exit
// 0. The order of the resources' close is pinned by src/service-resources.spec.ts.
jest.setTimeout(180_000);

const DRAIN_DELAY_MS = 1500;

interface Running {
  service: ServiceProcess;
  management: number;
}

/** The JSON log lines: `msg` and `time` (ISO 8601, ms). */
const logLines = (output: string): { msg?: string; time: string }[] =>
  output
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as { msg?: string; time: string });

/**
 * When each message was logged, ms since the epoch. By the lines' own time, not their order in the output: pino
 * writes asynchronously, and the process exits right after "shutdown complete", so the flush at exit may put a
 * line still in flight after later ones.
 */
const loggedAt = (output: string, message: string): number => {
  const line = logLines(output).find(({ msg }) => msg === message);
  if (!line) throw new Error(`"${message}" not logged:\n${output}`);
  return Date.parse(line.time);
};

describe('PostgreSQL services on the chassis, as processes', () => {
  let database: ServiceDatabase;
  const running: Record<'user-service' | 'task-service', Running | undefined> = {
    'user-service': undefined,
    'task-service': undefined,
  };

  beforeAll(async () => {
    process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
    database = await createServiceDatabase('chassis_process');
    // No Redis for user-service's throttle (every Redis DB belongs to another suite): it boots without one, degraded.
    const common = {
      MIGRATIONS_RUN: 'true',
      NODE_ENV: 'test',
      LOG_LEVEL: 'info',
      DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
      REDIS_URL: `redis://127.0.0.1:${await freePort()}`,
    };
    // task-service's tables reference users: user-service migrates first.
    for (const [app, portVariable] of [
      ['user-service', 'USER_SERVICE_PORT'],
      ['task-service', 'TASK_SERVICE_PORT'],
    ] as const) {
      const [rpc, management] = [await freePort(), await freePort()];
      const service = await startService(
        app,
        { ...common, ...database.env(app), [portVariable]: String(rpc), MANAGEMENT_PORT: String(management) },
        `http://127.0.0.1:${management}/health/ready`,
      );
      running[app] = { service, management };
    }
  });

  afterAll(async () => {
    await Promise.all(Object.values(running).map((started) => started?.service.stop()));
    await database?.drop();
  });

  it.each(['task-service', 'user-service'] as const)(
    'should start %s, then on SIGTERM answer readiness 503 while draining, close and exit 0',
    async (app) => {
      const { service, management } = running[app]!;
      expect(logLines(service.output()).map(({ msg }) => msg)).toContain(`${app} ready`);

      // 'close', not 'exit': the child's output is read to its end by then.
      const exited = new Promise<number | null>((resolve) => service.child.once('close', (code) => resolve(code)));
      service.child.kill('SIGTERM');
      await new Promise((resolve) => setTimeout(resolve, DRAIN_DELAY_MS / 3));
      const ready = await fetch(`http://127.0.0.1:${management}/health/ready`);
      expect(ready.status).toBe(503);
      expect(await ready.json()).toMatchObject({ status: 'draining' });

      expect(await exited).toBe(0);
      const times = [
        'shutdown: readiness 503, still serving for the drain delay',
        'shutdown: closing servers, finishing in-flight work',
        `${app} stopped`, // ServiceResources.close ran to its end: relay, producer, own clients, pool
        'shutdown complete',
      ].map((message) => loggedAt(service.output(), message));
      expect([...times].sort((a, b) => a - b)).toEqual(times);
      expect(times[1] - times[0]).toBeGreaterThanOrEqual(DRAIN_DELAY_MS - 50);
    },
  );
});
