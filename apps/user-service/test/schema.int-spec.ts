import { fieldEncryptionKeys } from '@taskflow/testing';
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { assertSchemaCurrent, connect, ensureDatabase, schemaStatus } from '../src/database/data-source';
import { USER_MIGRATIONS } from '../src/migrations';
import { FieldCipher } from '../src/user/infrastructure/crypto/field-cipher';
import { EMAIL_COLUMN } from '../src/user/infrastructure/persistence/typeorm-user.repository';
import { dbConfig, onMaintenance, scratchDatabase, SERVER_URL, uniqueName, withDatabase } from './support';

const HASH = '$2b$04$abcdefghijklmnopqrstuuFakeHashForConstraintTestsOnly000';

describe('users schema and migrations', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await scratchDatabase('us_schema');
    dataSource = await connect(dbConfig(db.url));
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('should refuse to start on a schema older than the code, naming the command to run', async () => {
    await expect(assertSchemaCurrent(dataSource)).rejects.toThrow(
      new RegExp(`older than this code: ${USER_MIGRATIONS.length} pending .*user-service:migrate`),
    );
  });

  it('should apply all migrations, revert all, and apply all again', async () => {
    await dataSource.runMigrations({ transaction: 'each' });
    expect((await schemaStatus(dataSource)).pending).toEqual([]);
    for (let i = 0; i < USER_MIGRATIONS.length; i++) await dataSource.undoLastMigration({ transaction: 'each' });
    const tables = await dataSource.query(`SELECT to_regclass('users') AS users, to_regclass('user_outbox') AS outbox`);
    expect(tables[0]).toEqual({ users: null, outbox: null });
    expect(await dataSource.query(`SELECT 1 FROM pg_type WHERE typname = 'user_role'`)).toHaveLength(0);
    await dataSource.runMigrations({ transaction: 'each' });
    await expect(assertSchemaCurrent(dataSource)).resolves.toMatchObject({ pending: [], unknown: [] });
  });

  it('should revert as many migrations as `migrate down <n>` asks for', () => {
    const migrate = (...args: string[]) =>
      execFileSync(process.execPath, ['-r', '@swc-node/register', 'apps/user-service/src/migrate.ts', ...args], {
        env: { ...process.env, DATABASE_URL: db.url, LOG_LEVEL: 'error' },
        encoding: 'utf8',
        stdio: 'pipe',
      });
    const applied = async () =>
      (await dataSource.query(`SELECT name FROM user_migrations ORDER BY id`)).map((row: { name: string }) => row.name);
    return (async () => {
      migrate('up');
      const all = await applied();
      expect(all.length).toBeGreaterThanOrEqual(3);
      migrate('down', '2');
      // The two newest are reverted, nothing else: the first migrations (users, user_outbox) stay.
      expect(await applied()).toEqual(all.slice(0, -2));
      migrate('down', String(all.length - 2));
      expect(await applied()).toEqual([]);
      const tables = await dataSource.query(
        `SELECT to_regclass('users') AS users, to_regclass('user_outbox') AS outbox`,
      );
      expect(tables[0]).toEqual({ users: null, outbox: null });
      migrate('up');
      await expect(assertSchemaCurrent(dataSource)).resolves.toMatchObject({ pending: [], unknown: [] });
    })();
  }, 120_000);

  it('should leave no pending schema diff between the entities and the migrated schema', async () => {
    const diff = await dataSource.driver.createSchemaBuilder().log();
    expect(diff.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('should encrypt the emails of existing users when it migrates, and decrypt them when it reverts', async () => {
    const cipher = new FieldCipher(fieldEncryptionKeys());
    await dataSource.undoLastMigration({ transaction: 'each' }); // back to plaintext emails
    await dataSource.query(
      `INSERT INTO users (email, password_hash) SELECT 'legacy' || i || '@example.com', $1 FROM generate_series(1, 1500) i`,
      [HASH],
    );
    await dataSource.runMigrations({ transaction: 'each' });
    const rows: { email_ciphertext: string; email_lookup: string }[] = await dataSource.query(
      `SELECT email_ciphertext, email_lookup FROM users WHERE email_lookup = $1`,
      [cipher.blindIndex('legacy1234@example.com', EMAIL_COLUMN)],
    );
    expect(rows).toHaveLength(1);
    expect(rows[0].email_ciphertext).not.toContain('legacy');
    expect(cipher.decrypt(rows[0].email_ciphertext, EMAIL_COLUMN)).toBe('legacy1234@example.com');
    const columns = await dataSource.query(
      `SELECT column_name FROM information_schema.columns WHERE table_name = 'users'`,
    );
    expect(columns.map((c: { column_name: string }) => c.column_name)).not.toContain('email');

    await dataSource.undoLastMigration({ transaction: 'each' });
    const [{ count }] = await dataSource.query(`SELECT count(*)::int AS count FROM users WHERE email LIKE 'legacy%'`);
    expect(count).toBe(1500);
    await dataSource.query(`DELETE FROM users`);
    await dataSource.runMigrations({ transaction: 'each' });
  }, 60_000);

  it('should have every index of seed 001, the email ones replaced by its blind index', async () => {
    const rows: { indexname: string }[] = await dataSource.query(
      `SELECT indexname FROM pg_indexes WHERE tablename = 'users' ORDER BY indexname`,
    );
    expect(rows.map((row) => row.indexname)).toEqual([
      'idx_users_created_at',
      'idx_users_email_lookup',
      'idx_users_profile_first_name',
      'idx_users_profile_last_name',
      'idx_users_role',
      'pk_users',
    ]);
  });

  describe('constraints', () => {
    // What user-service stores: the encrypted email and its blind index (the values here need not decrypt).
    const insert = (email: string, role = 'user') =>
      dataSource.query(
        `INSERT INTO users (email_ciphertext, email_lookup, password_hash, role) VALUES ($1, $2, $3, $4) RETURNING id`,
        [`v1.test.${email}`, createHash('sha256').update(email).digest('hex'), HASH, role],
      );

    it('should reject a second account with the same blind index', async () => {
      await insert('dup@example.com');
      await expect(insert('dup@example.com')).rejects.toThrow(/idx_users_email_lookup/);
    });

    it('should hold no email in clear', async () => {
      const columns: { column_name: string }[] = await dataSource.query(
        `SELECT column_name FROM information_schema.columns WHERE table_name = 'users' ORDER BY column_name`,
      );
      expect(columns.map((c) => c.column_name)).toEqual([
        'created_at',
        'email_ciphertext',
        'email_lookup',
        'id',
        'password_hash',
        'profile',
        'role',
        'updated_at',
      ]);
    });

    it('should reject a role outside the enum and accept auditor', async () => {
      await expect(insert('root@example.com', 'root')).rejects.toThrow(/invalid input value for enum user_role/);
      await expect(insert('auditor@example.com', 'auditor')).resolves.toHaveLength(1);
    });

    it('should reject a missing password hash', async () => {
      await expect(
        dataSource.query(`INSERT INTO users (email_ciphertext, email_lookup, password_hash) VALUES ('c', 'l', NULL)`),
      ).rejects.toThrow(/password_hash/);
    });

    it('should generate the id and the timestamps and default the role to user', async () => {
      const [row] = await dataSource.query(
        `INSERT INTO users (email_ciphertext, email_lookup, password_hash) VALUES ('c', 'defaults', $1)
         RETURNING id, role, created_at, updated_at`,
        [HASH],
      );
      expect(row.id).toMatch(/^[0-9a-f-]{36}$/);
      expect(row.role).toBe('user');
      expect(row.created_at).toBeInstanceOf(Date);
      expect(row.updated_at).toBeInstanceOf(Date);
    });
  });
});

describe('read replicas', () => {
  it('should open a replica pool from DATABASE_READ_URLS and serve plain reads from it', async () => {
    const db = await scratchDatabase('us_replica');
    // The primary itself stands in for a replica: what is checked is the routing, not replication.
    const dataSource = await connect(dbConfig(db.url, { readUrls: [db.url] }));
    try {
      await dataSource.runMigrations({ transaction: 'each' });
      const driver = dataSource.driver as unknown as { slaves: unknown[] };
      expect(driver.slaves).toHaveLength(1);
      const replica = dataSource.createQueryRunner('slave');
      const [{ count }] = await replica.query('SELECT count(*)::int AS count FROM users');
      await replica.release();
      expect(count).toBe(0);
    } finally {
      await dataSource.destroy();
      await db.drop();
    }
  });
});

describe('database bootstrap', () => {
  it('should create the database when it is missing, and only once', async () => {
    const name = uniqueName('us_ensure');
    const url = withDatabase(SERVER_URL, name);
    try {
      await expect(ensureDatabase(url)).resolves.toBe(true);
      await expect(ensureDatabase(url)).resolves.toBe(false);
    } finally {
      await onMaintenance((client) => client.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
    }
  });

  it('should fail fast naming DATABASE_URL when the server is unreachable, without leaking the password', async () => {
    const started = Date.now();
    await expect(
      connect(dbConfig('postgres://app:s3cret@127.0.0.1:1/taskflow', { connectTimeoutMs: 500 })),
    ).rejects.toThrow(/^DATABASE_URL: cannot connect to postgres:\/\/app:\*\*\*@127\.0\.0\.1:1\/taskflow/);
    expect(Date.now() - started).toBeLessThan(5000);
  });
});
