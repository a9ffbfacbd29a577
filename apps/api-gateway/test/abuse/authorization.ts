import type { TaskView } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';
import { HttpResult, System, TestUser } from '../support/system-harness';

// OWASP API1 (object level), API3 (object property level) and API5 (function level) authorisation.

/** What a 404 says with the id taken out, so "someone else's task" and "no such task" can be compared. */
function shape(response: HttpResult, id: string) {
  const { correlationId: _unique, ...body } = JSON.parse(response.text.replaceAll(id, '<id>'));
  return { status: response.status, contentType: response.headers.get('content-type'), body };
}

export function authorizationSuite(getSystem: () => System): void {
  describe('abuse: authorisation (OWASP API1, API3, API5)', () => {
    let system: System;
    let alice: TestUser;
    let bob: TestUser;
    let auditor: TestUser;
    let bobsTask: TaskView;

    beforeAll(async () => {
      system = getSystem();
      [alice, bob, auditor] = await Promise.all([
        system.signUp('alice'),
        system.signUp('bob'),
        system.signUp('auditor', 'auditor'),
      ]);
      bobsTask = await system.createTask(bob, { title: `bob-private-${randomUUID()}` });
      // Bob's copy is now in the gateway cache: the hit must not be served to anyone else.
      expect((await system.http.get(`/api/v1/tasks/${bobsTask.id}`, { token: bob.token })).status).toBe(200);
      const hit = await system.http.get(`/api/v1/tasks/${bobsTask.id}`, { token: bob.token });
      expect(hit.headers.get('cache-status')).toBe('taskflow-gateway; hit');
    });

    describe('API1: another user’s objects', () => {
      const attempts = (id: string) =>
        [
          ['GET', `/api/v1/tasks/${id}`, undefined, {}],
          ['GET', `/api/v1/tasks/${id}`, undefined, { 'if-none-match': '"v1"' }],
          ['PATCH', `/api/v1/tasks/${id}`, { title: 'stolen', version: 1 }, {}],
          ['PATCH', `/api/v1/tasks/${id}`, { title: 'stolen' }, { 'if-match': '"v1"' }],
          ['PATCH', `/api/v1/tasks/${id}`, { title: 'stolen' }, { 'if-match': '"v99"' }],
          ['PATCH', `/api/v1/tasks/${id}`, { title: 'stolen', version: 99 }, {}],
          ['PATCH', `/api/v1/tasks/${id}`, { title: 'stolen' }, { 'if-match': '*' }],
          ['PATCH', `/api/v1/tasks/${id}/status`, { status: 'done', version: 1 }, {}],
          ['PATCH', `/api/v1/tasks/${id}/assignee`, { assigneeId: null, version: 1 }, {}],
          ['DELETE', `/api/v1/tasks/${id}`, undefined, {}],
          ['DELETE', `/api/v1/tasks/${id}`, undefined, { 'if-match': '"v1"' }],
          ['POST', `/api/v1/tasks/${id}/restore`, undefined, {}],
        ] as const;

      it('should answer every task endpoint on another user’s task exactly as for a task that does not exist', async () => {
        const missing = randomUUID();
        const missingAttempts = attempts(missing);
        for (const [i, [method, path, body, headers]] of attempts(bobsTask.id).entries()) {
          const stolen = await system.http.send(method, path, { token: alice.token, body, headers: { ...headers } });
          const label = `${method} ${path} ${JSON.stringify(headers)}`;
          expect({ label, status: stolen.status }).toEqual({ label, status: 404 });
          expect(stolen.text).not.toContain(bobsTask.title);
          const missingPath = missingAttempts[i][1];
          const absent = await system.http.send(method, missingPath, {
            token: alice.token,
            body,
            headers: { ...headers },
          });
          expect(shape(stolen, bobsTask.id)).toEqual(shape(absent, missing));
        }
        // The assignee route must not let Alice give Bob's task to herself either.
        const selfAssign = await system.http.patch(
          `/api/v1/tasks/${bobsTask.id}/assignee`,
          { assigneeId: alice.id, version: 1 },
          { token: alice.token },
        );
        expect(selfAssign.status).toBe(404);

        // Nothing changed, and Bob still reads it.
        const after = await system.http.get(`/api/v1/tasks/${bobsTask.id}`, { token: bob.token });
        expect(after.status).toBe(200);
        expect(after.json).toMatchObject({ title: bobsTask.title, version: 1, assigneeId: null });
      });

      it('should not restore another user’s deleted task', async () => {
        const task = await system.createTask(bob, { title: 'to be deleted' });
        expect((await system.http.delete(`/api/v1/tasks/${task.id}`, { token: bob.token })).status).toBe(204);
        const restore = await system.http.post(`/api/v1/tasks/${task.id}/restore`, undefined, { token: alice.token });
        expect(restore.status).toBe(404);
        expect((await system.http.get(`/api/v1/tasks/${task.id}`, { token: bob.token })).status).toBe(404);
      });

      it('should never widen a list, search or stats beyond the requester’s tasks with another user’s id as filter', async () => {
        const shared = await system.createTask(bob, { title: 'shared with alice', assigneeId: alice.id });
        await system.createTask(alice, { title: 'alice own', assigneeId: bob.id });
        const ids = (response: HttpResult) => response.json.items.map((task: { id: string }) => task.id).sort();

        const byCreator = await system.http.get(`/api/v1/tasks?creatorId=${bob.id}`, { token: alice.token });
        expect(byCreator.status).toBe(200);
        expect(ids(byCreator)).toEqual([shared.id]); // only Bob's task that is assigned to Alice
        const byAssignee = await system.http.get(`/api/v1/tasks?assigneeId=${bob.id}&creatorId=${bob.id}`, {
          token: alice.token,
        });
        expect(ids(byAssignee)).toEqual([]);
        const search = await system.http.get(`/api/v1/tasks/search?q=${encodeURIComponent(bobsTask.title)}`, {
          token: alice.token,
        });
        expect(search.status).toBe(200);
        expect(ids(search)).toEqual([]);
        // Bob's identical search is cached per requester and does not answer Alice's.
        const bobsSearch = await system.http.get(`/api/v1/tasks/search?q=${encodeURIComponent(bobsTask.title)}`, {
          token: bob.token,
        });
        expect(ids(bobsSearch)).toEqual([bobsTask.id]);
        const aliceAgain = await system.http.get(`/api/v1/tasks/search?q=${encodeURIComponent(bobsTask.title)}`, {
          token: alice.token,
        });
        expect(ids(aliceAgain)).toEqual([]);

        // Alice's first page (cacheable) holds her tasks only, even after Bob's page was cached.
        await system.http.get('/api/v1/tasks', { token: bob.token });
        const page = await system.http.get('/api/v1/tasks', { token: alice.token });
        expect(
          page.json.items.every((task: { creatorId: string; assigneeId: string }) =>
            [task.creatorId, task.assigneeId].includes(alice.id),
          ),
        ).toBe(true);
        expect(ids(page)).not.toContain(bobsTask.id);

        const stats = await system.http.get('/api/v1/tasks/stats/me', { token: alice.token });
        expect(stats.json.total).toBe(page.json.items.length);
      });

      it('should not serve another user’s cached list or search pages to someone replaying their cursor', async () => {
        await Promise.all(Array.from({ length: 12 }, (_, i) => system.createTask(bob, { title: `bob page ${i}` })));
        const own = (response: HttpResult) =>
          response.json.items.every((task: { creatorId: string; assigneeId: string | null }) =>
            [task.creatorId, task.assigneeId].includes(alice.id),
          );
        for (const route of ['/api/v1/tasks?limit=5', '/api/v1/tasks/search?q=bob%20page&limit=5']) {
          const first = await system.http.get(route, { token: bob.token });
          expect(first.json.nextCursor).toEqual(expect.any(String));
          const next = `${route}&cursor=${encodeURIComponent(first.json.nextCursor)}`;
          const bobsSecond = await system.http.get(next, { token: bob.token }); // now cached for Bob
          expect(bobsSecond.status).toBe(200);
          expect(bobsSecond.json.items.length).toBeGreaterThan(0);
          const replayed = await system.http.get(next, { token: alice.token });
          expect({ route, status: replayed.status < 500 }).toEqual({ route, status: true });
          if (replayed.status === 200)
            expect({ route, onlyAlices: own(replayed) }).toEqual({ route, onlyAlices: true });
          expect(replayed.text).not.toContain('bob page');
        }
      });

      it('should scope idempotency keys per user: Bob never receives Alice’s stored response', async () => {
        const key = `shared-key-${randomUUID()}`;
        const body = { title: 'same body, same key' };
        const first = await system.http.post('/api/v1/tasks', body, {
          token: alice.token,
          headers: { 'idempotency-key': key },
        });
        const second = await system.http.post('/api/v1/tasks', body, {
          token: bob.token,
          headers: { 'idempotency-key': key },
        });
        expect([first.status, second.status]).toEqual([201, 201]);
        expect(second.headers.get('idempotency-replayed')).toBeNull();
        expect(second.json.creatorId).toBe(bob.id);
        expect(second.json.id).not.toBe(first.json.id);
      });

      it('should not let a user act on another user’s account through the user routes', async () => {
        const me = await system.http.get('/api/v1/users/me', { token: alice.token });
        expect(me.status).toBe(200);
        expect(me.json.id).toBe(alice.id);
        expect((await system.http.get(`/api/v1/users/${bob.id}`, { token: alice.token })).status).toBe(404);
        const promote = await system.http.patch(
          `/api/v1/users/${bob.id}/role`,
          { role: 'admin' },
          { token: alice.token },
        );
        expect(promote.status).toBe(403);
        const self = await system.http.patch(
          `/api/v1/users/${alice.id}/role`,
          { role: 'admin' },
          { token: alice.token },
        );
        expect(self.status).toBe(403);
        // The profile route takes no user id: an id in the body is an unknown field.
        const other = await system.http.patch(
          '/api/v1/users/me',
          { id: bob.id, firstName: 'x' },
          { token: alice.token },
        );
        expect(other.status).toBe(400);
      });
    });

    describe('API3: mass assignment and excessive exposure', () => {
      const fieldsOf = (response: HttpResult) => (response.json?.errors ?? []).map((e: { field: string }) => e.field);

      it('should reject privileged or server-owned fields on register, naming the field', async () => {
        for (const [field, value] of [
          ['role', 'admin'],
          ['id', randomUUID()],
          ['passwordHash', 'x'],
          ['password_hash', 'x'],
          ['createdAt', '2020-01-01T00:00:00Z'],
          ['emailVerified', true],
          ['isActive', true],
        ] as const) {
          const response = await system.http.post('/api/v1/auth/register', {
            email: `mass-${randomUUID().slice(0, 8)}@example.com`,
            password: 'correct-horse-battery',
            [field]: value,
          });
          expect({ field, status: response.status }).toEqual({ field, status: 400 });
          expect(response.headers.get('content-type')).toContain('application/problem+json');
          expect(fieldsOf(response)).toContain(field);
        }
        const nested = await system.http.post('/api/v1/auth/register', {
          email: `mass-${randomUUID().slice(0, 8)}@example.com`,
          password: 'correct-horse-battery',
          profile: { firstName: 'M', role: 'admin' },
        });
        expect(nested.status).toBe(400);
        expect(fieldsOf(nested)).toContain('profile.role');
      });

      it('should reject prototype pollution in any body', async () => {
        const raw = `{"title":"x","__proto__":{"role":"admin"}}`;
        const response = await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw });
        expect(response.status).toBe(400);
        expect(response.json).toMatchObject({
          code: 'REQUEST.MALFORMED',
          detail: expect.stringContaining('__proto__'),
        });
        const constructor = `{"title":"x","constructor":{"prototype":{"role":"admin"}}}`;
        expect((await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: constructor })).status).toBe(
          400,
        );
      });

      it('should reject role, email, id and timestamps on the profile update, naming the field', async () => {
        for (const field of ['role', 'email', 'id', 'createdAt', 'updatedAt', 'passwordHash', 'lastLoginAt']) {
          const response = await system.http.patch(
            '/api/v1/users/me',
            { [field]: 'admin', firstName: 'A' },
            { token: alice.token },
          );
          expect({ field, status: response.status }).toEqual({ field, status: 400 });
          expect(fieldsOf(response)).toContain(field);
        }
        const me = await system.http.get('/api/v1/auth/me', { token: alice.token });
        expect(me.json).toMatchObject({ id: alice.id, email: alice.email, role: 'user' });
      });

      it('should reject creator, version, id, timestamps and deletion on task create and update, naming the field', async () => {
        const overrides = {
          creatorId: bob.id,
          version: 7,
          id: randomUUID(),
          createdAt: '2020-01-01T00:00:00Z',
          updatedAt: '2020-01-01T00:00:00Z',
          completedAt: '2020-01-01T00:00:00Z',
          deletedAt: '2020-01-01T00:00:00Z',
        };
        for (const [field, value] of Object.entries(overrides)) {
          const response = await system.http.post(
            '/api/v1/tasks',
            { title: 'mass', [field]: value },
            { token: alice.token },
          );
          expect({ field, status: response.status }).toEqual({ field, status: 400 });
          expect(fieldsOf(response)).toContain(field);
        }
        const task = await system.createTask(alice, { title: 'mine' });
        const updates = { ...overrides, status: 'done', assigneeId: bob.id } as Record<string, unknown>;
        delete updates.version; // `version` is the optimistic-lock input of an update, tested below
        for (const [field, value] of Object.entries(updates)) {
          const response = await system.http.patch(
            `/api/v1/tasks/${task.id}`,
            { title: 'mass', [field]: value, version: 1 },
            { token: alice.token },
          );
          expect({ field, status: response.status }).toEqual({ field, status: 400 });
          expect(fieldsOf(response)).toContain(field);
        }
        // The version sent is only compared, never written: a stale one is a 409, the current one bumps it by one.
        const stale = await system.http.patch(
          `/api/v1/tasks/${task.id}`,
          { title: 'v', version: 50 },
          { token: alice.token },
        );
        expect(stale.status).toBe(409);
        const ok = await system.http.patch(
          `/api/v1/tasks/${task.id}`,
          { title: 'v', version: 1 },
          { token: alice.token },
        );
        expect(ok.json).toMatchObject({ version: 2, creatorId: alice.id, id: task.id });
      });
    });

    describe('API5: function level', () => {
      it('should answer 403 to a plain user on every admin and auditor route', async () => {
        const routes = [
          ['GET', '/api/v1/users'],
          ['GET', '/api/v1/users?role=admin'],
          ['GET', '/api/v1/audit/events'],
          ['GET', `/api/v1/audit/events?actorId=${bob.id}`],
          ['GET', '/api/v1/audit/stats/by-type'],
          ['GET', '/api/v1/audit/stats/by-actor'],
          ['GET', '/api/v1/audit/stats/by-time?bucket=day'],
          ['GET', '/api/v1/audit/export?format=csv'],
          ['GET', `/api/v1/audit/entities/task/${bobsTask.id}/history`],
          ['GET', '/api/v1/audit/correlations/abc'],
        ] as const;
        for (const [method, path] of routes) {
          const response = await system.http.send(method, path, { token: alice.token });
          expect({ path, status: response.status }).toEqual({ path, status: 403 });
          expect(response.json).toMatchObject({ status: 403, code: 'AUTH.FORBIDDEN' });
        }
        const roleChange = await system.http.patch(
          `/api/v1/users/${bob.id}/role`,
          { role: 'auditor' },
          { token: alice.token },
        );
        expect(roleChange.status).toBe(403);
      });

      it('should keep the user admin routes from an auditor and let an auditor past the audit role check', async () => {
        expect((await system.http.get('/api/v1/users', { token: auditor.token })).status).toBe(403);
        const change = await system.http.patch(
          `/api/v1/users/${bob.id}/role`,
          { role: 'admin' },
          { token: auditor.token },
        );
        expect(change.status).toBe(403);
        // Positive control: the auditor is let through to audit-service.
        const audit = await system.http.get('/api/v1/audit/events', { token: auditor.token });
        expect(audit.status).toBe(200);
      });

      it("should refuse at audit-service's own port a token whose session ended or whose user was demoted (issue 12 finding 4)", async () => {
        const direct = (token: string) =>
          fetch(`${system.auditUrl}/api/v1/audit/events?limit=1`, {
            headers: { authorization: `Bearer ${token}` },
            signal: AbortSignal.timeout(10_000),
          });
        const [leaving, demoted, admin] = await Promise.all([
          system.signUp('auditor-leaving', 'auditor'),
          system.signUp('auditor-demoted', 'auditor'),
          system.signUp('admin-demoting', 'admin'),
        ]);
        // Positive control: straight to audit-service, bypassing the gateway, the live auditor sessions read.
        expect((await direct(leaving.token)).status).toBe(200);
        expect((await direct(demoted.token)).status).toBe(200);

        const logout = await system.http.post('/api/v1/auth/logout', {}, { token: leaving.token });
        expect(logout.status).toBeLessThan(300);
        const afterLogout = await direct(leaving.token);
        expect(afterLogout.status).toBe(401);
        expect(await afterLogout.json()).toMatchObject({ code: 'AUTH.SESSION_ENDED' });

        const demotion = await system.http.patch(
          `/api/v1/users/${demoted.id}/role`,
          { role: 'user' },
          { token: admin.token },
        );
        expect(demotion.status).toBe(200);
        const afterDemotion = await direct(demoted.token);
        expect(afterDemotion.status).toBe(403);
        expect(await afterDemotion.json()).toMatchObject({ code: 'AUTH.FORBIDDEN' });
        // The gateway agrees, for both.
        expect((await system.http.get('/api/v1/audit/events', { token: leaving.token })).status).toBe(401);
        expect((await system.http.get('/api/v1/audit/events', { token: demoted.token })).status).toBe(403);
      });

      it('should keep the audit admin actions from an auditor, and offer no other verbs on audit and tasks', async () => {
        for (const path of ['/api/v1/audit/admin/maintenance', '/api/v1/audit/admin/retention/restamp']) {
          const response = await system.http.post(path, { reason: 'not mine to start' }, { token: auditor.token });
          expect({ path, status: response.status, code: response.json?.code }).toEqual({
            path,
            status: 403,
            code: 'AUTH.FORBIDDEN',
          });
        }
        for (const [method, path] of [
          ['DELETE', '/api/v1/audit/events'],
          ['PUT', '/api/v1/audit/admin/maintenance'],
          ['GET', '/api/v1/audit/anything-else'],
          ['PUT', `/api/v1/tasks/${bobsTask.id}`],
        ] as const) {
          const response = await system.http.send(method, path, {
            token: auditor.token,
            body: method === 'DELETE' || method === 'GET' ? undefined : {},
          });
          expect({ method, path, status: response.status }).toEqual({ method, path, status: 404 });
        }
      });
    });
  });
}
