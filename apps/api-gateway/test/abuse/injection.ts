import type { TaskView } from '@taskflow/contracts';
import { MongoClient } from 'mongodb';
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { HttpClient, HttpResult, System, TestUser } from '../support/system-harness';

// Injection: SQL and NoSQL operator payloads in every filter, search, query parameter and body field of
// the gateway (user-service and task-service on PostgreSQL), and in audit-service's MongoDB query API,
// called directly and through the gateway's pass-through (also: no path traversal through it, API7).

export const SQL = [
  "' OR 1=1 --",
  "'; DROP TABLE tasks; --",
  "' OR '1'='1",
  '" OR ""="',
  "1' UNION SELECT id, email, password_hash FROM users --",
  "%' OR '%'='",
  "'; SELECT pg_sleep(10); --",
  "admin'--",
  '\\',
  '%',
  '_',
];
/** NoSQL operators as query-string syntax (the `[$op]` bracket form and plain values). */
const NOSQL_QUERY = (field: string) => [
  `${field}[$ne]=x`,
  `${field}[$gt]=`,
  `${field}[$regex]=.*`,
  `${field}[$where]=1`,
  `${field}=$ne`,
  `${field}=${encodeURIComponent('{"$gt":""}')}`,
  `${field}=${encodeURIComponent('{"$ne":null}')}`,
];
/** Every query parameter of GET /api/v1/tasks. */
export const TASK_LIST_PARAMS = [
  'status',
  'priority',
  'assigneeId',
  'creatorId',
  'dueBefore',
  'dueAfter',
  'overdue',
  'sort',
  'order',
  'limit',
  'cursor',
];

export const NOSQL_BODY = [{ $gt: '' }, { $ne: null }, { $regex: '.*' }, { $where: 'sleep(1000)' }, ['$ne', null]];

function expectSafe(response: HttpResult, label: string): void {
  expect({ label, serverError: response.status >= 500 }).toEqual({ label, serverError: false });
  if (response.status >= 400) expect(response.headers.get('content-type')).toContain('application/problem+json');
}

