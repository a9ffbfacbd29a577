import { Body, Controller, Get, Module, Post } from '@nestjs/common';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsString, MaxLength } from 'class-validator';
import type { InjectOptions } from 'fastify';
import { AppError } from './errors';
import { createHttpApp, listen } from './http-app';
import { createLogger } from './logger';
import { managementServer } from './management';
import { OpsModule } from './ops.module';
import { currentCorrelationId } from './request-context';

class EchoDto {
  @IsString() @MaxLength(5) name!: string;
}

@Controller('echo')
class EchoController {
  @Post()
  echo(@Body() body: EchoDto) {
    return { name: body.name, correlationId: currentCorrelationId() };
  }

  @Get('missing')
  missing() {
    throw new AppError('not_found', 'THING.NOT_FOUND', 'No such thing.');
  }

  @Get('throttled')
  throttled() {
    throw new AppError('rate_limited', 'THING.THROTTLED', 'Too many.', undefined, { retryAfterSeconds: 7 });
  }

  @Get('boom')
  boom() {
    throw new Error('secret internals');
  }

  @Get(':id')
  byId() {
    return {};
  }
}

@Module({ imports: [OpsModule.forApp({ name: 'kit-test', version: '0.0.0' })], controllers: [EchoController] })
class TestModule {}

