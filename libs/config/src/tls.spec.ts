import { loadConfig } from './env';
import {
  kafkaSaslSettings,
  kafkaSecurityOptions,
  mongoTlsOptions,
  postgresSsl,
  redisTlsOptions,
  TlsSettings,
  tlsSettings,
} from './tls';

const off: TlsSettings = { enabled: false, caFile: '', rejectUnauthorized: true };
const withCa: TlsSettings = { enabled: true, caFile: '/etc/ca.pem', rejectUnauthorized: true };
const readFile = (path: string) => `PEM of ${path}`;

describe('TLS configuration → client options', () => {
  it('should read <PREFIX>, <PREFIX>_CA_FILE and <PREFIX>_REJECT_UNAUTHORIZED', () => {
    expect(
      loadConfig({ tls: tlsSettings('REDIS_TLS') }, { REDIS_TLS: 'true', REDIS_TLS_REJECT_UNAUTHORIZED: 'false' }),
    ).toEqual({
      tls: { enabled: true, caFile: '', rejectUnauthorized: false },
    });
  });

  it('PostgreSQL: ssl false when off, else the CA contents and the certificate check', () => {
    expect(postgresSsl(off, readFile)).toBe(false);
    expect(postgresSsl(withCa, readFile)).toEqual({ ca: 'PEM of /etc/ca.pem', rejectUnauthorized: true });
    expect(postgresSsl({ ...withCa, caFile: '', rejectUnauthorized: false }, readFile)).toEqual({
      rejectUnauthorized: false,
    });
  });

  it('MongoDB: tls, tlsCAFile and tlsAllowInvalidCertificates', () => {
    expect(mongoTlsOptions(off)).toEqual({});
    expect(mongoTlsOptions(withCa)).toEqual({ tls: true, tlsCAFile: '/etc/ca.pem' });
    expect(mongoTlsOptions({ ...withCa, rejectUnauthorized: false })).toMatchObject({
      tlsAllowInvalidCertificates: true,
    });
  });

  it('Redis: tls from REDIS_TLS or a rediss:// URL', () => {
    expect(redisTlsOptions(off, 'redis://cache:6379', readFile)).toBeUndefined();
    expect(redisTlsOptions(off, 'rediss://cache:6380', readFile)).toEqual({ rejectUnauthorized: true });
    expect(redisTlsOptions(withCa, 'redis://cache:6379', readFile)).toEqual({
      ca: 'PEM of /etc/ca.pem',
      rejectUnauthorized: true,
    });
  });

  it('Kafka: ssl true with the system CAs, an object with a CA file, and SASL when a mechanism is set', () => {
    const noSasl = { mechanism: 'none' as const, username: '', password: '' };
    expect(kafkaSecurityOptions(off, noSasl, readFile)).toEqual({});
    expect(kafkaSecurityOptions({ ...withCa, caFile: '' }, noSasl, readFile)).toEqual({ ssl: true });
    expect(
      kafkaSecurityOptions(withCa, { mechanism: 'scram-sha-512', username: 'svc', password: 'pw' }, readFile),
    ).toEqual({
      ssl: { ca: ['PEM of /etc/ca.pem'], rejectUnauthorized: true },
      sasl: { mechanism: 'scram-sha-512', username: 'svc', password: 'pw' },
    });
  });

  it('Kafka SASL: a mechanism needs both credentials', () => {
    expect(() =>
      loadConfig({ sasl: kafkaSaslSettings() }, { KAFKA_SASL_MECHANISM: 'plain', KAFKA_SASL_USERNAME: 'x' }),
    ).toThrow(/KAFKA_SASL_USERNAME\/KAFKA_SASL_PASSWORD: both are required/);
    expect(() => loadConfig({ sasl: kafkaSaslSettings() }, { KAFKA_SASL_MECHANISM: 'gssapi' })).toThrow(
      /KAFKA_SASL_MECHANISM: must be one of none, plain, scram-sha-256, scram-sha-512/,
    );
  });
});
