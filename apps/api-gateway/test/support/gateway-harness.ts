import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createLogger } from '@taskflow/nest-kit';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { loadGatewayConfig } from '../../src/config/gateway.config';
import { createGateway } from '../../src/gateway';

export const JWT_SECRET = 'test-secret-test-secret-test-secret-42';

/** Redis URL of a dedicated logical DB (tests flush only that DB; keys stay exactly the seed's). */
export function redisDbUrl(db: number): string {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${db}`;
  return url.toString();
}

export interface Gateway {
  app: NestFastifyApplication;
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
}

/** `logs`, when given, collects the gateway's log lines at warn and above (JSON strings). */
export async function startGateway(env: Record<string, string>, options: { logs?: string[] } = {}): Promise<Gateway> {
  // Generous timeouts: CI machines run many suites at once; the fail-fast tests use refused connections.
  const config = loadGatewayConfig({ JWT_SECRET, RPC_TIMEOUT_MS: '3000', REDIS_COMMAND_TIMEOUT_MS: '1000', ...env });
  const { logs } = options;
  const logger = logs
    ? createLogger('api-gateway-test', 'warn', { write: (line: string) => void logs.push(line) })
    : createLogger('api-gateway-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const app = await createGateway(config, logger);
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  return { app, inject: (options) => fastify.inject(options), close: () => app.close() };
}

export async function flushDb(url: string): Promise<void> {
  const redis = new Redis(url, { lazyConnect: true });
  await redis.connect();
  await redis.flushdb();
  redis.disconnect();
}

/** Registers and logs in a user; returns the user id and an Authorization header. */
export async function signUp(gateway: Gateway, email: string) {
  const password = 'correct-horse-battery';
  const registered = await gateway.inject({
    method: 'POST',
    url: '/api/v1/auth/register',
    payload: { email, password },
  });
  if (registered.statusCode !== 201) throw new Error(`register: ${registered.statusCode} ${registered.body}`);
  const login = await gateway.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password } });
  if (login.statusCode !== 200) throw new Error(`login: ${login.statusCode} ${login.body}`);
  const tokens = login.json();
  return {
    id: registered.json().id as string,
    tokens,
    auth: { authorization: `Bearer ${tokens.accessToken}` },
  };
}

export function signToken(claims: object, options: jwt.SignOptions = {}, secret = JWT_SECRET): string {
  return jwt.sign(claims, secret, { algorithm: 'HS256', expiresIn: 600, ...options });
}
