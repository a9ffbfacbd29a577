import { ConfigError } from '@taskflow/config';
import { PasswordHasher } from '../user/application/password-hasher';
import { generateFieldEncryptionKeyEnv } from '@taskflow/infra';
import { eventKeyEnv, signingKeyEnv } from '@taskflow/testing';
import {
  loadUserServiceConfig as loadWith,
  loadUserServiceServerConfig as loadServerWith,
} from './user-service.config';

const PII = generateFieldEncryptionKeyEnv();
const loadUserServiceConfig = (source: Record<string, string>) => loadWith({ ...PII, ...source });
const loadUserServiceServerConfig = (source: Record<string, string>) => loadServerWith({ ...PII, ...source });

describe('user-service config', () => {
  it('should default to seed 001 values: bcrypt cost 12, pool 10/30s/2s (20 in staging/production), local backends', () => {
    const config = loadUserServiceConfig({});
    expect(config.bcryptCost).toBe(12);
    expect(config.profile).toBe('development');
    expect(config.logLevel).toBe('debug');
    expect(loadUserServiceConfig({ APP_ENV: 'staging', DATABASE_URL: 'postgres://app@db/taskflow' }).db.poolMax).toBe(
      20,
    );
    expect(config.db).toMatchObject({
      url: 'postgres://postgres@127.0.0.1:5432/taskflow',
      readUrls: [],
      poolMax: 10,
      idleTimeoutMs: 30_000,
      connectTimeoutMs: 2_000,
      migrationsRun: false,
    });
    expect(config.kafka.brokers).toEqual(['127.0.0.1:9092']);
    expect(config.rpc).toEqual({
      host: '127.0.0.1',
      port: 4001,
      maxFrameBytes: 1024 * 1024,
      idleTimeoutMs: 60_000,
      maxConnections: 64,
    });
    expect(config.managementPort).toBe(9001);
  });

  it('should hash with cost 12 by default', async () => {
    const hash = await new PasswordHasher(loadUserServiceConfig({}).bcryptCost).hash('correct horse');
    expect(hash).toMatch(/^\$2b\$12\$/);
  });

  it('should name every bad variable', () => {
    expect(() =>
      loadUserServiceConfig({ DATABASE_URL: 'mysql://x/y', BCRYPT_COST: '3', DATABASE_READ_URLS: 'nope' }),
    ).toThrow(ConfigError);
    expect(() => loadUserServiceConfig({ DATABASE_URL: 'mysql://x/y' })).toThrow(/DATABASE_URL: must use postgres/);
    expect(() => loadUserServiceConfig({ BCRYPT_COST: '3' })).toThrow(/BCRYPT_COST: must be >= 4/);
  });

  it('should read replicas and MIGRATIONS_RUN', () => {
    const config = loadUserServiceConfig({
      DATABASE_READ_URLS: 'postgres://r1/taskflow, postgres://r2/taskflow',
      MIGRATIONS_RUN: 'true',
    });
    expect(config.db.readUrls).toEqual(['postgres://r1/taskflow', 'postgres://r2/taskflow']);
    expect(config.db.migrationsRun).toBe(true);
  });

  it('should fail fast in production without credentials from the environment or files, naming them', () => {
    expect(() => loadUserServiceConfig({ APP_ENV: 'production', DATABASE_SSL: 'false' })).toThrow(
      /DATABASE_URL: is required in production[\s\S]*DATABASE_SSL: must be true in production/,
    );
    const config = loadUserServiceConfig({
      APP_ENV: 'production',
      DATABASE_URL: 'postgres://app:pw@db/taskflow',
      KAFKA_SASL_MECHANISM: 'scram-sha-512',
      KAFKA_SASL_USERNAME: 'user-service',
      KAFKA_SASL_PASSWORD: 'pw',
    });
    expect(config.db.tls.enabled).toBe(true);
    expect(config.kafka.tls.enabled).toBe(true);
    expect(config.kafka.sasl.mechanism).toBe('scram-sha-512');
    expect(config.logLevel).toBe('info');
  });

  it('should require the email-encryption keys in every profile, naming each problem without its value', () => {
    expect(() => loadWith({})).toThrow(
      /PII_ENCRYPTION_KEYS: is required[\s\S]*PII_ENCRYPTION_KEY_ID: is required[\s\S]*PII_BLIND_INDEX_KEY: is required/,
    );
    expect(() => loadUserServiceConfig({ PII_ENCRYPTION_KEY_ID: 'other' })).toThrow(
      /PII_ENCRYPTION_KEY_ID: names no key of PII_ENCRYPTION_KEYS/,
    );
    const short = Buffer.alloc(16).toString('base64url');
    expect(() => loadUserServiceConfig({ PII_BLIND_INDEX_KEY: short })).toThrow(/PII_BLIND_INDEX_KEY: is required/);
    const weak = JSON.stringify({ keys: [{ kty: 'oct', kid: 'k', k: short }] });
    let message = '';
    try {
      loadUserServiceConfig({ PII_ENCRYPTION_KEYS: weak, PII_ENCRYPTION_KEY_ID: 'k' });
    } catch (error) {
      message = (error as Error).message;
    }
    expect(message).toMatch(/PII_ENCRYPTION_KEYS: must be a JWK Set of 256-bit oct keys/);
    expect(message).not.toContain(short);
  });

  it('the server also reads the authenticate throttle and its Redis (required outside development)', () => {
    const keys = { JWT_PUBLIC_KEYS: signingKeyEnv().JWT_PUBLIC_KEYS, ...eventKeyEnv() };
    expect(loadUserServiceServerConfig(keys).authenticateThrottle).toEqual({
      perEmailPerMinute: 10,
      perSourcePerMinute: 1200,
    });
    expect(() =>
      loadUserServiceServerConfig({ ...keys, APP_ENV: 'production', DATABASE_URL: 'postgres://app:pw@db/taskflow' }),
    ).toThrow(/REDIS_URL: is required in production/);
  });
});
