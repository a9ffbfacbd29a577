import { signingKeyEnv } from '@taskflow/testing';
import { loadAuditConfig as load } from './audit.config';

const { JWT_PUBLIC_KEYS } = signingKeyEnv();
/** Every profile needs the gateway's public keys; the tests below are about the rest. */
const loadAuditConfig = (source: Record<string, string>) => load({ JWT_PUBLIC_KEYS, ...source });

describe('loadAuditConfig', () => {
  it('should default to the local stack and every TaskFlow topic', () => {
    const config = loadAuditConfig({});
    expect(config.mongo.url).toBe('mongodb://127.0.0.1:27017/taskflow_audit');
    expect(config.kafka).toMatchObject({ brokers: ['127.0.0.1:9092'], groupId: 'taskflow-audit', batchSize: 1000 });
    expect(config.kafka.topics).toEqual([
      'taskflow.task.events.v1',
      'taskflow.user.events.v1',
      'taskflow.system.events.v1',
    ]);
    expect(config.http.port).toBe(3003);
    expect(config.retention.daysFor('user.login')).toBe(365);
  });

  it('should apply a retention override and reject a broken one', () => {
    expect(loadAuditConfig({ AUDIT_RETENTION_JSON: '{"task.*": 30}' }).retention.daysFor('task.created')).toBe(30);
    expect(() => loadAuditConfig({ AUDIT_RETENTION_JSON: '{"task.*": -1}' })).toThrow('AUDIT_RETENTION_JSON');
    expect(() => loadAuditConfig({ AUDIT_RETENTION_JSON: 'nope' })).toThrow('AUDIT_RETENTION_JSON');
  });

  it("should require the gateway's public keys in every profile, never echo them, and report every bad key at once", () => {
    expect(() => load({})).toThrow(/JWT_PUBLIC_KEYS: is required/);
    expect(() => load({ JWT_PUBLIC_KEYS: '{"keys":[{"kty":"oct","k":"c2VjcmV0","kid":"a"}]}' })).toThrow(
      /JWT_PUBLIC_KEYS: must be a JWK Set of EC P-256 public keys/,
    );
    expect(() => loadAuditConfig({ AUDIT_BATCH_SIZE: '0', MONGO_URL: 'http://x' })).toThrow(
      /AUDIT_BATCH_SIZE[\s\S]*MONGO_URL|MONGO_URL[\s\S]*AUDIT_BATCH_SIZE/,
    );
  });

  it('should take MONGO_URL from the environment and turn TLS on in production (APP_ENV)', () => {
    expect(() => loadAuditConfig({ APP_ENV: 'production' })).toThrow(/MONGO_URL: is required in production/);
    const config = loadAuditConfig({
      APP_ENV: 'production',
      MONGO_URL: 'mongodb://mongo.internal/taskflow_audit',
    });
    expect(config.mongo.tls.enabled).toBe(true);
    expect(config.kafka.tls.enabled).toBe(true);
    expect(() => loadAuditConfig({ APP_ENV: 'production', MONGO_TLS: 'false' })).toThrow(
      /MONGO_TLS: must be true in production/,
    );
  });
});
