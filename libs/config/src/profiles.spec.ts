import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { byProfile, devOnly, env, loadConfig, profileOf } from './env';
import { postgresConfigSpec } from './database';

describe('profiles (APP_ENV)', () => {
  it('should pick the profile from APP_ENV, else NODE_ENV=production, else development', () => {
    expect(profileOf({ APP_ENV: 'staging' })).toBe('staging');
    expect(profileOf({ NODE_ENV: 'production' })).toBe('production');
    expect(profileOf({ NODE_ENV: 'test' })).toBe('development');
    expect(profileOf({})).toBe('development');
  });

  it('should reject an unknown APP_ENV by name (and treat it as production meanwhile)', () => {
    expect(() => loadConfig({ profile: env.profile() }, { APP_ENV: 'prod' })).toThrow(
      /APP_ENV: must be one of development, staging, production \(got "prod"\)/,
    );
    expect(profileOf({ APP_ENV: 'prod' })).toBe('production');
  });

  it('should choose defaults by profile', () => {
    const spec = {
      level: env.string('LOG_LEVEL', byProfile({ development: 'debug', staging: 'info', production: 'warn' })),
    };
    expect(loadConfig(spec, {}).level).toBe('debug');
    expect(loadConfig(spec, { APP_ENV: 'staging' }).level).toBe('info');
    expect(loadConfig(spec, { APP_ENV: 'production', LOG_LEVEL: 'error' }).level).toBe('error');
  });

  it('should allow secret defaults in development only, naming the variable elsewhere', () => {
    const spec = { secret: env.string('JWT_SECRET', devOnly('dev-secret')) };
    expect(loadConfig(spec, {}).secret).toBe('dev-secret');
    expect(() => loadConfig(spec, { APP_ENV: 'staging' })).toThrow(
      /JWT_SECRET: is required in staging \(set JWT_SECRET or JWT_SECRET_FILE\)/,
    );
  });

  it('should read NAME_FILE (a mounted secret) when NAME is unset, and name an unreadable file', () => {
    const dir = mkdtempSync(join(tmpdir(), 'config-'));
    const file = join(dir, 'jwt');
    writeFileSync(file, 'from-a-file\n');
    const spec = { secret: env.string('JWT_SECRET', devOnly('dev-secret')) };
    expect(loadConfig(spec, { APP_ENV: 'production', JWT_SECRET_FILE: file }).secret).toBe('from-a-file');
    expect(loadConfig(spec, { JWT_SECRET: 'direct', JWT_SECRET_FILE: file }).secret).toBe('direct');
    expect(() => loadConfig(spec, { JWT_SECRET_FILE: join(dir, 'missing') })).toThrow(
      /JWT_SECRET_FILE: cannot read .*ENOENT/,
    );
  });

  describe('the shared PostgreSQL settings', () => {
    const prodUrl = 'postgres://app:secret@db.internal:5432/taskflow';

    it('should default to a local database, a pool of 10 and no TLS in development', () => {
      expect(loadConfig(postgresConfigSpec(), {})).toMatchObject({
        url: 'postgres://postgres@127.0.0.1:5432/taskflow',
        poolMax: 10,
        slowQueryMs: 200,
        tls: { enabled: false, caFile: '', rejectUnauthorized: true },
      });
    });

    it('should require DATABASE_URL and turn TLS on with a pool of 20 in production', () => {
      expect(() => loadConfig(postgresConfigSpec(), { APP_ENV: 'production' })).toThrow(
        /DATABASE_URL: is required in production/,
      );
      expect(loadConfig(postgresConfigSpec(), { APP_ENV: 'production', DATABASE_URL: prodUrl })).toMatchObject({
        poolMax: 20,
        tls: { enabled: true, rejectUnauthorized: true },
      });
    });

    it('should refuse TLS off, or unverified, in production', () => {
      expect(() =>
        loadConfig(postgresConfigSpec(), {
          APP_ENV: 'production',
          DATABASE_URL: prodUrl,
          DATABASE_SSL: 'false',
          DATABASE_SSL_REJECT_UNAUTHORIZED: 'false',
        }),
      ).toThrow(/DATABASE_SSL: must be true in production[\s\S]*DATABASE_SSL_REJECT_UNAUTHORIZED: must be true/);
    });

    it('should refuse TLS parameters in the URLs (they would override DATABASE_SSL inside node-postgres)', () => {
      expect(() =>
        loadConfig(postgresConfigSpec(), {
          DATABASE_URL: 'postgres://app@db/taskflow?sslmode=disable',
          DATABASE_READ_URLS: 'postgres://app@r1/taskflow?sslrootcert=/ca.pem',
        }),
      ).toThrow(/DATABASE_URL: remove "sslmode" from the URL[\s\S]*DATABASE_READ_URLS: remove "sslrootcert"/);
    });

    it('should name an unreadable CA file', () => {
      expect(() =>
        loadConfig(postgresConfigSpec(), { DATABASE_SSL: 'true', DATABASE_SSL_CA_FILE: '/nope/ca.pem' }),
      ).toThrow(/DATABASE_SSL_CA_FILE: cannot read \/nope\/ca.pem/);
    });
  });
});
