import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
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
  });
});
