import { generateRpcCertificates } from '@taskflow/infra';
import { signingKeyEnv } from '@taskflow/testing';
import { generateKeyPairSync } from 'node:crypto';
import { DEFAULT_BODY_LIMIT_BYTES, LARGEST_VALID_BODY_BYTES, loadGatewayConfig } from './gateway.config';

const KEYS = signingKeyEnv();
const { JWT_PRIVATE_KEY } = KEYS;
const CERTS = generateRpcCertificates();
/** The gateway's client certificate for the RPC transport (mutual TLS is required outside development). */
const RPC_TLS_ENV = {
  RPC_TLS_CA: CERTS.ca.cert,
  RPC_TLS_CERT: CERTS.clients['api-gateway'].cert,
  RPC_TLS_KEY: CERTS.clients['api-gateway'].key,
};

describe('the default body limit', () => {
  it('should be 256 KiB and hold the largest valid task body with every code point escaped', () => {
    expect(DEFAULT_BODY_LIMIT_BYTES).toBe(256 * 1024);
    expect(loadGatewayConfig({ ...KEYS }).http.bodyLimitBytes).toBe(DEFAULT_BODY_LIMIT_BYTES);
    const escaped = (codePoints: number) =>
      JSON.stringify('😀'.repeat(codePoints)).replace(
        /[\u0080-\uffff]/g,
        (unit) => `\\u${unit.charCodeAt(0).toString(16).padStart(4, '0')}`,
      );
    const body =
      `{"title":${escaped(255)},"description":${escaped(10_000)},"priority":"urgent",` +
      '"assigneeId":"00000000-0000-4000-8000-000000000000","dueDate":"2026-12-31T23:59:59.999+14:00"}';
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(LARGEST_VALID_BODY_BYTES);
    expect(LARGEST_VALID_BODY_BYTES).toBeLessThan(DEFAULT_BODY_LIMIT_BYTES);
  });
});

describe('gateway config profiles', () => {
  it('should serve /docs and log at debug in development', () => {
    const config = loadGatewayConfig({ ...KEYS });
    expect(config).toMatchObject({ profile: 'development', logLevel: 'debug', http: { docs: true } });
    expect(config.redis.tls.enabled).toBe(false);
    expect(config.services.tls).toEqual({ enabled: false });
  });

  it('should hide /docs, require REDIS_URL and turn Redis TLS on in production', () => {
    expect(() => loadGatewayConfig({ APP_ENV: 'production', ...KEYS })).toThrow(/REDIS_URL: is required in production/);
    const config = loadGatewayConfig({
      APP_ENV: 'production',
      ...KEYS,
      ...RPC_TLS_ENV,
      REDIS_URL: 'rediss://cache.internal:6380',
    });
    expect(config.services.tls).toEqual({
      enabled: true,
      ca: RPC_TLS_ENV.RPC_TLS_CA.trim(),
      cert: RPC_TLS_ENV.RPC_TLS_CERT.trim(),
      key: RPC_TLS_ENV.RPC_TLS_KEY.trim(),
    });
    expect(config).toMatchObject({ profile: 'production', logLevel: 'info', http: { docs: false } });
    expect(config.redis.tls).toEqual({ enabled: true, caFile: '', rejectUnauthorized: true });
    expect(() =>
      loadGatewayConfig({
        APP_ENV: 'production',
        ...KEYS,
        REDIS_URL: 'redis://cache:6379',
        REDIS_TLS: 'false',
      }),
    ).toThrow(/REDIS_TLS: must be true in production/);
  });
});

describe('gateway config TRUST_PROXY', () => {
  const trust = (TRUST_PROXY: string) => loadGatewayConfig({ ...KEYS, TRUST_PROXY }).http.trustProxy;

  it('should read none or a list of proxy addresses and CIDRs', () => {
    expect(trust('false')).toBe(false);
    expect(trust('10.0.0.0/8, 192.168.1.7,fd00::/8')).toEqual(['10.0.0.0/8', '192.168.1.7', 'fd00::/8']);
  });

  it('should refuse trusting every hop, a hop count, and anything that is not an address', () => {
    expect(() => trust('true')).toThrow(/TRUST_PROXY: trusting every hop lets any client choose its address/);
    expect(() => trust('1')).toThrow(/TRUST_PROXY: a hop count cannot tell a proxy from a client/);
    for (const bad of ['10.0.0.0/33', 'proxy.internal', '10.0.0.0/8/1', '::1/129']) {
      expect(() => trust(bad)).toThrow(/TRUST_PROXY: .* is not an IP address or CIDR/);
    }
  });
});

describe('gateway config token keys', () => {
  it('should require an EC P-256 private key in every profile and never print it', () => {
    expect(() => loadGatewayConfig({})).toThrow(/JWT_PRIVATE_KEY: is required/);
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 }).privateKey.export({ type: 'pkcs8', format: 'pem' });
    for (const bad of [String(rsa), 'dev-only-change-me-32-characters-min']) {
      let message = '';
      try {
        loadGatewayConfig({ JWT_PRIVATE_KEY: bad });
      } catch (error) {
        message = (error as Error).message;
      }
      expect(message).toMatch(/JWT_PRIVATE_KEY: must be an EC P-256 private key in PKCS#8 PEM \(value not shown\)/);
      expect(message).not.toContain(bad.slice(0, 40));
      expect(message).not.toContain('MII');
    }
  });

  it('should sign under the key id of JWT_PRIVATE_KEY_ID, which JWT_PUBLIC_KEYS must publish with that key', () => {
    expect(loadGatewayConfig({ ...KEYS }).auth.signingKey.kid).toBe(KEYS.JWT_PRIVATE_KEY_ID);
    // Without the id the kid is the key's RFC 7638 thumbprint, which this set does not name: refused at boot.
    expect(() => loadGatewayConfig({ ...KEYS, JWT_PRIVATE_KEY_ID: '' })).toThrow(
      /JWT_PUBLIC_KEYS: has no public key of the signing key under its kid "[A-Za-z0-9_-]{43}"/,
    );
    const other = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    const foreignSet = JSON.stringify({
      keys: [{ ...other.publicKey.export({ format: 'jwk' }), kid: KEYS.JWT_PRIVATE_KEY_ID }],
    });
    expect(() => loadGatewayConfig({ ...KEYS, JWT_PUBLIC_KEYS: foreignSet })).toThrow(
      /JWT_PUBLIC_KEYS: has no public key/,
    );
    expect(() => loadGatewayConfig({ JWT_PRIVATE_KEY, JWT_PRIVATE_KEY_ID: KEYS.JWT_PRIVATE_KEY_ID })).toThrow(
      /JWT_PUBLIC_KEYS: is required/,
    );
  });
});
