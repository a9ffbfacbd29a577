import { ConfigError, env, loadConfig } from './env';
import { postgresConfigSpec } from './database';
import { mongoUrlProblem, postgresUrlProblem, redactCredentials } from './connection-strings';

const PASSWORD = 'Sup3r-Secret_Pa55';

/** The message of the error `load` throws ('' if it does not throw). */
function messageOf(load: () => unknown): string {
  try {
    load();
    return '';
  } catch (error) {
    return (error as Error).message;
  }
}

describe('connection strings', () => {
  it('masks the password up to the last @ and password/secret query parameters, keeping the user name', () => {
    expect(redactCredentials(`mongodb://u:${PASSWORD}@a:1,b:2/db`)).toBe('mongodb://u:***@a:1,b:2/db');
    expect(redactCredentials(`postgres://u:p@ss/w@rd@db/x`)).toBe('postgres://u:***@db/x');
    expect(redactCredentials(`redis://:${PASSWORD}@cache:6379`)).toBe('redis://:***@cache:6379');
    expect(redactCredentials('postgres://app@db/x')).toBe('postgres://app@db/x');
    expect(redactCredentials('redis://cache:6379')).toBe('redis://cache:6379');
    expect(redactCredentials(`postgres://db:5432/x?sslmode=require&password=${PASSWORD}&application_name=a`)).toBe(
      'postgres://db:5432/x?sslmode=require&password=***&application_name=a',
    );
    expect(redactCredentials(`mongodb://m/x?tlsCertificateKeyFilePassword=${PASSWORD}`)).toBe(
      'mongodb://m/x?tlsCertificateKeyFilePassword=***',
    );
  });

  it('MongoDB: the driver accepts replica-set host lists and SRV; rejects what it would reject at connect', () => {
    expect(mongoUrlProblem(`mongodb://u:${PASSWORD}@m-0:27017,m-1:27017,m-2:27017/db?replicaSet=rs0&tls=true`)).toBe(
      undefined,
    );
    expect(mongoUrlProblem('mongodb+srv://u:p@cluster0.example.net/db')).toBe(undefined);
    expect(mongoUrlProblem('mongodb://u:p@m-0:27017,m-1:port/db')).toMatch(/not a valid MongoDB connection string/);
    expect(mongoUrlProblem('mongodb://u:p@m-0/db?tls=maybe')).toMatch(/tls/);
    expect(mongoUrlProblem('http://m-0/db')).toMatch(/scheme/);
  });

  it('PostgreSQL: what node-postgres accepts, with a postgres scheme', () => {
    expect(postgresUrlProblem(`postgres://u:${PASSWORD}@db.internal:5432/taskflow`)).toBe(undefined);
    expect(postgresUrlProblem('postgresql:///taskflow?host=/var/run/postgresql')).toBe(undefined);
    expect(postgresUrlProblem('mysql://u:p@db/taskflow')).toMatch(/must use postgres/);
    expect(postgresUrlProblem('postgres://u:p@db:port/taskflow')).toMatch(/not a valid PostgreSQL connection string/);
  });

  it('never prints the credentials of a rejected connection string, whatever the reader', () => {
    const spec = {
      mongo: env.mongoUrl('MONGO_URL'),
      ...postgresConfigSpec(),
      redis: env.url('REDIS_URL', ['redis', 'rediss']),
      cors: env.urlList('CORS_ORIGINS', ['http', 'https'], []),
    };
    const message = messageOf(() =>
      loadConfig(spec, {
        MONGO_URL: `mongodb://audit:${PASSWORD}@m-0:27017,m-1:port/taskflow_audit`,
        DATABASE_URL: `postgres://app:${PASSWORD}@db:port/taskflow`,
        DATABASE_READ_URLS: `postgres://app:${PASSWORD}@replica/taskflow,mysql://app:${PASSWORD}@r2/x`,
        REDIS_URL: `memcache://:${PASSWORD}@cache:6379`,
        CORS_ORIGINS: `ftp://u:${PASSWORD}@x`,
      }),
    );
    for (const name of ['MONGO_URL', 'DATABASE_URL', 'DATABASE_READ_URLS', 'REDIS_URL', 'CORS_ORIGINS']) {
      expect(message).toContain(`${name}: `);
    }
    expect(message).not.toContain(PASSWORD);
    expect(message).toContain('***@');
  });

  it('reports every problem in one ConfigError', () => {
    expect(() => loadConfig({ url: env.postgresUrl('DATABASE_URL') }, { DATABASE_URL: 'nope' })).toThrow(ConfigError);
  });
});