export function injectionSuite(getSystem: () => System): void {
  describe('abuse: injection', () => {
    let system: System;
    let alice: TestUser;
    let bob: TestUser;
    let admin: TestUser;
    let auditor: TestUser;
    let aliceTaskIds: string[];
    let bobsTask: TaskView;

    beforeAll(async () => {
      system = getSystem();
      [alice, bob, admin, auditor] = await Promise.all([
        system.signUp('alice'),
        system.signUp('bob'),
        system.signUp('admin', 'admin'),
        system.signUp('auditor', 'auditor'),
      ]);
      bobsTask = await system.createTask(bob, { title: `bob secret ${randomUUID()}` });
      const aliceTasks = await Promise.all([
        system.createTask(alice, { title: "literal ' OR 1=1 -- title", priority: 'high' }),
        system.createTask(alice, { title: 'plain', description: "'; DROP TABLE tasks; --" }),
      ]);
      aliceTaskIds = aliceTasks.map((task) => task.id);
    });

    const ids = (response: HttpResult) => (response.json?.items ?? []).map((item: { id: string }) => item.id);

    describe('gateway: SQL injection', () => {
      it('should treat SQL in every task list filter and in search as data: 400 or only the requester’s matching tasks', async () => {
        for (const payload of SQL) {
          for (const param of TASK_LIST_PARAMS) {
            const path = `/api/v1/tasks?${param}=${encodeURIComponent(payload)}`;
            const response = await system.http.get(path, { token: alice.token });
            expectSafe(response, path);
            expect({ path, status: response.status }).toEqual({ path, status: 400 });
          }
          const search = await system.http.get(`/api/v1/tasks/search?q=${encodeURIComponent(payload)}`, {
            token: alice.token,
          });
          expectSafe(search, `search ${payload}`);
          expect(search.status).toBe(200);
          // Only Alice's tasks, and only those whose text holds the payload literally.
          const expected =
            payload === "' OR 1=1 --"
              ? [aliceTaskIds[0]]
              : payload === "'; DROP TABLE tasks; --"
                ? [aliceTaskIds[1]]
                : [];
          expect({ payload, ids: ids(search) }).toEqual({ payload, ids: expected });
        }
        // Wildcards are escaped: '%' and '_' match only literally (no task of Alice holds them).
        const all = await system.http.get('/api/v1/tasks?limit=100', { token: alice.token });
        expect(ids(all).sort()).toEqual([...aliceTaskIds].sort());
        // The tables are still there and Bob's task is untouched.
        expect((await system.http.get(`/api/v1/tasks/${bobsTask.id}`, { token: bob.token })).json.title).toBe(
          bobsTask.title,
        );
      });

      it('should reject forged cursors carrying SQL or bad values with 400, not a service error', async () => {
        const cursor = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
        const forged = [
          cursor({ s: 'createdAt', o: 'desc', k: "' OR 1=1 --", id: randomUUID() }),
          cursor({ s: 'createdAt', o: 'desc', k: '2026-01-01 00:00:00+00', id: "'; DROP TABLE tasks; --" }),
          cursor({ s: 'priority', o: 'desc', k: 'ultra', id: randomUUID() }),
          cursor({ s: 'dueDate', o: 'desc', k: '99999-99-99', id: randomUUID() }),
          cursor({ s: 'createdAt', o: 'desc', k: { $gt: '' }, id: randomUUID() }),
          cursor({ s: 'createdAt; DROP TABLE tasks', o: 'desc', k: '2026-01-01', id: randomUUID() }),
          'not-base64-json',
        ];
        for (const value of forged) {
          for (const path of [`/api/v1/tasks?cursor=${value}`, `/api/v1/tasks/search?q=a&cursor=${value}`]) {
            const response = await system.http.get(path, { token: alice.token });
            expectSafe(response, path);
            expect({ path, status: response.status }).toEqual({ path, status: 400 });
          }
        }
        const sortField = await system.http.get('/api/v1/tasks?priority=high&sort=priority', { token: alice.token });
        expect(ids(sortField)).toEqual([aliceTaskIds[0]]); // a real sorted, filtered query still works
      });

      it('should store SQL in body fields verbatim and never let it change a query', async () => {
        for (const payload of SQL) {
          const created = await system.http.post(
            '/api/v1/tasks',
            { title: payload, description: payload },
            { token: alice.token },
          );
          expectSafe(created, `create ${payload}`);
          expect(created.status).toBe(201);
          expect(created.json).toMatchObject({ title: payload, description: payload, creatorId: alice.id });
          const profile = await system.http.patch(
            '/api/v1/users/me',
            { firstName: payload.slice(0, 100), bio: payload },
            { token: alice.token },
          );
          expect(profile.status).toBe(200);
          expect(profile.json.profile ?? profile.json).toMatchObject({
            firstName: payload.slice(0, 100),
            bio: payload,
          });
        }
        for (const payload of SQL) {
          for (const path of [
            `/api/v1/tasks/${encodeURIComponent(payload)}`,
            `/api/v1/tasks/${encodeURIComponent(payload)}/restore`,
          ]) {
            const response = await system.http.send(path.endsWith('restore') ? 'POST' : 'GET', path, {
              token: alice.token,
            });
            expectSafe(response, path);
            expect([400, 404]).toContain(response.status);
          }
          const assign = await system.http.patch(
            `/api/v1/tasks/${aliceTaskIds[1]}/assignee`,
            { assigneeId: payload, version: 1 },
            { token: alice.token },
          );
          expect(assign.status).toBe(400);
        }
        const stats = await system.http.get('/api/v1/tasks/stats/me', { token: bob.token });
        expect(stats.json.total).toBe(1); // Bob's count was never touched
      });

      it('should not log anyone in with SQL in the credentials', async () => {
        for (const payload of SQL.slice(0, 3)) {
          for (const body of [
            { email: payload, password: payload },
            { email: `${alice.email}' --`, password: 'x' },
            { email: alice.email, password: payload },
          ]) {
            const response = await system.http.post('/api/v1/auth/login', body);
            expectSafe(response, `login ${JSON.stringify(body)}`);
            expect(response.status).toBe(401);
          }
        }
      });

      it('should treat SQL in the admin user search and filters as data', async () => {
        for (const payload of SQL) {
          const search = await system.http.get(`/api/v1/users?search=${encodeURIComponent(payload)}`, {
            token: admin.token,
          });
          expectSafe(search, `users search ${payload}`);
          expect(search.status).toBe(200);
          // Alice's first name now holds the payload (stored above): she is the only possible match.
          for (const user of search.json.items) expect(user.id).toBe(alice.id);
          for (const param of ['role', 'page', 'limit']) {
            const response = await system.http.get(`/api/v1/users?${param}=${encodeURIComponent(payload)}`, {
              token: admin.token,
            });
            expect({ param, status: response.status }).toEqual({ param, status: 400 });
          }
        }
        const wildcard = await system.http.get('/api/v1/users?search=%25', { token: admin.token });
        const withPercent = wildcard.json.items.filter((user: { id: string }) => user.id !== alice.id);
        expect(withPercent).toEqual([]); // '%' is a literal, not "everyone"
      });
    });

    describe('gateway: NoSQL operator injection', () => {
      it('should reject operator objects in every body field with 400', async () => {
        const bodies: [string, string, (op: unknown) => object, string?][] = [
          ['POST', '/api/v1/auth/login', (op) => ({ email: alice.email, password: op })],
          ['POST', '/api/v1/auth/login', (op) => ({ email: op, password: 'x' })],
          ['POST', '/api/v1/auth/register', (op) => ({ email: op, password: 'correct-horse-battery' })],
          ['POST', '/api/v1/auth/refresh', (op) => ({ refreshToken: op })],
          ['POST', '/api/v1/tasks', (op) => ({ title: op }), alice.token],
          ['POST', '/api/v1/tasks', (op) => ({ title: 'x', assigneeId: op }), alice.token],
          ['PATCH', `/api/v1/tasks/${aliceTaskIds[0]}`, (op) => ({ title: 'x', version: op }), alice.token],
          ['PATCH', `/api/v1/tasks/${aliceTaskIds[0]}/status`, (op) => ({ status: op, version: 1 }), alice.token],
          ['PATCH', `/api/v1/tasks/${aliceTaskIds[0]}/assignee`, (op) => ({ assigneeId: op, version: 1 }), alice.token],
          ['PATCH', '/api/v1/users/me', (op) => ({ firstName: op }), alice.token],
          ['PATCH', `/api/v1/users/${bob.id}/role`, (op) => ({ role: op }), admin.token],
        ];
        for (const [method, path, make, token] of bodies) {
          for (const op of NOSQL_BODY) {
            const response = await system.http.send(method, path, { token, body: make(op) });
            const label = `${method} ${path} ${JSON.stringify(make(op))}`;
            expectSafe(response, label);
            expect({ label, status: response.status }).toEqual({ label, status: 400 });
          }
        }
      });

      it('should reject bracket-operator query syntax on every gateway filter', async () => {
        const routes: [string, string[], string][] = [
          ['/api/v1/tasks', ['status', 'assigneeId', 'creatorId', 'limit', 'cursor', 'sort'], alice.token],
          ['/api/v1/tasks/search', ['q', 'status', 'creatorId'], alice.token],
          ['/api/v1/users', ['search', 'role', 'limit'], admin.token],
        ];
        for (const [route, fields, token] of routes) {
          for (const field of fields) {
            for (const query of NOSQL_QUERY(field)) {
              const path = `${route}?${route.endsWith('search') && field !== 'q' ? 'q=a&' : ''}${query}`;
              const response = await system.http.get(path, { token });
              expectSafe(response, path);
              if (response.status === 200) {
                // Only a plain string reached a text field: it matched literally (nothing) or as the requester's data.
                for (const item of response.json.items) {
                  if (route.includes('tasks')) expect([item.creatorId, item.assigneeId]).toContain(alice.id);
                }
              } else expect({ path, status: response.status }).toEqual({ path, status: 400 });
            }
          }
        }
      });
    });

    describe('audit-service query API on MongoDB', () => {
      const actors = [randomUUID(), randomUUID()];
      let direct: HttpClient;
      // Logged-in users: audit-service checks each token's session and current role (issue 12 finding 4).
      const tokens: Record<string, string> = {};
      const token = (role: 'user' | 'auditor' | 'admin') => tokens[role];

      beforeAll(async () => {
        for (const role of ['user', 'auditor', 'admin'] as const)
          tokens[role] = (await system.signUp(`inj-${role}`, role)).token;
        direct = new HttpClient(system.auditUrl!, system.http.received);
        const client = await MongoClient.connect(system.auditMongoUrl!);
        const now = Date.now();
        await client
          .db()
          .collection('event_logs')
          .insertMany(
            Array.from({ length: 10 }, (_, i) => {
              const createdAt = new Date(now - (i + 1) * 60_000);
              return {
                eventId: randomUUID(),
                schemaVersion: 1,
                type: i % 2 ? 'task.created' : 'user.login',
                actorId: actors[i % 2],
                entityType: i % 2 ? 'task' : 'user',
                entityId: randomUUID(),
                payload: { i },
                metadata: { timestamp: createdAt },
                correlationId: `corr-${i % 2}`,
                createdAt,
                updatedAt: createdAt,
                expiresAt: new Date(now + 86_400_000),
              };
            }),
          );
        await client.close();
      });

      it('should answer a correct, filtered result for a plain filter (control)', async () => {
        const response = await direct.get(`/api/v1/audit/events?actorId=${actors[0]}`, { token: token('auditor') });
        expect(response.status).toBe(200);
        expect(response.json.items).toHaveLength(5);
        expect(response.json.items.every((item: { actorId: string }) => item.actorId === actors[0])).toBe(true);
      });

      it('should reject NoSQL operators and SQL in every filter of every query route with 400', async () => {
        const fields = ['type', 'actorId', 'entityId', 'entityType', 'correlationId', 'from', 'to', 'limit', 'cursor'];
        const routes = [
          '/api/v1/audit/events',
          '/api/v1/audit/stats/by-type',
          '/api/v1/audit/stats/by-actor',
          '/api/v1/audit/stats/by-time',
          '/api/v1/audit/export',
        ];
        const auditorToken = token('auditor');
        let checked = 0;
        for (const route of routes) {
          for (const field of fields) {
            // Paging parameters exist on the list only; the export takes a limit too.
            const takes = route.endsWith('events') || (route.endsWith('export') && field === 'limit');
            if (!takes && ['limit', 'cursor'].includes(field)) continue;
            const queries = [...NOSQL_QUERY(field), ...SQL.map((payload) => `${field}=${encodeURIComponent(payload)}`)];
            for (const query of queries) {
              const response = await direct.get(`${route}?${query}`, { token: auditorToken });
              expectSafe(response, `${route}?${query}`);
              if (response.status !== 400) {
                // The only acceptable success: a literal value that matched nothing.
                expect({ route, query, status: response.status, body: response.text }).toEqual({
                  route,
                  query,
                  status: 200,
                  body: expect.not.stringContaining(actors[0]),
                });
              }
              checked++;
            }
          }
        }
        for (const query of ['bucket[$ne]=day', 'bucket=%24ne', `bucket=${encodeURIComponent("day' OR 1=1")}`]) {
          expect((await direct.get(`/api/v1/audit/stats/by-time?${query}`, { token: auditorToken })).status).toBe(400);
        }
        for (const query of ['format[$ne]=csv', 'format=%7B%22%24ne%22%3Anull%7D']) {
          expect((await direct.get(`/api/v1/audit/export?${query}`, { token: auditorToken })).status).toBe(400);
        }
        expect(checked).toBeGreaterThan(300);
      });

      it('should reject operators and SQL in path parameters and in the admin bodies', async () => {
        const auditorToken = token('auditor');
        for (const value of ['$ne', '{"$gt":""}', "' OR 1=1 --", '.*', '$where']) {
          const encoded = encodeURIComponent(value);
          for (const path of [
            `/api/v1/audit/correlations/${encoded}`,
            `/api/v1/audit/entities/task/${encoded}/history`,
            `/api/v1/audit/entities/${encoded}/${randomUUID()}/history`,
          ]) {
            const response = await direct.get(path, { token: auditorToken });
            expectSafe(response, path);
            expect({ path, status: response.status }).toEqual({ path, status: 400 });
          }
        }
        for (const body of [
          { reason: { $gt: '' } },
          { reason: 'x', expectedEndAt: { $ne: null } },
          { reason: ['$ne'] },
        ]) {
          const response = await direct.post('/api/v1/audit/admin/maintenance', body, { token: token('admin') });
          expectSafe(response, JSON.stringify(body));
          expect(response.status).toBe(400);
        }
      });

      it('should refuse plain users and non-admins on the audit-service itself (API5)', async () => {
        expect((await direct.get('/api/v1/audit/events', { token: token('user') })).status).toBe(403);
        const restamp = await direct.post('/api/v1/audit/admin/retention/restamp', undefined, {
          token: token('auditor'),
        });
        expect(restamp.status).toBe(403);
        expect((await direct.get('/api/v1/audit/events')).status).toBe(401);
      });

      it('should keep the pass-through inside audit-service’s query API (no path traversal)', async () => {
        const { port } = new URL(system.http.baseUrl);
        // Raw requests: an HTTP client would normalise the dot segments before sending them.
        const rawGet = (path: string) =>
          new Promise<string>((resolve, reject) => {
            let received = '';
            const socket = connect(Number(port), '127.0.0.1', () =>
              socket.write(
                `GET ${path} HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer ${auditor.token}\r\nConnection: close\r\n\r\n`,
              ),
            );
            socket.on('data', (chunk) => (received += chunk.toString()));
            socket.on('end', () => resolve(received));
            socket.on('error', reject);
          });
        for (const path of [
          '/api/v1/audit/../../../metrics',
          '/api/v1/audit/events/../../../../status',
          '/api/v1/audit/%2e%2e/%2e%2e/%2e%2e/metrics',
          '/api/v1/audit/.%2E/.%2e/.%2E/health/ready',
        ]) {
          const response = await rawGet(path);
          expect({ path, status: response.slice(0, 12) }).toEqual({ path, status: 'HTTP/1.1 404' });
          expect(response).not.toMatch(/taskflow_|"uptime"|"checks"/);
        }
        expect(await rawGet('/api/v1/audit/events?limit=1')).toMatch(/^HTTP\/1\.1 200 /); // control
      });

      it('should pass operator syntax through the gateway only to be rejected, for an auditor', async () => {
        const control = await system.http.get(`/api/v1/audit/events?actorId=${actors[1]}`, { token: auditor.token });
        expect(control.status).toBe(200);
        expect(control.json.items).toHaveLength(5);
        for (const query of [
          ...NOSQL_QUERY('actorId'),
          ...NOSQL_QUERY('type'),
          `actorId=${encodeURIComponent("' OR 1=1 --")}`,
        ]) {
          const response = await system.http.get(`/api/v1/audit/events?${query}`, { token: auditor.token });
          expectSafe(response, query);
          expect({ query, status: response.status }).toEqual({ query, status: 400 });
        }
      });
    });
  });
}
