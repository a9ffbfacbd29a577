import jwt from 'jsonwebtoken';
import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
import { runSigningKey, signToken } from '../support/gateway-harness';
import { HttpResult, System, TestUser } from '../support/system-harness';

// OWASP API2 (broken authentication) and API8 (security misconfiguration).

const b64 = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64url');
const claimsOf = (token: string) => jwt.decode(token) as { sub: string; sid: string; role: string };
const STACK_TRACE = /\bat .+[:(]\d+:\d+|node_modules|\/work\/|\.ts:\d+|"stack"/;

function expectProblem(response: HttpResult, status: number, code?: string): void {
  expect(response.status).toBe(status);
  expect(response.headers.get('content-type')).toContain('application/problem+json');
  expect(response.json).toMatchObject({ status, ...(code ? { code } : {}) });
  expect(response.text).not.toMatch(STACK_TRACE);
}

export function authenticationSuite(getSystem: () => System): void {
  describe('abuse: authentication and misconfiguration (OWASP API2, API8)', () => {
    let system: System;
    let alice: TestUser;
    let bob: TestUser;

    beforeAll(async () => {
      system = getSystem();
      [alice, bob] = await Promise.all([system.signUp('alice'), system.signUp('bob')]);
    });

    const me = (authorization?: string, path = '/api/v1/users/me') =>
      system.http.get(path, { headers: authorization === undefined ? {} : { authorization } });

    describe('API2: tokens the gateway must refuse', () => {
      it('should accept the genuine token (control)', async () => {
        expect((await me(`Bearer ${alice.token}`)).status).toBe(200);
        // RFC 9110 §11.1: the authentication scheme is case-insensitive.
        expect((await me(`bearer ${alice.token}`)).status).toBe(200);
      });

      it('should answer 401 problem+json to forged, tampered, expired and wrong-algorithm tokens', async () => {
        const { sub, sid } = claimsOf(alice.token);
        const [header, , signature] = alice.token.split('.');
        const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
        const own = runSigningKey();
        const forged: Record<string, string> = {
          'HS256 with a guessed secret': jwt.sign({ sub, sid, role: 'user' }, 'x'.repeat(40), { expiresIn: 600 }),
          'another EC key under our kid': signToken(
            { sub, sid, role: 'user' },
            {},
            generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey,
          ),
          'payload swapped, signature kept': `${header}.${b64({ sub, sid, role: 'admin', exp: 9_999_999_999 })}.${signature}`,
          'signature stripped': `${header}.${alice.token.split('.')[1]}.`,
          expired: signToken({ sub, sid, role: 'user' }, { expiresIn: -60 }),
          'not yet valid': signToken({ sub, sid, role: 'user' }, { notBefore: 3600 }),
          'alg none': `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ sub, sid, role: 'user', exp: 9_999_999_999 })}.`,
          'alg NONE with a signature': `${b64({ alg: 'NONE', typ: 'JWT' })}.${b64({ sub, sid, role: 'user' })}.${signature}`,
          // Algorithm confusion: an HMAC keyed with the (public) verification key.
          'HS512 keyed with the public key': signToken(
            { sub, sid, role: 'user' },
            { algorithm: 'HS512' },
            own.publicKeyPem,
          ),
          'HS256 keyed with the public key': signToken(
            { sub, sid, role: 'user' },
            { algorithm: 'HS256' },
            own.publicKeyPem,
          ),
          RS256: signToken({ sub, sid, role: 'user' }, { algorithm: 'RS256' }, privateKey),
          'ES256 for another audience (an RPC credential)': signToken(
            { sub, sid, role: 'user' },
            { audience: 'user-service' },
          ),
          'ES256 from another issuer': signToken({ sub, sid, role: 'user' }, { issuer: 'someone-else' }),
          'no sid claim': signToken({ sub, role: 'user' }),
          'unknown role claim': signToken({ sub, sid, role: 'root' }),
          'string payload': jwt.sign('just-a-string', own.privateKey, { algorithm: 'ES256', keyid: own.kid }),
          'a session that never existed': signToken({ sub, sid: randomUUID(), role: 'user' }),
          "someone else's session": signToken({ sub, sid: claimsOf(bob.token).sid, role: 'user' }),
        };
        for (const [name, token] of Object.entries(forged)) {
          const response = await me(`Bearer ${token}`);
          expect({ name, status: response.status }).toEqual({ name, status: 401 });
          expectProblem(response, 401);
          expect(response.headers.get('www-authenticate')).toBe('Bearer');
        }
      });

      it('should take the role from the session, not from a validly signed token that claims admin', async () => {
        const { sub, sid } = claimsOf(alice.token);
        const admin = signToken({ sub, sid, role: 'admin' });
        expectProblem(await me(`Bearer ${admin}`, '/api/v1/users'), 403, 'AUTH.FORBIDDEN');
      });

      it('should answer 401 to malformed Authorization headers', async () => {
        const headers = [
          '',
          'Bearer',
          'Bearer ',
          `Bearer  ${alice.token}`,
          `Token ${alice.token}`,
          'Basic YWxpY2U6cGFzc3dvcmQ=',
          `Bearer ${alice.token} extra`,
          `Bearer ${alice.token},Bearer ${alice.token}`,
          `Bearer "${alice.token}"`,
          'Bearer a.b',
          'Bearer ...',
          `Bearer ${'a'.repeat(5000)}`,
          'Bearer \u00ff\u00fe',
          'Bearer null',
        ];
        for (const header of headers) {
          const response = await me(header);
          expect({ header: header.slice(0, 40), status: response.status }).toEqual({
            header: header.slice(0, 40),
            status: 401,
          });
          expectProblem(response, 401);
        }
        expectProblem(await me(undefined), 401, 'AUTH.MISSING_TOKEN');
      });

      it('should refuse a token in the query string, even a valid one, even with a valid header', async () => {
        for (const name of ['access_token', 'token', 'jwt', 'authorization']) {
          const alone = await system.http.get(`/api/v1/users/me?${name}=${alice.token}`);
          expectProblem(alone, 401, 'AUTH.TOKEN_IN_QUERY');
          const both = await system.http.get(`/api/v1/tasks?${name}=${alice.token}`, { token: alice.token });
          expectProblem(both, 401, 'AUTH.TOKEN_IN_QUERY');
        }
      });

      it('should reject the access and refresh tokens of a logged-out session at once', async () => {
        const carol = await system.signUp('carol');
        expect((await me(`Bearer ${carol.token}`)).status).toBe(200);
        expect((await system.http.post('/api/v1/auth/logout', undefined, { token: carol.token })).status).toBe(204);
        expectProblem(await me(`Bearer ${carol.token}`), 401, 'AUTH.SESSION_ENDED');
        expectProblem(await system.http.get('/api/v1/tasks', { token: carol.token }), 401, 'AUTH.SESSION_ENDED');
        const refresh = await system.http.post('/api/v1/auth/refresh', { refreshToken: carol.refreshToken });
        expectProblem(refresh, 401);
        // A second logout with the dead token is refused too (no session to end).
        expectProblem(await system.http.post('/api/v1/auth/logout', undefined, { token: carol.token }), 401);
      });

      it('should end the session when a used refresh token is replayed', async () => {
        const dave = await system.signUp('dave');
        const rotated = await system.http.post('/api/v1/auth/refresh', { refreshToken: dave.refreshToken });
        expect(rotated.status).toBe(200);
        const replay = await system.http.post('/api/v1/auth/refresh', { refreshToken: dave.refreshToken });
        expectProblem(replay, 401);
        // The replay ended the session: the token the legitimate client rotated to no longer works.
        expectProblem(await me(`Bearer ${rotated.json.accessToken}`), 401);
      });

      it('should refuse a guessed refresh secret for a known session id without ending that session', async () => {
        const erin = await system.signUp('erin');
        // Auditors see session ids in every event's metadata.sessionId; here it is read from the token's `sid`.
        const { sid } = JSON.parse(Buffer.from(erin.token.split('.')[1], 'base64url').toString()) as { sid: string };
        for (const guess of [`${sid}.${'A'.repeat(43)}`, `${sid}.${randomBytes(32).toString('base64url')}`]) {
          expectProblem(await system.http.post('/api/v1/auth/refresh', { refreshToken: guess }), 401);
        }
        expect((await me(`Bearer ${erin.token}`)).status).toBe(200);
        expect((await system.http.post('/api/v1/auth/refresh', { refreshToken: erin.refreshToken })).status).toBe(200);
      });

      it('should treat two concurrent refreshes with one token as reuse and end the session', async () => {
        const fay = await system.signUp('fay');
        const both = await Promise.all([
          system.http.post('/api/v1/auth/refresh', { refreshToken: fay.refreshToken }),
          system.http.post('/api/v1/auth/refresh', { refreshToken: fay.refreshToken }),
        ]);
        // Two uses of one refresh token are a reuse whichever wins the race: at most one succeeds, and the
        // session ends, so neither the winner's new tokens nor the old access token keep working.
        expect(both.filter((r) => r.status === 200).length).toBeLessThanOrEqual(1);
        expectProblem(await me(`Bearer ${fay.token}`), 401, 'AUTH.SESSION_ENDED');
      });

      it('should not tell which of email or password was wrong on login', async () => {
        const wrongPassword = await system.http.post('/api/v1/auth/login', {
          email: alice.email,
          password: 'nope-nope-nope',
        });
        const unknownEmail = await system.http.post('/api/v1/auth/login', {
          email: `nobody-${randomUUID()}@example.com`,
          password: 'nope-nope-nope',
        });
        expectProblem(wrongPassword, 401);
        const strip = ({ correlationId: _c, ...rest }: Record<string, unknown>) => rest;
        expect(strip(unknownEmail.json)).toEqual(strip(wrongPassword.json));
      });
    });

    describe('API8: security misconfiguration', () => {
      const expectSecurityHeaders = (response: HttpResult, label: string) => {
        const get = (name: string) => response.headers.get(name);
        expect({ label, poweredBy: get('x-powered-by'), server: get('server') }).toEqual({
          label,
          poweredBy: null,
          server: null,
        });
        expect({ label, headers: Object.fromEntries(response.headers) }).toMatchObject({
          label,
          headers: {
            'x-content-type-options': 'nosniff',
            'x-frame-options': 'SAMEORIGIN',
            'strict-transport-security': expect.stringContaining('max-age='),
            'content-security-policy': expect.stringContaining("default-src 'self'"),
            'referrer-policy': 'no-referrer',
            'cross-origin-opener-policy': 'same-origin',
            'x-dns-prefetch-control': 'off',
          },
        });
      };

      it('should send the security headers and no x-powered-by on successes, errors and ops routes', async () => {
        const responses: [string, HttpResult][] = [
          ['200', await me(`Bearer ${alice.token}`)],
          ['401', await me(undefined)],
          ['404 route', await system.http.get('/api/v1/nope', { token: alice.token })],
          ['400 validation', await system.http.post('/api/v1/tasks', { title: 5 }, { token: alice.token })],
          [
            '400 broken json',
            await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: '{"title":' }),
          ],
          [
            '413',
            await system.http.send('POST', '/api/v1/tasks', {
              token: alice.token,
              raw: JSON.stringify({ title: 'x'.repeat(200_000) }),
            }),
          ],
          [
            '415',
            await system.http.send('POST', '/api/v1/tasks', {
              token: alice.token,
              raw: 'x',
              headers: { 'content-type': 'text/xml' },
            }),
          ],
          ['bad url', await system.http.get('/api/v1/tasks/%E0%A4%A', { token: alice.token })],
          ['414 long param', await system.http.get(`/api/v1/tasks/${'a'.repeat(500)}`, { token: alice.token })],
          ['operational path on the public port', await system.http.get('/health/live')],
        ];
        for (const [label, response] of responses) expectSecurityHeaders(response, label);
      });

      it('should not serve /metrics, /status or health on the public ports (issue 12 finding 7): only on the management ports', async () => {
        const operational = ['/metrics', '/status', '/health/live', '/health/ready', '/health/database'];
        const publicPorts = [system.http.baseUrl, system.auditUrl!];
        for (const base of publicPorts) {
          for (const path of operational) {
            const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
            expect({ base, path, status: response.status }).toEqual({ base, path, status: 404 });
            expect(response.headers.get('content-type')).toContain('application/problem+json');
            expect(await response.text()).not.toMatch(/taskflow_|uptimeSeconds|"checks"/);
          }
        }
        for (const base of [system.management.baseUrl, system.auditManagementUrl!]) {
          for (const path of operational) {
            const response = await fetch(`${base}${path}`, { signal: AbortSignal.timeout(10_000) });
            expect({ base, path, status: response.status }).toEqual({ base, path, status: 200 });
          }
        }
      });

      it('should answer errors as problem+json without stack traces or internals', async () => {
        const errors: [string, HttpResult, number][] = [
          [
            'broken json',
            await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: '{"title":' }),
            400,
          ],
          ['wrong type', await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: '[1,2]' }), 400],
          ['null body', await system.http.send('POST', '/api/v1/tasks', { token: alice.token, raw: 'null' }), 400],
          ['bad uuid', await system.http.get('/api/v1/tasks/not-a-uuid', { token: alice.token }), 400],
          ['bad url', await system.http.get('/api/v1/tasks/%E0%A4%A', { token: alice.token }), 400],
          ['long param', await system.http.get(`/api/v1/tasks/${'a'.repeat(500)}`, { token: alice.token }), 414],
          ['unknown route', await system.http.get('/api/v1/admin', { token: alice.token }), 404],
          ['method', await system.http.send('PUT', '/api/v1/tasks', { token: alice.token, body: {} }), 404],
          ['bad cursor', await system.http.get('/api/v1/tasks?cursor=%%%', { token: alice.token }), 400],
        ];
        for (const [label, response, status] of errors) {
          expect({ label, status: response.status }).toEqual({ label, status });
          expectProblem(response, status);
        }
      });

      it('should not allow a foreign origin through CORS', async () => {
        const preflight = await system.http.send('OPTIONS', '/api/v1/tasks', {
          headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' },
        });
        expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
        const simple = await system.http.get('/api/v1/users/me', {
          token: alice.token,
          headers: { origin: 'https://evil.example' },
        });
        expect(simple.headers.get('access-control-allow-origin')).toBeNull();
        expect(simple.headers.get('access-control-allow-credentials')).toBeNull();
      });
    });
  });
}