describe('createHttpApp', () => {
  let app: NestFastifyApplication;
  const inject = (options: InjectOptions) => app.getHttpAdapter().getInstance().inject(options);
  const injectManagement = (options: InjectOptions) => managementServer(app).server.inject(options);

  beforeAll(async () => {
    app = await createHttpApp(TestModule, {
      logger: createLogger('kit-test', 'silent'),
      bodyLimit: 200,
      headers: { 'x-content-type-options': 'nosniff' },
    });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  afterAll(() => app.close());

  it('should answer liveness', async () => {
    const response = await injectManagement({ method: 'GET', url: '/health/live' });
    expect(response.statusCode).toBe(200);
    expect(response.json()).toEqual({ status: 'ok' });
  });

  it('should propagate a valid client correlation id into the handler and the response', async () => {
    const response = await inject({
      method: 'POST',
      url: '/echo',
      headers: { 'x-correlation-id': 'abc-123' },
      payload: { name: 'ok' },
    });
    expect(response.headers['x-correlation-id']).toBe('abc-123');
    expect(response.json()).toEqual({ name: 'ok', correlationId: 'abc-123' });
  });

  it('should replace an unsafe correlation id with a generated one', async () => {
    const response = await inject({
      method: 'GET',
      url: '/echo/x',
      headers: { 'x-correlation-id': 'a b\n<script>' },
    });
    expect(response.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('should reject unknown and invalid fields as problem+json with field errors', async () => {
    const response = await inject({ method: 'POST', url: '/echo', payload: { name: 'toolongname', role: 'admin' } });
    expect(response.statusCode).toBe(400);
    expect(response.headers['content-type']).toContain('application/problem+json');
    const body = response.json();
    expect(body.code).toBe('REQUEST.VALIDATION_FAILED');
    expect(body.errors).toEqual(
      expect.arrayContaining([
        { field: 'role', reason: 'property role should not exist' },
        { field: 'name', reason: expect.stringContaining('shorter than or equal to 5') },
      ]),
    );
  });

  it('should map an AppError to its status', async () => {
    const response = await inject({ method: 'GET', url: '/echo/missing' });
    expect(response.statusCode).toBe(404);
    expect(response.json()).toMatchObject({ status: 404, code: 'THING.NOT_FOUND', title: 'Not Found' });
  });

  it("should answer a service's rate_limited error 429 with Retry-After from its retryAfterSeconds", async () => {
    const response = await inject({ method: 'GET', url: '/echo/throttled' });
    expect(response.statusCode).toBe(429);
    expect(response.headers['retry-after']).toBe('7');
    expect(response.json()).toMatchObject({ status: 429, code: 'THING.THROTTLED', retryAfterSeconds: 7 });
  });

  it('should hide the details of an unexpected error', async () => {
    const response = await inject({ method: 'GET', url: '/echo/boom' });
    expect(response.statusCode).toBe(500);
    expect(response.body).not.toContain('secret internals');
  });

  it('should answer malformed JSON and oversized bodies with 4xx problem+json', async () => {
    const bad = await inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":',
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.json()).toMatchObject({
      code: 'REQUEST.MALFORMED',
      detail: expect.stringMatching(/^The request body is not valid JSON \(RFC 8259\): .+\.$/),
    });
    for (const payload of [
      '{"name":"a","__proto__":{"role":"admin"}}',
      '{"name":"a","constructor":{"prototype":{}}}',
    ]) {
      const poisoned = await inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect({ payload, status: poisoned.statusCode, body: poisoned.json() }).toMatchObject({
        payload,
        status: 400,
        body: { code: 'REQUEST.MALFORMED', detail: expect.stringContaining('"__proto__"') },
      });
    }
    const deep = await inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: `{"name":"a","x":${'['.repeat(60)}${']'.repeat(60)}}`,
    });
    expect(deep.statusCode).toBe(400); // the recursive transformer would overflow the stack on deeper ones: a 500
    expect(deep.json()).toMatchObject({ code: 'REQUEST.TOO_DEEP' });
    const big = await inject({ method: 'POST', url: '/echo', payload: { name: 'x'.repeat(500) } });
    expect(big.statusCode).toBe(413);
    expect(big.headers['content-type']).toContain('application/problem+json');
    expect(big.json()).toMatchObject({
      status: 413,
      code: 'REQUEST.TOO_LARGE',
      detail: expect.stringContaining('200 bytes'),
      limitBytes: 200,
    });
  });

  it('should refuse a body that is not application/json in UTF-8 with 415 problem+json, before parsing it', async () => {
    for (const contentType of [
      'application/x-www-form-urlencoded',
      'text/plain',
      'multipart/form-data; boundary=x',
      'application/json; charset=utf-16',
      'application/jsonx',
      undefined,
    ]) {
      const response = await inject({
        method: 'POST',
        url: '/echo',
        headers: contentType ? { 'content-type': contentType } : {},
        payload: contentType?.startsWith('application/x-www') ? 'name=x' : '{"name":"x"}',
      });
      expect({ contentType, status: response.statusCode }).toEqual({ contentType, status: 415 });
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({
        status: 415,
        code: 'REQUEST.UNSUPPORTED_MEDIA_TYPE',
        detail: expect.stringContaining('application/json'),
      });
    }
    for (const contentType of [
      'application/json',
      'Application/JSON; Charset="UTF-8"',
      'application/merge-patch+json',
    ]) {
      const response = await inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': contentType },
        payload: '{"name":"x"}',
      });
      expect({ contentType, status: response.statusCode }).toEqual({ contentType, status: 201 });
    }
    // No body: the media type is not looked at (an empty body with a JSON type is no body either).
    const get = await inject({ method: 'GET', url: '/echo/x', headers: { 'content-type': 'text/plain' } });
    expect(get.statusCode).toBe(200);
  });

  it('should refuse a JSON body that is not UTF-8 with 400 REQUEST.INVALID_ENCODING, not read it with U+FFFD', async () => {
    const invalid = Buffer.concat([Buffer.from('{"name":"'), Buffer.from([0xc3, 0x28]), Buffer.from('"}')]);
    for (const payload of [invalid, Buffer.from('{"name":"\xff"}', 'latin1'), Buffer.from('{"name":"é"}', 'utf16le')]) {
      const response = await inject({
        method: 'POST',
        url: '/echo',
        headers: { 'content-type': 'application/json' },
        payload,
      });
      expect(response.statusCode).toBe(400);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({ status: 400, code: 'REQUEST.INVALID_ENCODING' });
    }
    const ok = await inject({
      method: 'POST',
      url: '/echo',
      headers: { 'content-type': 'application/json' },
      payload: Buffer.from('{"name":"é😀"}'),
    });
    expect(ok.json()).toMatchObject({ name: 'é😀' });
  });

  it('should refuse a query parameter or a path that is not UTF-8 once percent-decoded, naming it', async () => {
    for (const [url, field] of [
      ['/echo/x?q=%C3%28', 'q'],
      ['/echo/x?a=1&q=%FF', 'q'],
      ['/echo/x?%C3%28=1', '%C3%28'],
      ['/echo/x?q=%ED%A0%80', 'q'], // an encoded lone surrogate (CESU-8) is not UTF-8 either
      ['/echo/%C3%28', 'path'],
      ['/nowhere/%C0%AF?q=1', 'path'], // an overlong '/'
    ] as const) {
      const response = await inject({ method: 'GET', url });
      expect({ url, status: response.statusCode }).toEqual({ url, status: 400 });
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.json()).toMatchObject({
        code: 'REQUEST.INVALID_ENCODING',
        errors: [{ field, reason: 'is not valid UTF-8 once percent-decoded' }],
      });
    }
    for (const url of ['/echo/x?q=%C3%A9%F0%9F%98%80', '/echo/x?q=100%', '/echo/%C3%A9?q=a+b']) {
      expect({ url, status: (await inject({ method: 'GET', url })).statusCode }).toEqual({ url, status: 200 });
    }
  });

  it("should answer the router's own rejections (bad URL, over-long parameter) as problem+json with the static headers", async () => {
    for (const [url, status, code] of [
      ['/echo/%zz', 400, 'REQUEST.BAD_URL'],
      ['/echo/%E0%A4%A', 400, 'REQUEST.INVALID_ENCODING'], // a truncated UTF-8 sequence
      [`/echo/${'a'.repeat(500)}`, 414, 'REQUEST.BAD_URL'],
    ] as const) {
      const response = await inject({ method: 'GET', url });
      expect(response.statusCode).toBe(status);
      expect(response.headers['content-type']).toContain('application/problem+json');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.json()).toMatchObject({ status, code });
    }
    const ok = await inject({ method: 'GET', url: '/echo/x' });
    expect(ok.headers['x-content-type-options']).toBe('nosniff');
  });

  it('should count requests in /metrics (management port)', async () => {
    const response = await injectManagement({ method: 'GET', url: '/metrics' });
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.body).toMatch(
      /taskflow_http_requests_total\{route="\/echo\/:id",method="GET",status="200",app="kit-test"\} \d+/,
    );
    expect(response.body).toMatch(/taskflow_http_requests_total\{route="\/health\/live",method="GET",status="200"/);
  });
});

