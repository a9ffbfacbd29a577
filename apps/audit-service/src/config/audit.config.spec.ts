import { eventKeyEnv, signingKeyEnv } from '@taskflow/testing';
import { loadAuditConfig as load, loadAuditMigrationConfig, loadAuditVerifyConfig } from './audit.config';

const { JWT_PUBLIC_KEYS } = signingKeyEnv();
const eventKeys = eventKeyEnv();
const AUDIT_CHECKPOINT_KEY = 'a-checkpoint-key-for-the-config-tests-0123';
/** Every profile needs the gateway's public keys and the event keys (and outside development the checkpoint key). */
const loadAuditConfig = (source: Record<string, string>) =>
  load({ JWT_PUBLIC_KEYS, ...eventKeys, AUDIT_CHECKPOINT_KEY, ...source });
/** A managed three-member replica set with TLS, as the staging/prod overlays build MONGO_URL. */
const REPLICA_SET_URL =
  'mongodb://taskflow_audit:Mz5-tRq2_WnYk8Ls@m-0.internal:27017,m-1.internal:27017,m-2.internal:27017/' +
  'taskflow_audit?authSource=admin&replicaSet=rs0&tls=true';

describe('loadAuditConfig', () => {
  it('binds loopback by default, and serves health and metrics on MANAGEMENT_PORT (default 9003)', () => {
    expect(loadAuditConfig({}).http).toEqual({ host: '127.0.0.1', port: 3003, managementPort: 9003 });
    expect(loadAuditConfig({ AUDIT_HTTP_HOST: '0.0.0.0', MANAGEMENT_PORT: '9999' }).http).toMatchObject({
      host: '0.0.0.0',
      managementPort: 9999,
    });
  });

  it('should default to the local stack and every TaskFlow topic', () => {
    const config = loadAuditConfig({});
    expect(config.mongo.url).toBe('mongodb://127.0.0.1:27017/taskflow_audit');
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], groupId: 'taskflow-audit', batchSize: 1000 });
    expect(config.kafka.topics).toEqual([
      'taskflow.task.events.v1',
      'taskflow.user.events.v1',
      'taskflow.system.events.v1',
      'taskflow.audit.events.v1',
    ]);
    expect(config.http.port).toBe(3003);
    expect(config.retention.daysFor('user.login')).toBe(365);
  });

  it('should apply a retention override and reject a broken one', () => {
    const override = (json: string) => loadAuditConfig({ AUDIT_RETENTION_JSON: json });
    expect(override('{"task.*": 30}').retention.daysFor('task.created')).toBe(30);
    expect(() => override('{"task.*": -1}')).toThrow('AUDIT_RETENTION_JSON');
    expect(() => override('nope')).toThrow('AUDIT_RETENTION_JSON');
  });

  it("should require the gateway's public keys in every profile, never echo them, and report every bad key at once", () => {
    expect(() => load({})).toThrow(/JWT_PUBLIC_KEYS: is required/);
    expect(() => load({ JWT_PUBLIC_KEYS: '{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"}]}' })).toThrow(
      /JWT_PUBLIC_KEYS: must be a JWK Set of EC P-256 public keys/,
    );
    expect(() => load({ AUDIT_BATCH_SIZE: '0', MONGO_URL: 'http://x' })).toThrow(
      /MONGO_URL[\s\S]*AUDIT_BATCH_SIZE[\s\S]*JWT_PUBLIC_KEYS/,
    );
  });

  it('should require the event keys in every profile and bind every topic to the entity type its name says', () => {
    const { EVENT_SIGNING_KEY, EVENT_VERIFY_KEYS } = eventKeys;
    expect(() => loadAuditConfig({ EVENT_SIGNING_KEY: '', EVENT_VERIFY_KEYS: '' })).toThrow(
      /EVENT_SIGNING_KEY: is required[\s\S]*EVENT_VERIFY_KEYS: is required/,
    );
    // A damaged key (one character changed) is refused without echoing any of it.
    const damaged = EVENT_SIGNING_KEY.replace(/(-----\n?\\?n?)(.)/, (_m, head, c) => head + (c === 'A' ? 'B' : 'A'));
    expect(() => loadAuditConfig({ EVENT_SIGNING_KEY: damaged, APP_ENV: 'production' })).toThrow(
      /^(?![\s\S]*MC4C)[\s\S]*EVENT_SIGNING_KEY: must be an Ed25519 private key, PKCS#8 PEM or JWK \(value not shown\)/,
    );
    const config = loadAuditConfig({ AUDIT_TOPICS: 'run-1.taskflow.user.events.v1' });
    expect(config.events.verifyKeys.size).toBe(JSON.parse(EVENT_VERIFY_KEYS).keys.length);
    expect(() =>
      loadAuditConfig({ AUDIT_TOPICS: 'taskflow.user.events.v1,orders', AUDIT_SYSTEM_TOPIC: 'ops' }),
    ).toThrow(
      /AUDIT_TOPICS: orders must be \(or end with\) one of taskflow\.task\.events\.v1[\s\S]*AUDIT_SYSTEM_TOPIC: ops/,
    );
  });

  it('should require a checkpoint key of at least 32 bytes in every profile, and never echo it', () => {
    // No default in any profile: npm start and the tests generate their own (libs/infra local-secrets).
    expect(() => load({ JWT_PUBLIC_KEYS, ...eventKeys })).toThrow(/AUDIT_CHECKPOINT_KEY: is required/);
    const production = {
      APP_ENV: 'production',
      MONGO_URL: 'mongodb://mongo.internal/taskflow_audit',
      REDIS_URL: 'rediss://redis.internal:6380',
    };
    expect(() => load({ JWT_PUBLIC_KEYS, ...eventKeys, ...production })).toThrow(
      /AUDIT_CHECKPOINT_KEY: is required/,
    );
    expect(() => load({ JWT_PUBLIC_KEYS, ...eventKeys, ...production, AUDIT_CHECKPOINT_KEY: 'short-secret' })).toThrow(
      /AUDIT_CHECKPOINT_KEY: must be at least 32 bytes \(value not shown\)$/,
    );
    const verify = loadAuditVerifyConfig({ ...production, AUDIT_CHECKPOINT_KEY });
    expect(verify.chain.checkpointKey.toString()).toBe(AUDIT_CHECKPOINT_KEY);
    expect(verify.retention.daysFor('task.created')).toBe(180);
  });

  it('should take MONGO_URL from the environment and turn TLS on in production (APP_ENV)', () => {
    expect(() => loadAuditConfig({ APP_ENV: 'production' })).toThrow(/MONGO_URL: is required in production/);
    expect(() => loadAuditConfig({ APP_ENV: 'production' })).toThrow(/REDIS_URL: is required in production/);
    const config = loadAuditConfig({
      APP_ENV: 'production',
      MONGO_URL: 'mongodb://mongo.internal/taskflow_audit',
      REDIS_URL: 'rediss://sessions.internal:6379',
    });
    expect(config.mongo.tls.enabled).toBe(true);
    expect(config.kafka.tls.enabled).toBe(true);
    expect(() => loadAuditConfig({ APP_ENV: 'production', MONGO_TLS: 'false' })).toThrow(
      /MONGO_TLS: must be true in production/,
    );
  });

  it('should accept a multi-host replica-set URL and an SRV URL (the driver parser, not WHATWG URL)', () => {
    for (const url of [REPLICA_SET_URL, 'mongodb+srv://audit:pw@cluster0.example.net/taskflow_audit']) {
      expect(loadAuditConfig({ APP_ENV: 'production', MONGO_URL: url, REDIS_URL: 'rediss://r:6379' }).mongo.url).toBe(url);
    }
  });

  it('should never print the credentials of a rejected MONGO_URL', () => {
    const password = 'Sup3r-Secret_Pa55';
    for (const url of [
      `mongodb://audit:${password}@m-0:27017,m-1:27017,m-2:port/taskflow_audit`,
      `mongodb://audit:${password}@/taskflow_audit`,
      `mongodb://audit:${password}@m-0/taskflow_audit?replicaSet=rs0&tls=maybe@x`,
      `mongodb+srv://audit:${password}@cluster0.example.net:27017/taskflow_audit`,
      `postgres://audit:${password}@db/taskflow_audit`,
    ]) {
      let message = '';
      try {
        loadAuditConfig({ APP_ENV: 'production', MONGO_URL: url });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/MONGO_URL: /);
      expect(message).not.toContain(password);
    }
  });
});

describe('loadAuditMigrationConfig', () => {
  it('should read MongoDB only: the migration Job gets neither the JWT secret nor Kafka settings', () => {
    const config = loadAuditMigrationConfig({ APP_ENV: 'production', MONGO_URL: REPLICA_SET_URL });
    expect(config).toMatchObject({ profile: 'production', mongo: { url: REPLICA_SET_URL, tls: { enabled: true } } });
    expect(() => loadAuditMigrationConfig({ APP_ENV: 'staging' })).toThrow(/MONGO_URL: is required in staging/);
  });
});
