import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ACCESS_TOKEN_AUDIENCE, createLogger, managementServer, TOKEN_ISSUER } from '@taskflow/nest-kit';
import { signingKeyEnv } from '@taskflow/testing';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import jwt from 'jsonwebtoken';
import { createPrivateKey, createPublicKey, KeyObject } from 'node:crypto';
import { loadGatewayConfig } from '../../src/config/gateway.config';
import { createGateway } from '../../src/gateway';

/** This run's token signing key (Jest global setup), as the gateway under test holds it. */
export function runSigningKey(): { privateKey: KeyObject; kid: string; publicKeyPem: string } {
  const { JWT_PRIVATE_KEY, JWT_PRIVATE_KEY_ID } = signingKeyEnv();
  const privateKey = createPrivateKey(JWT_PRIVATE_KEY);
  const publicKeyPem = createPublicKey(privateKey).export({ type: 'spki', format: 'pem' }).toString();
  return { privateKey, kid: JWT_PRIVATE_KEY_ID, publicKeyPem };
}

/** Redis URL of a dedicated logical DB (tests flush only that DB; keys stay exactly the seed's). */
export function redisDbUrl(db: number): string {
  const url = new URL(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
  url.pathname = `/${db}`;
  return url.toString();
}

export interface Gateway {
  app: NestFastifyApplication;
  inject: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  /** The management listener (health, status, metrics), in process. */
  injectManagement: (options: InjectOptions) => Promise<LightMyRequestResponse>;
  close: () => Promise<void>;
}

/** `logs`, when given, collects the gateway's log lines at warn and above (JSON strings). */
export async function startGateway(env: Record<string, string>, options: { logs?: string[] } = {}): Promise<Gateway> {
  // Generous timeouts: CI machines run many suites at once; the fail-fast tests use refused connections.
  const config = loadGatewayConfig({
    ...signingKeyEnv(),
    RPC_TIMEOUT_MS: '3000',
    REDIS_COMMAND_TIMEOUT_MS: '1000',
    ...env,
  });
  const { logs } = options;
  const logger = logs
    ? createLogger('api-gateway-test', 'warn', { write: (line: string) => void logs.push(line) })
    : createLogger('api-gateway-test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const app = await createGateway(config, logger);
  await app.init();
  const fastify = app.getHttpAdapter().getInstance();
  await fastify.ready();
  const management = managementServer(app).server;
  return {
    app,
    inject: (options) => fastify.inject(options),
    injectManagement: (options) => management.inject(options),
    close: () => app.close(),
  };
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

/**
 * Signs `claims` as the gateway does (ES256 with this run's key and kid, its audience and issuer, 600 s); `options`
 * override any of that, and `key` replaces the key (a foreign key, or a secret for an HS* forgery).
 */
export function signToken(claims: object, options: jwt.SignOptions = {}, key?: jwt.Secret): string {
  const own = runSigningKey();
  return jwt.sign(claims, key ?? own.privateKey, {
    algorithm: 'ES256',
    keyid: own.kid,
    audience: ACCESS_TOKEN_AUDIENCE,
    issuer: TOKEN_ISSUER,
    expiresIn: 600,
    ...options,
  });
}
