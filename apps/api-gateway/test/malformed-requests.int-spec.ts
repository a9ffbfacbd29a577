import fc from 'fast-check';
import { startFakeBackend } from './support/fake-services';
import { flushDb, Gateway, redisDbUrl, signUp, startGateway } from './support/gateway-harness';

jest.setTimeout(30_000);
const REDIS_URL = redisDbUrl(7);
const BODY_LIMIT = 4096;

/** Values of the wrong type, or hostile, for any field. */
const junk = fc.oneof(
  fc.integer(),
  fc.double(),
  fc.boolean(),
  fc.constant(null),
  fc.string({ maxLength: 40 }),
  fc.array(fc.anything({ maxDepth: 2 }), { maxLength: 3 }),
  fc.dictionary(fc.string({ maxLength: 8 }), fc.anything({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.constantFrom('__proto__', '{"$gt":""}', '../../etc/passwd', '\u0000', 'a'.repeat(300)),
);
const field = fc.constantFrom(
  'title',
  'description',
  'priority',
  'status',
  'assigneeId',
  'dueDate',
  'version',
  'role',
  'creatorId',
  'email',
  'password',
  'refreshToken',
  'profile',
  'constructor',
  'unknownField',
);
const jsonBody = fc.dictionary(field, junk, { maxKeys: 5 }).map((body) => JSON.stringify(body));
const rawBody = fc.oneof(
  jsonBody,
  fc.constantFrom('{"title":', '[', 'null', '"x"', '{"title":"a",}', '\u0000\u0001', ''),
  fc
    .string({ minLength: BODY_LIMIT + 1, maxLength: BODY_LIMIT + 200 })
    .map((s) => JSON.stringify({ title: s + 'x'.repeat(BODY_LIMIT) })),
);
const id = fc.oneof(fc.uuid(), fc.constantFrom('not-a-uuid', '1', '%00', "1' OR '1'='1", 'x'.repeat(100)));
const query = fc.oneof(
  fc.constant(''),
  fc.constantFrom(
    '?limit=100000',
    '?limit=-1',
    '?limit=abc',
    '?status=bogus',
    '?overdue=maybe',
    '?sort=password',
    '?cursor=' + 'x'.repeat(600),
    '?assigneeId=nope',
    '?unknown=1',
    '?status=todo&status=done',
  ),
);
const ROUTES = [
  ['POST', '/api/v1/tasks'],
  ['GET', '/api/v1/tasks'],
  ['GET', '/api/v1/tasks/search'],
  ['GET', '/api/v1/tasks/stats/me'],
  ['GET', '/api/v1/tasks/{id}'],
  ['PATCH', '/api/v1/tasks/{id}'],
  ['PATCH', '/api/v1/tasks/{id}/status'],
  ['PATCH', '/api/v1/tasks/{id}/assignee'],
  ['DELETE', '/api/v1/tasks/{id}'],
  ['POST', '/api/v1/tasks/{id}/restore'],
  ['POST', '/api/v1/auth/register'],
  ['POST', '/api/v1/auth/login'],
  ['POST', '/api/v1/auth/refresh'],
  ['PATCH', '/api/v1/users/me'],
  ['GET', '/api/v1/users'],
  ['PATCH', '/api/v1/users/{id}/role'],
  ['PUT', '/api/v1/tasks/{id}'],
] as const;
const request = fc.record({
  route: fc.tuple(fc.constantFrom(...ROUTES), id).map(([[method, path], value]) => ({
    method,
    path: path.replace('{id}', encodeURIComponent(value)),
  })),
  query,
  body: rawBody,
  contentType: fc.constantFrom(
    'application/json',
    'text/plain',
    'application/xml',
    'application/json; charset=utf-16',
    undefined,
  ),
  ifMatch: fc.option(fc.constantFrom('"v1"', '*', 'W/"v1"', 'garbage', '"v99999999999999999999"')),
  idempotencyKey: fc.option(fc.oneof(fc.string({ maxLength: 10 }), fc.constant('k'.repeat(300)))),
  authenticated: fc.boolean(),
});

describe('malformed requests', () => {
  let fake: Awaited<ReturnType<typeof startFakeBackend>>;
  let gateway: Gateway;
  let auth: Record<string, string>;

  beforeAll(async () => {
    await flushDb(REDIS_URL);
    fake = await startFakeBackend();
    gateway = await startGateway({
      REDIS_URL,
      USER_SERVICE_PORT: String(fake.port),
      TASK_SERVICE_PORT: String(fake.port),
      BODY_LIMIT_BYTES: String(BODY_LIMIT),
      RATE_LIMIT_USER_PER_MINUTE: '100000',
      RATE_LIMIT_LOGIN_PER_MINUTE: '100000',
    });
    auth = (await signUp(gateway, 'fuzz@example.com')).auth;
  });

  afterAll(async () => {
    await gateway.close();
    await fake.close();
  });

  it('should refuse every filter of the task list, the search and the user list given empty, naming it', async () => {
    const admin = await signUp(gateway, 'empty-admin@example.com');
    fake.backend.users.get(admin.id)!.role = 'admin';
    const login = await gateway.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'empty-admin@example.com', password: 'correct-horse-battery' },
    });
    const adminAuth = { authorization: `Bearer ${login.json().accessToken}` };
    const TASK_FILTERS = ['status', 'priority', 'assigneeId', 'creatorId', 'dueBefore', 'dueAfter', 'overdue'];
    const PAGE = ['sort', 'order', 'limit', 'cursor'];
    const cases: [string, string, Record<string, string>][] = [
      ...[...TASK_FILTERS, ...PAGE].map((name): [string, string, Record<string, string>] => [
        `/api/v1/tasks?${name}=`,
        name,
        auth,
      ]),
      ...[...TASK_FILTERS, ...PAGE].map((name): [string, string, Record<string, string>] => [
        `/api/v1/tasks/search?q=x&${name}=`,
        name,
        auth,
      ]),
      ['/api/v1/tasks/search?q=', 'q', auth],
      ...['search', 'role', 'page', 'limit'].map((name): [string, string, Record<string, string>] => [
        `/api/v1/users?${name}=`,
        name,
        adminAuth,
      ]),
    ];
    for (const [url, field, headers] of cases) {
      const response = await gateway.inject({ method: 'GET', url, headers });
      expect({ url, status: response.statusCode, type: response.headers['content-type'] }).toEqual({
        url,
        status: 400,
        type: expect.stringContaining('application/problem+json'),
      });
      expect({ url, fields: response.json().errors.map((error: { field: string }) => error.field) }).toEqual({
        url,
        fields: [field],
      });
    }
  });

  it('should refuse invalid UTF-8 in a JSON body, a query string and a path with 400 REQUEST.INVALID_ENCODING', async () => {
    const body = Buffer.concat([Buffer.from('{"title":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    const requests = [
      { method: 'POST', url: '/api/v1/tasks', payload: body, headers: { ...auth, 'content-type': 'application/json' } },
      { method: 'GET', url: '/api/v1/tasks/search?q=%C3%28', headers: auth },
      { method: 'GET', url: '/api/v1/tasks?cursor=%FF', headers: auth },
      { method: 'GET', url: '/api/v1/tasks/%C3%28', headers: auth },
    ] as const;
    for (const request of requests) {
      const response = await gateway.inject(request);
      expect({ url: request.url, status: response.statusCode, code: response.json().code }).toEqual({
        url: request.url,
        status: 400,
        code: 'REQUEST.INVALID_ENCODING',
      });
      expect(response.headers['content-type']).toContain('application/problem+json');
    }
    expect((await gateway.inject(requests[1])).json().errors).toEqual([
      { field: 'q', reason: 'is not valid UTF-8 once percent-decoded' },
    ]);
    expect(fake.backend.tasks.size).toBe(0);
  });

  it('should answer 200 seeded malformed requests without a single 5xx, always with problem+json on errors', async () => {
    const statuses = new Map<number, number>();
    await fc.assert(
      fc.asyncProperty(request, async (r) => {
        const headers: Record<string, string> = {};
        if (r.contentType) headers['content-type'] = r.contentType;
        if (r.ifMatch) headers['if-match'] = r.ifMatch;
        if (r.idempotencyKey !== null) headers['idempotency-key'] = r.idempotencyKey;
        if (r.authenticated) Object.assign(headers, auth);
        const response = await gateway.inject({
          method: r.route.method,
          url: r.route.path + r.query,
          headers,
          ...(r.route.method === 'GET' || r.route.method === 'DELETE' ? {} : { payload: r.body }),
        });
        statuses.set(response.statusCode, (statuses.get(response.statusCode) ?? 0) + 1);
        expect(response.statusCode).toBeLessThan(500);
        if (response.statusCode >= 400) {
          expect(response.headers['content-type']).toContain('application/problem+json');
          expect(response.body).not.toMatch(/at .+\.(js|ts):\d+/); // no stack traces
        }
      }),
      { seed: 20261122, numRuns: 200 },
    );
    expect(statuses.size).toBeGreaterThanOrEqual(4); // the generator reaches handlers, not only one error path
    expect([...statuses.keys()].some((status) => status >= 500)).toBe(false);
  });
});
