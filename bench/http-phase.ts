import { failureSummary, HttpResult, measureHttp } from '@taskflow/bench';
import type { BenchSystem } from './system';

export interface LoadSettings {
  connections: number;
  durationSec: number;
  warmupSec: number;
}

export interface BenchUser {
  headers: Record<string, string>;
  taskId: string;
}

export interface RouteFigure {
  name: string;
  /** Cache-Status of a request made just before the run (the second of two), e.g. "hit". */
  served?: string;
  result: HttpResult;
}

export interface HttpFigures {
  hello: RouteFigure;
  routes: RouteFigure[];
}

/** The status filter the gateway caches (first page, one status, default sort). */
export const LIST_QUERY = '/api/v1/tasks?status=todo';

/** One set-up request; a 503 (e.g. Redis slower than the gateway's 100 ms command timeout on a busy box) is retried. */
async function call(url: string, init: RequestInit = {}): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    const response = await fetch(url, {
      ...init,
      headers: { 'content-type': 'application/json', ...init.headers },
      signal: AbortSignal.timeout(10_000),
    });
    if (response.ok) return response;
    const text = await response.text();
    if (response.status !== 503 || attempt === 10) {
      throw new Error(`${init.method ?? 'GET'} ${url}: ${response.status} ${text}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 200 * attempt));
  }
}

/** Registers and logs in one user through the gateway and gives them `tasks` tasks (status todo). */
export async function createBenchUser(gateway: string, tasks: number): Promise<BenchUser> {
  const api = `${gateway}/api/v1`;
  const credentials = { email: `bench-${Date.now()}@example.com`, password: 'bench-password-1' };
  await call(`${api}/auth/register`, { method: 'POST', body: JSON.stringify(credentials) });
  const login = await call(`${api}/auth/login`, { method: 'POST', body: JSON.stringify(credentials) });
  const { accessToken } = (await login.json()) as { accessToken: string };
  const headers = { authorization: `Bearer ${accessToken}` };
  let taskId = '';
  for (let i = 0; i < tasks; i++) {
    const created = await call(`${api}/tasks`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ title: `bench task ${i}`, description: 'x'.repeat(200), priority: 'medium' }),
    });
    taskId = ((await created.json()) as { id: string }).id;
  }
  return { headers, taskId };
}

async function servedBy(url: string, headers: Record<string, string>): Promise<string | undefined> {
  await call(url, { headers });
  const status = (await call(url, { headers })).headers.get('cache-status');
  return status?.replace(/^taskflow-gateway;\s*/, '');
}

/**
 * Bare Fastify hello-world, then GET one task and the filtered list on the gateway with the cache on and on
 * the same build with the cache off, each with the same autocannon settings, one after the other.
 */
export async function httpPhase(
  system: BenchSystem,
  user: BenchUser,
  settings: LoadSettings,
  log: (line: string) => void,
): Promise<HttpFigures> {
  const run = async (name: string, url: string, headers: Record<string, string> = {}): Promise<RouteFigure> => {
    const served = url === system.hello ? undefined : await servedBy(url, headers);
    const result = await measureHttp({ url, headers, ...settings });
    if (result.ok === 0) throw new Error(`${name}: no 2xx answer (${failureSummary(result)})`);
    log(
      `[bench]   ${name.padEnd(40)} ${String(result.rps).padStart(7)} req/s  p50 ${result.p50Ms} ms  p99 ${result.p99Ms} ms` +
        `${served ? `  (${served})` : ''}  ${failureSummary(result)}`,
    );
    return { name, served, result };
  };
  const task = `/api/v1/tasks/${user.taskId}`;
  const hello = await run('bare Fastify GET /hello', system.hello);
  const routes = [
    await run('GET /api/v1/tasks/:id, cached', system.gateway + task, user.headers),
    await run('GET /api/v1/tasks/:id, uncached', system.gatewayUncached + task, user.headers),
    await run(`GET ${LIST_QUERY}, cached`, system.gateway + LIST_QUERY, user.headers),
    await run(`GET ${LIST_QUERY}, uncached`, system.gatewayUncached + LIST_QUERY, user.headers),
  ];
  return { hello, routes };
}
