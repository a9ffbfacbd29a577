import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AuditRoutes } from '@taskflow/contracts';
import { startFakeBackend } from './support/fake-services';
import { Gateway, redisDbUrl, startGateway } from './support/gateway-harness';

const REDOCLY = path.resolve(__dirname, '../../../node_modules/.bin/redocly');

// The OpenAPI document a client generator reads (/docs/json), linted by Redocly CLI with its recommended rules:
// every operation has a summary and declared security (public ones `security: []`), parameters are declared.
describe('OpenAPI document', () => {
  let fake: Awaited<ReturnType<typeof startFakeBackend>>;
  let gateway: Gateway;
  let dir: string;

  beforeAll(async () => {
    fake = await startFakeBackend();
    gateway = await startGateway({
      REDIS_URL: redisDbUrl(4),
      USER_SERVICE_PORT: String(fake.port),
      TASK_SERVICE_PORT: String(fake.port),
    });
    dir = mkdtempSync(path.join(tmpdir(), 'openapi-'));
  });

  afterAll(async () => {
    await gateway?.close();
    await fake?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('should pass `redocly lint` (recommended rules) with 0 errors, and leave health and metrics out', async () => {
    const response = await gateway.inject({ method: 'GET', url: '/docs/json' });
    expect(response.statusCode).toBe(200);
    const document = response.json() as { paths: Record<string, unknown> };
    expect(Object.keys(document.paths).filter((p) => !p.startsWith('/api/v1/'))).toEqual([]);
    const file = path.join(dir, 'openapi.json');
    writeFileSync(file, response.body);
    const lint = spawnSync(REDOCLY, ['lint', file, '--format=summary'], {
      encoding: 'utf8',
      env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true' },
      timeout: 120_000,
    });
    const output = `${lint.stdout}\n${lint.stderr}`;
    expect({ status: lint.status, errors: output.match(/^error .*$/gm) ?? [] }).toEqual({ status: 0, errors: [] });
    expect(output).toContain('Your API description is valid');
    // Every operation documents its success and its problem+json answers.
    expect(output).not.toMatch(/operation-[24]xx-response/);
  });

  it('should declare each audit route explicitly, with its parameters, response and problems, and no wildcard', async () => {
    type Operation = {
      operationId: string;
      parameters?: { name: string; in: string }[];
      responses: Record<string, { content?: Record<string, unknown> }>;
    };
    const document = (await gateway.inject({ method: 'GET', url: '/docs/json' })).json() as {
      paths: Record<string, Record<string, Operation>>;
    };
    const auditPaths = Object.keys(document.paths).filter((p) => p.startsWith('/api/v1/audit/'));
    expect(auditPaths.filter((p) => /\{path\}|\*/.test(p))).toEqual([]);
    const routes = Object.values(AuditRoutes);
    expect(auditPaths.sort()).toEqual(
      [...new Set(routes.map((route) => `/api/v1/audit/${route.path.replace(/:(\w+)/g, '{$1}')}`))].sort(),
    );
    for (const route of routes) {
      const operation =
        document.paths[`/api/v1/audit/${route.path.replace(/:(\w+)/g, '{$1}')}`][route.method.toLowerCase()];
      expect(operation.operationId).toBe(route.operationId);
      expect((operation.parameters ?? []).map((p) => `${p.in}:${p.name}`).sort()).toEqual(
        route.request.parameters.map((p) => `${p.in}:${p.name}`).sort(),
      );
      expect(operation.responses[String(route.response.status)]).toBeDefined();
      for (const status of ['400', '401', '403', '503']) {
        expect(Object.keys(operation.responses[status]?.content ?? {})).toEqual(['application/problem+json']);
      }
    }
  });
});
