import { generateRpcCertificates } from '@taskflow/infra';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig, Source } from './env';
import { rpcTlsSpec } from './rpc-tls';

const load = (source: Source) => loadConfig({ tls: rpcTlsSpec() }, source).tls;

/** The problems loading `source` reports (empty when it loads). */
function problemsOf(source: Source): string[] {
  try {
    load(source);
    return [];
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
}

describe('rpcTlsSpec (RPC_TLS, RPC_TLS_CA, RPC_TLS_CERT, RPC_TLS_KEY)', () => {
  // Real certificates, as `node tools/run.js rpc-certs` makes them (openssl CLI).
  const certs = generateRpcCertificates();
  const other = generateRpcCertificates({ caName: 'Other CA' });
  const server = certs.servers['user-service'];
  const valid = { RPC_TLS_CA: certs.ca.cert, RPC_TLS_CERT: server.cert, RPC_TLS_KEY: server.key };
  const escaped = (pem: string) => pem.trim().replace(/\n/g, '\\n');
  // Values are read trimmed (libs/config rawValue).
  const loaded = { enabled: true, ca: certs.ca.cert.trim(), cert: server.cert.trim(), key: server.key.trim() };

  it('is off in development by default, on and required in staging and production', () => {
    expect(load({})).toEqual({ enabled: false });
    for (const APP_ENV of ['staging', 'production']) {
      expect(problemsOf({ APP_ENV })).toEqual([
        expect.stringMatching(/^RPC_TLS_CA: is required when RPC_TLS is true/),
        expect.stringMatching(/^RPC_TLS_CERT: is required when RPC_TLS is true/),
        expect.stringMatching(/^RPC_TLS_KEY: is required when RPC_TLS is true/),
      ]);
      expect(load({ APP_ENV, ...valid })).toEqual(loaded);
    }
  });

  it('refuses RPC_TLS=false in staging and production', () => {
    expect(problemsOf({ APP_ENV: 'production', RPC_TLS: 'false' })).toEqual([
      'RPC_TLS: must be true in production (the RPC transport is mutual TLS outside development)',
    ]);
    expect(problemsOf({ APP_ENV: 'staging', RPC_TLS: 'false' })).toHaveLength(1);
    expect(load({ RPC_TLS: 'true', ...valid }).enabled).toBe(true);
  });

  it('reads `\\n`-escaped PEM (one-line .env values) and NAME_FILE mounts', () => {
    const oneLine = {
      RPC_TLS: 'true',
      RPC_TLS_CA: escaped(certs.ca.cert),
      RPC_TLS_CERT: escaped(server.cert),
      RPC_TLS_KEY: escaped(server.key),
    };
    expect(load(oneLine)).toMatchObject({ enabled: true, key: server.key.trim() });
    const dir = mkdtempSync(join(tmpdir(), 'rpc-tls-spec-'));
    try {
      for (const [name, value] of Object.entries(valid)) writeFileSync(join(dir, name), value);
      const files = Object.fromEntries(Object.keys(valid).map((name) => [`${name}_FILE`, join(dir, name)]));
      expect(load({ APP_ENV: 'production', ...files })).toMatchObject({ enabled: true, cert: server.cert.trim() });
      expect(problemsOf({ APP_ENV: 'production', ...files, RPC_TLS_KEY_FILE: join(dir, 'missing') })).toEqual([
        `RPC_TLS_KEY_FILE: cannot read ${join(dir, 'missing')} (ENOENT)`,
      ]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('accepts a CA bundle of old and new CA (rotation)', () => {
    const bundle = `${other.ca.cert}${certs.ca.cert}`;
    expect(load({ RPC_TLS: 'true', ...valid, RPC_TLS_CA: bundle })).toMatchObject({ enabled: true, ca: bundle.trim() });
  });

  it('names invalid PEM without showing the value', () => {
    const problems = problemsOf({
      RPC_TLS: 'true',
      RPC_TLS_CA: 'not-a-certificate',
      RPC_TLS_CERT: '-----BEGIN CERTIFICATE-----\nbm9wZQ==\n-----END CERTIFICATE-----',
      RPC_TLS_KEY: 'secret-looking-garbage',
    });
    expect(problems).toEqual([
      expect.stringMatching(/^RPC_TLS_CA: must be PEM CA certificates/),
      'RPC_TLS_CERT: must be a PEM certificate (value not shown)',
      'RPC_TLS_KEY: must be a PEM private key (value not shown)',
    ]);
    expect(problems.join('\n')).not.toContain('secret-looking-garbage');
  });

  it('refuses a leaf certificate as the CA, a key of another certificate, a certificate of another CA', () => {
    expect(problemsOf({ RPC_TLS: 'true', ...valid, RPC_TLS_CA: server.cert })).toEqual([
      expect.stringMatching(/^RPC_TLS_CA: must be PEM CA certificates/),
    ]);
    const mismatched = problemsOf({ RPC_TLS: 'true', ...valid, RPC_TLS_KEY: certs.servers['task-service'].key });
    expect(mismatched).toEqual(['RPC_TLS_KEY: is not the private key of RPC_TLS_CERT']);
    expect(mismatched.join('\n')).not.toContain('PRIVATE KEY');
    const foreign = other.servers['user-service'];
    expect(problemsOf({ RPC_TLS: 'true', ...valid, RPC_TLS_CERT: foreign.cert, RPC_TLS_KEY: foreign.key })).toEqual([
      'RPC_TLS_CERT: is not signed by any certificate of RPC_TLS_CA',
    ]);
  });
});
