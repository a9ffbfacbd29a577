import type { TaskView } from '@taskflow/contracts';
import { HttpResult, System, TestUser } from '../support/system-harness';

// Inputs that once reached PostgreSQL and came back as a retryable 503 (issue 11 "Inputs that fail
// today"): each asserts the right status, the field named in the problem, and — where something is
// stored — that it reads back exactly as accepted. Through the real gateway, services and PostgreSQL.

const HEART = '\u2764\uFE0F'; // ❤️: two code points
const CLEF = '\u{1D11E}'; // 𝄞: one code point, two UTF-16 units

/** A 400 problem+json whose errors name `field`. */
export function expectFieldError(response: HttpResult, field: string, status = 400): void {
  expect({ status: response.status, body: response.json }).toMatchObject({
    status,
    body: { status, errors: expect.arrayContaining([expect.objectContaining({ field })]) },
  });
  expect(response.headers.get('content-type')).toContain('application/problem+json');
}

export function inputsSuite(getSystem: () => System): void {
  describe('abuse: inputs that used to reach the database', () => {
    let system: System;
    let alice: TestUser;
    let bob: TestUser;
    let admin: TestUser;

    beforeAll(async () => {
      system = getSystem();
      [alice, bob, admin] = await Promise.all([
        system.signUp('inputs-alice'),
        system.signUp('inputs-bob'),
        system.signUp('inputs-admin', 'admin'),
      ]);
    });

    const create = (body: unknown) => system.http.post('/api/v1/tasks', body, { token: alice.token });
    const read = async (id: string): Promise<TaskView> =>
      (await system.http.get(`/api/v1/tasks/${id}`, { token: alice.token })).json;

    it('should refuse NUL in a title, a description, a search and a profile field with 400 naming the field', async () => {
      expectFieldError(await create({ title: 'a\u0000b' }), 'title');
      expectFieldError(await create({ title: 'ok', description: 'a\u0000b' }), 'description');
      const task = await system.createTask(alice);
      const patch = { title: 'a\u0000b', version: task.version };
      expectFieldError(await system.http.patch(`/api/v1/tasks/${task.id}`, patch, { token: alice.token }), 'title');
      expectFieldError(await system.http.get('/api/v1/tasks/search?q=a%00b', { token: alice.token }), 'q');
      expectFieldError(
        await system.http.patch('/api/v1/users/me', { firstName: 'a\u0000b' }, { token: alice.token }),
        'firstName',
      );
    });

    it('should refuse a lone surrogate in a profile field with 400 naming the field', async () => {
      const lone = await system.http.send('PATCH', '/api/v1/users/me', {
        token: alice.token,
        raw: '{"lastName":"a\\ud800b"}',
      });
      expectFieldError(lone, 'lastName');
      const me = await system.http.get('/api/v1/users/me', { token: alice.token });
      expect(me.json.profile?.lastName).toBeUndefined();
    });

    it('should refuse a title of only white space (spaces, U+3000, tabs) on create and update, storing nothing', async () => {
      for (const title of ['   ', '\u3000\u3000', '\t\n', '\u200B']) {
        const created = await create({ title });
        expectFieldError(created, 'title');
        expect(JSON.stringify(created.json.errors)).toContain('visible character');
      }
      const task = await system.createTask(alice, { title: 'keep me' });
      const patched = await system.http.patch(
        `/api/v1/tasks/${task.id}`,
        { title: '\u3000 \t', version: task.version },
        { token: alice.token },
      );
      expectFieldError(patched, 'title');
      expect(await read(task.id)).toMatchObject({ title: 'keep me', version: task.version });
      // Surrounding white space is kept as sent, not trimmed.
      const padded = await create({ title: '  padded\u3000' });
      expect(padded.status).toBe(201);
      expect((await read(padded.json.id)).title).toBe('  padded\u3000');
    });

    it('should count a title in code points like varchar(255): 200 × ❤️ is 400 long, 255 × 𝄞 fits and round-trips', async () => {
      const hearts = await create({ title: HEART.repeat(200) });
      expectFieldError(hearts, 'title');
      expect(JSON.stringify(hearts.json.errors)).toContain('at most 255');
      const clefs = await create({ title: CLEF.repeat(255) });
      expect(clefs.status).toBe(201);
      expect(clefs.json.title).toBe(CLEF.repeat(255));
      expect((await read(clefs.json.id)).title).toBe(CLEF.repeat(255));
      expectFieldError(await create({ title: CLEF.repeat(256) }), 'title');
    });

    it('should refuse null for a NOT NULL field in a PATCH with 400 naming it, and clear a nullable one', async () => {
      const task = await system.createTask(alice, { description: 'to clear', dueDate: '2031-01-01T00:00:00Z' });
      const url = `/api/v1/tasks/${task.id}`;
      for (const field of ['title', 'priority']) {
        const response = await system.http.patch(url, { [field]: null, version: task.version }, { token: alice.token });
        expectFieldError(response, field);
      }
      const cleared = await system.http.patch(
        url,
        { description: null, dueDate: null, version: task.version },
        { token: alice.token },
      );
      expect(cleared.status).toBe(200);
      expect(await read(task.id)).toMatchObject({ description: null, dueDate: null, title: task.title });
    });

    it('should refuse date-times PostgreSQL would read otherwise, and store the instant it accepted', async () => {
      for (const dueDate of [
        '2030-01-01T10:16.000Z', // PostgreSQL: 00:10:16
        '2030-01-01T10:16:00', // no offset: the session's zone
        '2030-01-01',
        '2030-02-30T10:00:00Z',
        '2030-01-01T10:16:00.123456Z',
        '9999-12-31T23:59:59.999-01:00', // year 10000 once in UTC: was a 503 (the event refused it)
      ]) {
        expectFieldError(await create({ title: 'due', dueDate }), 'dueDate');
      }
      for (const query of [
        'dueBefore=2030-01-01',
        'dueBefore=9999-12-31T23:59:59.999-01:00',
        'dueAfter=0001-01-01T00:00:00%2B01:00',
      ]) {
        const field = query.slice(0, query.indexOf('='));
        expectFieldError(await system.http.get(`/api/v1/tasks?${query}`, { token: alice.token }), field);
      }
      const created = await create({ title: 'due', dueDate: '2030-01-01T10:16:00.5+02:00' });
      expect(created.status).toBe(201);
      expect(created.json.dueDate).toBe('2030-01-01T08:16:00.500Z');
      expect((await read(created.json.id)).dueDate).toBe('2030-01-01T08:16:00.500Z');
    });

    it('should accept lower-case t and z (RFC 3339 §5.6) as the same instant, answered in canonical UTC', async () => {
      const created = await create({ title: 'lower-case', dueDate: '2030-01-01t10:00:00z' });
      expect(created.status).toBe(201);
      expect(created.json.dueDate).toBe('2030-01-01T10:00:00.000Z');
      expect((await read(created.json.id)).dueDate).toBe('2030-01-01T10:00:00.000Z');
      const listed = await system.http.get(
        '/api/v1/tasks?dueAfter=2030-01-01t09:59:59z&dueBefore=2030-01-01t10:00:01z',
        {
          token: alice.token,
        },
      );
      expect(listed.status).toBe(200);
      expect(listed.json.items.map((task: TaskView) => task.id)).toContain(created.json.id);
    });

    it('should refuse a leap second (23:59:60) and say why: an instant cannot hold one', async () => {
      const response = await create({ title: 'leap', dueDate: '2030-12-31T23:59:60Z' });
      expectFieldError(response, 'dueDate');
      expect(JSON.stringify(response.json.errors)).toContain('leap second');
    });

    it('should answer DELETE and POST /restore sent with Content-Type: application/json and an empty body', async () => {
      const task = await system.createTask(alice);
      const json = { 'content-type': 'application/json' };
      const url = `/api/v1/tasks/${task.id}`;
      const deleted = await system.http.send('DELETE', url, { token: alice.token, headers: json, raw: '' });
      expect(deleted.status).toBe(204);
      const restored = await system.http.send('POST', `${url}/restore`, { token: alice.token, headers: json, raw: '' });
      expect(restored.status).toBe(200);
      expect(restored.json).toMatchObject({ id: task.id, deletedAt: null });
      expect(restored.json).not.toHaveProperty('affectedUserIds');
    });

    it('should answer 409 to restoring a task that is not deleted, and 428 to a PATCH without any version', async () => {
      const task = await system.createTask(alice);
      const restore = await system.http.post(`/api/v1/tasks/${task.id}/restore`, undefined, { token: alice.token });
      expect(restore.status).toBe(409);
      expect(restore.json).toMatchObject({ status: 409, code: 'TASK.NOT_DELETED' });
      const patch = await system.http.patch(
        `/api/v1/tasks/${task.id}`,
        { title: 'no version' },
        { token: alice.token },
      );
      expectFieldError(patch, 'version', 428);
      expect(patch.json.code).toBe('TASK.PRECONDITION_REQUIRED');
      // Another user's task stays a 404, deleted or not.
      const foreign = await system.http.post(`/api/v1/tasks/${task.id}/restore`, undefined, { token: bob.token });
      expect(foreign.status).toBe(404);
    });

    it('should treat an upper-case task id as the same task and the same cache entry', async () => {
      const task = await system.createTask(alice);
      const upper = `/api/v1/tasks/${task.id.toUpperCase()}`;
      expect((await system.http.get(upper, { token: alice.token })).json.id).toBe(task.id);
      const patched = await system.http.patch(
        `/api/v1/tasks/${task.id}`,
        { title: 'renamed', version: task.version },
        { token: alice.token },
      );
      expect(patched.status).toBe(200);
      expect((await system.http.get(upper, { token: alice.token })).json).toMatchObject({
        id: task.id,
        title: 'renamed',
      });
    });

    it("should drop the owner's and the assignee's cached stats when an admin deletes their task", async () => {
      const task = await system.createTask(alice, { assigneeId: bob.id });
      const stats = async (user: TestUser) => {
        const response = await system.http.get('/api/v1/tasks/stats/me', { token: user.token });
        return { total: response.json.total as number, cache: response.headers.get('cache-status') ?? '' };
      };
      const [aliceBefore, bobBefore] = [await stats(alice), await stats(bob)];
      expect((await stats(alice)).cache).toMatch(/hit/); // cached; task:{id} is not
      const deleted = await system.http.delete(`/api/v1/tasks/${task.id}`, { token: admin.token });
      expect(deleted.status).toBe(204);
      expect((await stats(alice)).total).toBe(aliceBefore.total - 1);
      expect((await stats(bob)).total).toBe(bobBefore.total - 1);
    });
  });
}
