import { freePort, ServiceProcess, startService } from '@taskflow/testing';
import http from 'node:http';
import { startFakeBackend } from './support/fake-services';
import { flushDb, redisDbUrl } from './support/gateway-harness';

// Issue 15: on SIGTERM with requests in flight on keep-alive connections (as a load balancer holds them), the
// gateway answered readiness 503 never, and took 75 s to exit (sockets re-armed with the 72 s keep-alive timer).
// The gateway runs as a child process here, so it can receive a real SIGTERM.

const DRAIN_DELAY_MS = 3_000;
const UPSTREAM_LATENCY_MS = 300;
const REDIS_URL = redisDbUrl(9);

interface Outcome {
  startedAt: number;
  status?: number;
  connection?: string;
  /** Node's error code (ECONNRESET, ECONNREFUSED, …) when the request got no answer. */
  error?: string;
}

function send(
  port: number,
  agent: http.Agent,
  method: string,
  path: string,
  headers: Record<string, string> = {},
  body?: string,
): Promise<Outcome & { body: string }> {
  const startedAt = Date.now();
  return new Promise((resolve) => {
    const request = http.request({ host: '127.0.0.1', port, method, path, agent, headers, timeout: 15_000 }, (res) => {
      let text = '';
      res.on('data', (chunk) => (text += chunk));
      res.on('end', () =>
        resolve({ startedAt, status: res.statusCode, connection: res.headers.connection, body: text }),
      );
      res.on('error', (error: NodeJS.ErrnoException) =>
        resolve({ startedAt, error: error.code ?? error.message, body: '' }),
      );
    });
    request.on('timeout', () => request.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
    request.on('error', (error: NodeJS.ErrnoException) =>
      resolve({ startedAt, error: error.code ?? error.message, body: '' }),
    );
    request.end(body);
  });
}

describe('api-gateway graceful drain on SIGTERM', () => {
  let backend: Awaited<ReturnType<typeof startFakeBackend>>;
  let gateway: ServiceProcess | undefined;
  let port: number;
  let managementPort: number;

  beforeAll(async () => {
    await flushDb(REDIS_URL);
    backend = await startFakeBackend();
    [port, managementPort] = await Promise.all([freePort(), freePort()]);
    gateway = await startService(
      'api-gateway',
      {
        GATEWAY_PORT: String(port),
        GATEWAY_HOST: '127.0.0.1',
        MANAGEMENT_PORT: String(managementPort),
        USER_SERVICE_PORT: String(backend.port),
        TASK_SERVICE_PORT: String(backend.port),
        REDIS_URL,
        DRAIN_DELAY_MS: String(DRAIN_DELAY_MS),
        RATE_LIMIT_USER_PER_MINUTE: '100000',
        API_DOCS_ENABLED: 'false',
      },
      `http://127.0.0.1:${managementPort}/health/ready`,
    );
  }, 120_000);

  afterAll(async () => {
    await gateway?.stop();
    await backend?.close();
  });

  it('should answer readiness 503 while still serving for the drain delay, then exit within drain delay + 5 s with 0 requests reset', async () => {
    const json = { 'content-type': 'application/json' };
    const plain = new http.Agent({ keepAlive: false });
    const email = `drain-${Date.now()}@example.com`;
    const credentials = JSON.stringify({ email, password: 'correct-horse-battery' });
    expect((await send(port, plain, 'POST', '/api/v1/auth/register', json, credentials)).status).toBe(201);
    const login = await send(port, plain, 'POST', '/api/v1/auth/login', json, credentials);
    const authorization = `Bearer ${(JSON.parse(login.body) as { accessToken: string }).accessToken}`;
    backend.backend.latencyMs = UPSTREAM_LATENCY_MS;

    // Four keep-alive clients writing back to back: at any moment requests are in flight on open connections.
    // A client stops at the first refused connection (the listener is closed: a balancer would have moved on).
    const writes: Outcome[] = [];
    let sigtermAt = Number.POSITIVE_INFINITY;
    let exitedAt: number | undefined;
    const client = async () => {
      const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
      for (;;) {
        const body = JSON.stringify({ title: 'drain', priority: 'medium' });
        const outcome = await send(port, agent, 'POST', '/api/v1/tasks', { ...json, authorization }, body);
        writes.push(outcome);
        if (outcome.error === 'ECONNREFUSED' || exitedAt !== undefined) break;
      }
      agent.destroy();
    };
    const readiness: Outcome[] = [];
    const probe = async () => {
      while (exitedAt === undefined) {
        const outcome = await send(managementPort, plain, 'GET', '/health/ready');
        readiness.push(outcome);
        if (outcome.error === 'ECONNREFUSED') break;
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    };
    const child = gateway!.child;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const load = Promise.all([client(), client(), client(), client(), probe()]);

    await new Promise((resolve) => setTimeout(resolve, 1_500));
    sigtermAt = Date.now();
    child.kill('SIGTERM');
    const bound = DRAIN_DELAY_MS + 5_000;
    await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, bound + 2_000))]);
    exitedAt = child.exitCode !== null || child.signalCode !== null ? Date.now() : undefined;
    if (exitedAt === undefined) {
      child.kill('SIGKILL');
      await exited;
      exitedAt = Number.POSITIVE_INFINITY;
    }
    await load;

    const inDrainDelay = (o: Outcome) =>
      o.startedAt > sigtermAt + 300 && o.startedAt < sigtermAt + DRAIN_DELAY_MS - 300;
    const afterSigterm = writes.filter((o) => o.startedAt >= sigtermAt);
    const resets = writes.filter((o) => o.error !== undefined && o.error !== 'ECONNREFUSED');
    expect({
      exitMs: exitedAt - sigtermAt,
      resets: resets.map((o) => o.error),
      nonCreated: writes.filter((o) => o.status !== undefined && o.status !== 201).map((o) => o.status),
      readinessInDrainDelay: [...new Set(readiness.filter(inDrainDelay).map((o) => o.status ?? o.error))],
      servedInDrainDelay: writes.filter(inDrainDelay).some((o) => o.status === 201),
      keepAliveAfterSigterm: afterSigterm.filter((o) => o.status !== undefined && o.connection !== 'close').length,
    }).toEqual({
      exitMs: expect.any(Number),
      resets: [],
      nonCreated: [],
      readinessInDrainDelay: [503],
      servedInDrainDelay: true,
      keepAliveAfterSigterm: 0,
    });
    expect(exitedAt - sigtermAt).toBeLessThanOrEqual(bound);
    expect(exitedAt - sigtermAt).toBeGreaterThanOrEqual(DRAIN_DELAY_MS);
    expect(child.exitCode).toBe(0);
    plain.destroy();
  }, 60_000);
});
