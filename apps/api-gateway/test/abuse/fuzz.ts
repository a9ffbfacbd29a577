import type { TaskView } from '@taskflow/contracts';
import fc from 'fast-check';
import { System, TestUser } from '../support/system-harness';
import { NOSQL_BODY, SQL, TASK_LIST_PARAMS } from './injection';

// Property-based fuzz of every gateway route on the real system: seeded (FUZZ_SEED) and bounded
// (FUZZ_RUNS per route). Every response < 500, errors are problem+json without stack traces, another
// user's task never appears, and the gateway and the services are healthy afterwards.
const FUZZ_SEED = Number(process.env.FUZZ_SEED ?? 20261122);
const FUZZ_RUNS = Number(process.env.FUZZ_RUNS ?? 100);
/** Routes fuzzed at once: the box's two cores are mostly waiting on the services otherwise. */
const CONCURRENCY = 4;

export function fuzzSuite(getSystem: () => System): void {
  describe(`abuse: property-based fuzz (FUZZ_SEED=${FUZZ_SEED}, FUZZ_RUNS=${FUZZ_RUNS} per route)`, () => {
    let system: System;
    let alice: TestUser;
    let admin: TestUser;
    let auditor: TestUser;
    let bobsTask: TaskView;

    beforeAll(async () => {
      system = getSystem();
      let bob: TestUser;
      [alice, admin, auditor, bob] = await Promise.all([
        system.signUp('fuzz-alice'),
        system.signUp('fuzz-admin', 'admin'),
        system.signUp('fuzz-auditor', 'auditor'),
        system.signUp('fuzz-bob'),
      ]);
      bobsTask = await system.createTask(bob, { title: `bob fuzz secret ${Date.now()}` });
    });

    const hostileString = fc.oneof(
      fc.string({ maxLength: 40 }),
      fc.string({ unit: 'grapheme', maxLength: 40 }),
      fc.string({ unit: 'binary', maxLength: 20 }),
      fc.integer().map(String),
      fc.double().map(String),
      fc.constantFrom(
        ...SQL,
        '{"$gt":""}',
        '$ne',
        'null',
        'true',
        '',
        ' ',
        '\u0000',
        '../../etc/passwd',
        'not-a-uuid',
        '00000000-0000-0000-0000-000000000000',
        'todo,done',
        'high',
        'createdAt',
        'asc',
        '2026-01-01T00:00:00Z',
        'x'.repeat(5000),
        '\u{1F4A9}'.repeat(300),
      ),
    );
    const junk = fc.oneof(
      hostileString,
      fc.integer(),
      fc.double(),
      fc.boolean(),
      fc.constant(null),
      fc.array(fc.jsonValue({ maxDepth: 2 }), { maxLength: 4 }),
      fc.dictionary(fc.string({ maxLength: 8 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 4 }),
      fc.constantFrom(...NOSQL_BODY),
    );
    const FIELDS = [
      'title',
      'description',
      'priority',
      'status',
      'assigneeId',
      'dueDate',
      'version',
      'email',
      'password',
      'refreshToken',
      'profile',
      'firstName',
      'avatarUrl',
      'role',
      'reason',
      'creatorId',
      'id',
    ];
    const body = fc.oneof(
      fc.dictionary(fc.oneof(fc.constantFrom(...FIELDS), fc.string({ maxLength: 10 })), junk, { maxKeys: 6 }),
      fc.jsonValue({ maxDepth: 4 }),
      fc.constantFrom('{"title":', '[', '"x"', '{"title":"a",}', '\u0000'),
      fc.integer({ min: 30, max: 40_000 }).map((n) => `{"title":"x","d":${'['.repeat(n)}${']'.repeat(n)}}`),
    );
    const PARAMS = [
      ...TASK_LIST_PARAMS,
      'q',
      'page',
      'search',
      'role',
      'type',
      'actorId',
      'entityType',
      'entityId',
      'correlationId',
      'from',
      'to',
      'bucket',
      'format',
    ];
    const query = fc
      .array(
        fc.tuple(
          fc.oneof(
            fc.constantFrom(...PARAMS),
            fc.constantFrom(...PARAMS).map((name) => `${name}[$ne]`),
            fc.string({ maxLength: 8 }),
          ),
          hostileString,
        ),
        { maxLength: 5 },
      )
      .map((pairs) => (pairs.length ? `?${new URLSearchParams(pairs)}` : ''));

    /** [method, path with {id}, who calls, body?, runs factor] — every gateway route. */
    const ENDPOINTS: [string, string, 'alice' | 'admin' | 'auditor' | 'throwaway' | 'none', boolean, number?][] = [
      ['POST', '/api/v1/auth/register', 'none', true, 0.25], // bcrypt per valid body: fewer runs
      ['POST', '/api/v1/auth/login', 'none', true, 0.25],
      ['POST', '/api/v1/auth/refresh', 'none', true],
      ['POST', '/api/v1/auth/logout', 'throwaway', true],
      ['GET', '/api/v1/auth/me', 'alice', false],
      ['GET', '/api/v1/users/me', 'alice', false],
      ['PATCH', '/api/v1/users/me', 'alice', true],
      ['GET', '/api/v1/users', 'admin', false],
      ['PATCH', '/api/v1/users/{user}/role', 'admin', true],
      ['POST', '/api/v1/tasks', 'alice', true],
      ['GET', '/api/v1/tasks', 'alice', false],
      ['GET', '/api/v1/tasks/search', 'alice', false],
      ['GET', '/api/v1/tasks/stats/me', 'alice', false],
      ['GET', '/api/v1/tasks/{id}', 'alice', false],
      ['PATCH', '/api/v1/tasks/{id}', 'alice', true],
      ['PATCH', '/api/v1/tasks/{id}/status', 'alice', true],
      ['PATCH', '/api/v1/tasks/{id}/assignee', 'alice', true],
      ['DELETE', '/api/v1/tasks/{id}', 'alice', false],
      ['POST', '/api/v1/tasks/{id}/restore', 'alice', true],
      ['GET', '/api/v1/audit/events', 'auditor', false],
      ['GET', '/api/v1/audit/stats/by-type', 'auditor', false],
      ['GET', '/api/v1/audit/stats/by-actor', 'auditor', false],
      ['GET', '/api/v1/audit/stats/by-time', 'auditor', false],
      ['GET', '/api/v1/audit/export', 'auditor', false],
      ['GET', '/api/v1/audit/entities/{kind}/{id}/history', 'auditor', false],
      ['GET', '/api/v1/audit/correlations/{id}', 'auditor', false],
    ];

    it('should answer every endpoint’s generated bodies and queries below 500, and stay healthy', async () => {
      const throwaway = await system.signUp('throwaway');
      const tokens = { alice: alice.token, admin: admin.token, auditor: auditor.token, throwaway: throwaway.token };
      const aliceTasks = await Promise.all(
        Array.from({ length: 3 }, (_, i) => system.createTask(alice, { title: `fuzz target ${i}` })),
      );
      const id = fc.oneof(
        fc.constantFrom(...aliceTasks.map((task) => task.id), bobsTask.id, throwaway.id),
        fc.uuid(),
        hostileString.filter((value) => value.length > 0),
      );
      // A valid body with one field swapped for junk gets past the first checks into the handlers.
      const VALID: Record<string, object> = {
        'POST /api/v1/auth/register': { email: `fuzz-${Date.now()}@example.com`, password: 'correct-horse-battery' },
        'POST /api/v1/auth/login': { email: alice.email, password: 'not-her-password' },
        'PATCH /api/v1/users/me': { firstName: 'Fuzz' },
        'PATCH /api/v1/users/{user}/role': { role: 'user' },
        'POST /api/v1/tasks': { title: 'fuzzed' },
        'PATCH /api/v1/tasks/{id}': { title: 'fuzzed', version: 1 },
        'PATCH /api/v1/tasks/{id}/status': { status: 'done', version: 1 },
        'PATCH /api/v1/tasks/{id}/assignee': { assigneeId: null, version: 1 },
      };
      const statuses = new Map<number, number>();
      const fuzzRoute = async (
        [method, template, who, hasBody, factor = 1]: (typeof ENDPOINTS)[number],
        index: number,
      ) => {
        const valid = VALID[`${method} ${template}`];
        const nearValid = fc
          .tuple(fc.constantFrom(...FIELDS), junk)
          .map(([field, value]) => ({ ...valid, [field]: value }));
        const request = fc.record({
          id,
          kind: fc.constantFrom('task', 'user', 'system', 'x', '$ne'),
          query,
          body: valid ? fc.oneof(body, nearValid, fc.constant(valid)) : body,
          contentType: fc.constantFrom('application/json', 'application/json', 'text/plain', undefined),
          authenticated: fc.nat(9).map((n) => n > 0),
        });
        const seed = FUZZ_SEED + index;
        try {
          await fc.assert(
            fc.asyncProperty(request, async (r) => {
              const path = template
                .replace('{id}', encodeURIComponent(r.id))
                .replace('{user}', encodeURIComponent(r.id))
                .replace('{kind}', r.kind);
              const headers: Record<string, string> = {};
              if (r.contentType) headers['content-type'] = r.contentType;
              const token = who !== 'none' && r.authenticated ? tokens[who] : undefined;
              const response = await system.http.send(method, path + r.query, {
                token,
                headers,
                raw: hasBody ? (typeof r.body === 'string' ? r.body : JSON.stringify(r.body)) : undefined,
              });
              statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
              expect(response.status).toBeLessThan(500);
              if (response.status >= 400) {
                expect(response.headers.get('content-type')).toContain('application/problem+json');
                expect(response.text).not.toMatch(/\bat .+:\d+:\d+|node_modules/);
              }
              // Never Bob's task to Alice, whatever the request looked like.
              expect(response.text).not.toContain(bobsTask.title);
            }),
            { seed, numRuns: Math.max(10, Math.round(FUZZ_RUNS * factor)) },
          );
        } catch (error) {
          throw new Error(`fuzz of ${method} ${template} failed (FUZZ_SEED=${FUZZ_SEED}, seed ${seed}): ${error}`, {
            cause: error,
          });
        }
      };
      const failures: unknown[] = [];
      for (let i = 0; i < ENDPOINTS.length; i += CONCURRENCY) {
        const batch = ENDPOINTS.slice(i, i + CONCURRENCY).map((endpoint, j) => fuzzRoute(endpoint, i + j));
        for (const result of await Promise.allSettled(batch))
          if (result.status === 'rejected') failures.push(result.reason);
      }
      if (failures.length > 0) throw failures[0];
      if (process.env.FUZZ_VERBOSE) console.log(Object.fromEntries(statuses));
      // The generators reach the handlers, not one error path only.
      expect([...statuses.keys()].filter((status) => status < 300).length).toBeGreaterThanOrEqual(2);
      expect(statuses.size).toBeGreaterThanOrEqual(6);
      expect((await system.management.get('/health/ready')).status).toBe(200);
      expect(system.servicesAlive()).toBe(true);
      expect((await system.http.get('/api/v1/users/me', { token: alice.token })).status).toBe(200);
    });
  });
}
