import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AuditRoute,
  AuditRoutes,
  CHAIN_BREAK_KINDS,
  REPLAY_STATUSES,
  TASK_PRIORITIES,
  TASK_TIMELINE_FIELDS,
  TASK_TITLE_MAX,
  TaskFields,
} from '@taskflow/contracts';
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

  it('should give every audit JSON response and body a schema whose objects all declare their properties', async () => {
    const document = (await gateway.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
    const routes: AuditRoute[] = Object.values(AuditRoutes);
    const problems: string[] = [];
    for (const route of routes) {
      const operation =
        document.paths[`/api/v1/audit/${route.path.replace(/:(\w+)/g, '{$1}')}`][route.method.toLowerCase()];
      const success = operation.responses[String(route.response.status)];
      if ('mediaTypes' in route.response) {
        expect(Object.keys(success.content ?? {}).sort()).toEqual(Object.keys(route.response.mediaTypes).sort());
        continue;
      }
      expect(Object.keys(success.content ?? {})).toEqual(['application/json']);
      const schema = success.content?.['application/json'].schema;
      problems.push(...schemaGaps(document, schema, `${route.operationId} ${route.response.status}`));
      if (route.body) {
        const body = operation.requestBody?.content?.['application/json']?.schema;
        problems.push(...schemaGaps(document, body, `${route.operationId} body`));
      }
    }
    expect(problems).toEqual([]);
  });

  it('should give every success answer with a body, and every JSON request body, a schema that declares its properties', async () => {
    const document = (await gateway.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
    const problems: string[] = [];
    for (const [route, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const at = `${method.toUpperCase()} ${route}`;
        const successes = Object.entries(operation.responses).filter(([status]) => /^2\d\d$/.test(status));
        if (successes.length === 0) problems.push(`${at}: no success response`);
        for (const [status, response] of successes) {
          if (status === '204') continue;
          const contents = Object.entries(response.content ?? {});
          if (contents.length === 0) problems.push(`${at} ${status}: no content`);
          for (const [mediaType, { schema }] of contents) {
            if (mediaType === 'application/json') problems.push(...schemaGaps(document, schema, `${at} ${status}`));
          }
        }
        const body = operation.requestBody?.content?.['application/json'];
        if (body) problems.push(...schemaGaps(document, body.schema, `${at} body`));
      }
    }
    expect(problems).toEqual([]);
  });

  it('should close every JSON request body (additionalProperties: false), as the validation pipe refuses unknown properties', async () => {
    const document = (await gateway.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
    const open: string[] = [];
    let bodies = 0;
    for (const [route, methods] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(methods)) {
        const schema = operation.requestBody?.content?.['application/json']?.schema;
        if (!schema) continue;
        bodies += 1;
        const resolved = schema.$ref ? document.components.schemas[schema.$ref.split('/').pop()!] : schema;
        if (resolved?.additionalProperties !== false) open.push(`${method.toUpperCase()} ${route}`);
      }
    }
    expect(bodies).toBeGreaterThan(5);
    expect(open).toEqual([]);
    // And the gateway does refuse one, naming it.
    const refused = await gateway.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'closed-body@example.com', password: 'correct-horse-battery', role: 'admin' },
    });
    expect(refused.statusCode).toBe(400);
    expect(refused.json().errors).toContainEqual({ field: 'role', reason: 'property role should not exist' });
  });

  it("should state the task fields' rules as the contract defines them (TaskFields), in requests and answers", async () => {
    const { components } = (await gateway.inject({ method: 'GET', url: '/docs/json' })).json() as OpenApiDocument;
    const property = (schema: string, name: string) => components.schemas[schema]?.properties?.[name];
    for (const schema of ['TaskView', 'CreateTaskRequestDto', 'UpdateTaskRequestDto']) {
      expect(property(schema, 'title')).toMatchObject({ type: 'string', minLength: 1, maxLength: TASK_TITLE_MAX });
      expect(property(schema, 'description')).toMatchObject({ type: 'string', nullable: true });
      expect(property(schema, 'dueDate')).toMatchObject({ format: 'date-time', nullable: true });
      expect(property(schema, 'priority')).toMatchObject({ enum: [...TASK_PRIORITIES] });
    }
    expect(property('TaskView', 'version')).toMatchObject(TaskFields.version.schema!);
    expect(property('AssignTaskRequestDto', 'assigneeId')).toMatchObject({ format: 'uuid', nullable: true });
    expect(components.schemas.CreateTaskRequestDto.required).toEqual(['title']);
    expect(components.schemas.UpdateTaskRequestDto.required ?? []).toEqual([]);
    expect(components.schemas.TaskView.required).toEqual(expect.arrayContaining(['id', 'description', 'version']));
  });

  it('should describe nullable, enumerated and nested fields of the audit responses as audit-service sends them', async () => {
    type Schema = Record<string, unknown> & { properties: Record<string, Record<string, unknown>> };
    const { components } = (await gateway.inject({ method: 'GET', url: '/docs/json' })).json() as {
      components: { schemas: Record<string, Schema> };
    };
    const property = (schema: string, name: string) => components.schemas[schema]?.properties[name];
    expect(property('TaskAsOfView', 'task')).toMatchObject({
      nullable: true,
      allOf: [{ $ref: '#/components/schemas/TaskStateView' }],
    });
    expect(property('TaskAsOfView', 'asOfEventId')).toMatchObject({ type: 'string', nullable: true });
    expect(property('FieldChangeView', 'field')).toMatchObject({ enum: [...TASK_TIMELINE_FIELDS] });
    expect(property('TaskTimelineView', 'items')).toMatchObject({
      type: 'array',
      items: { $ref: '#/components/schemas/FieldChangeView' },
    });
    expect(property('ChainBreakView', 'kind')).toMatchObject({ enum: [...CHAIN_BREAK_KINDS] });
    expect(property('VerifyReport', 'chains')).toMatchObject({
      items: { $ref: '#/components/schemas/ChainSummaryView' },
    });
    expect(components.schemas.VerifyReport.required).toEqual(['intact', 'checked', 'chains']);
    // Inherited fields are in the subclass's schema.
    expect(Object.keys(components.schemas.PlaceLegalHoldResponse.properties)).toEqual(
      expect.arrayContaining(['id', 'scope', 'placedAt', 'heldCount']),
    );
    expect(property('RetentionRestampResponse', 'previousRules')).toMatchObject({ nullable: true, type: 'object' });
    expect(property('DeadLetterItem', 'originalPartition')).toMatchObject({ type: 'integer', nullable: true });
    expect(property('ReplayProgress', 'status')).toMatchObject({ enum: [...REPLAY_STATUSES] });
  });
});