describe('the management port (issue 12: operational endpoints off the public port)', () => {
  const OPERATIONAL = ['/metrics', '/status', '/health/live', '/health/ready', '/health/database'];
  let app: NestFastifyApplication;
  let publicUrl: string;
  let managementUrl: string;

  beforeAll(async () => {
    app = await createHttpApp(TestModule, { logger: createLogger('kit-test', 'silent') });
    await listen(
      app,
      { public: { host: '127.0.0.1', port: 0 }, management: { host: '127.0.0.1', port: 0 } },
      createLogger('kit-test', 'silent'),
    );
    publicUrl = await app.getUrl();
    managementUrl = `http://127.0.0.1:${managementServer(app).port()}`;
  });
  afterAll(() => app.close());

  it('answers 404 problem+json on the public port for /metrics, /status and health', async () => {
    for (const path of OPERATIONAL) {
      const response = await fetch(`${publicUrl.replace('[::1]', '127.0.0.1')}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 404 });
      expect(response.headers.get('content-type')).toContain('application/problem+json');
      expect(await response.json()).toMatchObject({ status: 404, code: 'HTTP.404' });
    }
  });

  it('serves them on the management port, and nothing else there', async () => {
    for (const path of OPERATIONAL) {
      const response = await fetch(`${managementUrl}${path}`);
      expect({ path, status: response.status }).toEqual({ path, status: 200 });
    }
    expect(await (await fetch(`${managementUrl}/status`)).json()).toMatchObject({ name: 'kit-test', version: '0.0.0' });
    const echo = await fetch(`${managementUrl}/echo/x`);
    expect(echo.status).toBe(404);
    expect(echo.headers.get('content-type')).toContain('application/problem+json');
  });

  it('closes the management listener with the app', async () => {
    const url = managementUrl;
    await app.close();
    await expect(fetch(`${url}/health/live`)).rejects.toThrow();
  });
});
