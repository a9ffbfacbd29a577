import { loadAuditConfig } from './audit.config';

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

  it('should require a real JWT secret in production and report every bad key at once', () => {
    expect(() => loadAuditConfig({ NODE_ENV: 'production' })).toThrow('JWT_SECRET');
    const prodMongo = { MONGO_URL: 'mongodb://audit:pw@mongo.internal/taskflow_audit' };
    expect(() => loadAuditConfig({ NODE_ENV: 'production', ...prodMongo, JWT_SECRET: 'dev-only-change-me' })).toThrow(
      'JWT_SECRET',
    );
    expect(() => loadAuditConfig({ AUDIT_BATCH_SIZE: '0', MONGO_URL: 'http://x' })).toThrow(
      /AUDIT_BATCH_SIZE[\s\S]*MONGO_URL|MONGO_URL[\s\S]*AUDIT_BATCH_SIZE/,
    );
  });

  it('should take MONGO_URL from the environment and turn TLS on in production (APP_ENV)', () => {
    expect(() => loadAuditConfig({ APP_ENV: 'production', JWT_SECRET: 'x'.repeat(40) })).toThrow(
      /MONGO_URL: is required in production/,
    );
    const config = loadAuditConfig({
      APP_ENV: 'production',
      JWT_SECRET: 'x'.repeat(40),
      MONGO_URL: 'mongodb://mongo.internal/taskflow_audit',
    });
    expect(config.mongo.tls.enabled).toBe(true);
    expect(config.kafka.tls.enabled).toBe(true);
    expect(() => loadAuditConfig({ APP_ENV: 'production', MONGO_TLS: 'false' })).toThrow(
      /MONGO_TLS: must be true in production/,
    );
  });
});