type Schema = {
  $ref?: string;
  type?: string;
  enum?: unknown[];
  format?: string;
  allOf?: Schema[];
  oneOf?: Schema[];
  items?: Schema;
  properties?: Record<string, Schema>;
  required?: string[];
  additionalProperties?: boolean | Schema;
};
type Content = { content?: Record<string, { schema?: Schema }> };
type OpenApiDocument = {
  paths: Record<
    string,
    Record<string, { operationId: string; requestBody?: Content; responses: Record<string, Content> }>
  >;
  components: { schemas: Record<string, Schema> };
};

/**
 * Where a schema says nothing about its value: an object without properties (a class with no @ApiProperty, an
 * interface, `Promise<object>`), or a property with no type, enum, reference or combinator. Only a field may be a
 * declared free-form map (`additionalProperties: true`: an event's payload), never the answer itself.
 */
function schemaGaps(
  document: OpenApiDocument,
  schema: Schema | undefined,
  at: string,
  seen = new Set<string>(),
  field = false,
): string[] {
  if (!schema) return [`${at}: no schema`];
  if (schema.$ref) {
    const name = schema.$ref.replace('#/components/schemas/', '');
    if (seen.has(name)) return [];
    seen.add(name);
    return schemaGaps(document, document.components.schemas[name], `${at} → ${name}`, seen, field);
  }
  const parts = [...(schema.allOf ?? []), ...(schema.oneOf ?? [])];
  if (parts.length > 0) return parts.flatMap((part) => schemaGaps(document, part, at, seen, field));
  if (schema.type === 'array') return schemaGaps(document, schema.items, `${at}[]`, seen, field);
  if (schema.type === 'object' || (!schema.type && !schema.enum)) {
    const properties = Object.entries(schema.properties ?? {});
    if (typeof schema.additionalProperties === 'object') {
      return schemaGaps(document, schema.additionalProperties, `${at}{}`, seen, true);
    }
    if (field && schema.additionalProperties === true && properties.length === 0) return [];
    if (properties.length === 0) return [`${at}: an object without properties`];
    return properties.flatMap(([name, property]) => schemaGaps(document, property, `${at}.${name}`, seen, true));
  }
  return [];
}
