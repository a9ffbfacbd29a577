import { fieldEncryptionKeysSpec, loadConfig } from '@taskflow/config';
import { FieldEncryptionKeyEnv, generateFieldEncryptionKeyEnv } from '@taskflow/infra';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { TransactionalOutbox } from '@taskflow/outbox';
import { DataSource } from 'typeorm';
import { connect } from '../src/database/data-source';
import { USER_IDEMPOTENCY_TABLE, USER_OUTBOX_TABLE } from '../src/migrations';
import { PasswordHasher } from '../src/user/application/password-hasher';
import { UserService } from '../src/user/application/user.service';
import { FieldCipher } from '../src/user/infrastructure/crypto/field-cipher';
import { rotateEmailEncryption } from '../src/user/infrastructure/persistence/rotate-email-encryption';
import { EMAIL_COLUMN, TypeOrmUserRepository } from '../src/user/infrastructure/persistence/typeorm-user.repository';
import { dbConfig, runProcess, scratchDatabase } from './support';

type KeyEnv = Record<string, string> | FieldEncryptionKeyEnv;
const keysOf = (env: KeyEnv) => loadConfig({ keys: fieldEncryptionKeysSpec() }, { ...env }).keys;
const oct = (env: KeyEnv) => JSON.parse(env.PII_ENCRYPTION_KEYS).keys as object[];

/** Column-level encryption of the email (issue 12): what PostgreSQL holds, lookups, and key rotation. */
describe('email column encryption (PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let dataSource: DataSource;
  const first = generateFieldEncryptionKeyEnv();
  const second = generateFieldEncryptionKeyEnv();
  // Both keys published, the second active: the state of a rotation in progress.
  const rotating: KeyEnv = {
    ...first,
    PII_ENCRYPTION_KEYS: JSON.stringify({ keys: [...oct(first), ...oct(second)] }),
    PII_ENCRYPTION_KEY_ID: second.PII_ENCRYPTION_KEY_ID,
  };
  const service = (env: KeyEnv) => {
    const users = new TypeOrmUserRepository(dataSource, new FieldCipher(keysOf(env)));
    const idempotency = new IdempotencyRecords({ table: USER_IDEMPOTENCY_TABLE, retentionMs: 86_400_000 });
    return {
      users,
      service: new UserService(users, new PasswordHasher(4), idempotency, new TransactionalOutbox(USER_OUTBOX_TABLE)),
    };
  };
  const stored = async (): Promise<{ id: string; email_ciphertext: string; email_lookup: string }[]> =>
    dataSource.query('SELECT id, email_ciphertext, email_lookup FROM users ORDER BY id');

  beforeAll(async () => {
    db = await scratchDatabase('us_pii');
    dataSource = await connect(dbConfig(db.url));
    await dataSource.runMigrations({ transaction: 'each' });
    const { service: users } = service(first);
    for (const name of ['ada', 'grace', 'edsger']) {
      await users.register({}, { email: `${name.toUpperCase()}.Lovelace@Example.com`, password: 'correct horse' });
    }
  });
  afterAll(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('should store no email in clear: ciphertext under the active key and a 64-hex blind index', async () => {
    const rows = await stored();
    expect(rows).toHaveLength(3);
    for (const row of rows) {
      expect(row.email_ciphertext.startsWith(`v1.${first.PII_ENCRYPTION_KEY_ID}.`)).toBe(true);
      expect(row.email_ciphertext.toLowerCase()).not.toContain('lovelace');
      expect(row.email_lookup).toMatch(/^[0-9a-f]{64}$/);
    }
    const [{ dump }] = await dataSource.query(`SELECT string_agg(t::text, ' ') AS dump FROM users t`);
    expect(dump.toLowerCase()).not.toContain('lovelace');
  });

  it('should find, authenticate and refuse a duplicate through the blind index, whatever the case', async () => {
    const { service: users } = service(first);
    const login = await users.authenticate(
      {},
      { email: ' grace.lovelace@EXAMPLE.com', password: 'correct horse', sessionId: 's' },
    );
    expect(login.email).toBe('grace.lovelace@example.com');
    await expect(
      users.register({}, { email: 'Grace.Lovelace@example.com', password: 'correct horse' }),
    ).rejects.toMatchObject({ code: 'USER.EMAIL_TAKEN' });
  });

  it('should refuse to read a ciphertext that was altered in the database', async () => {
    const { users } = service(first);
    const [row] = await stored();
    const body = row.email_ciphertext.split('.');
    body[3] = `${body[3].slice(0, -2)}${body[3].endsWith('AA') ? 'BB' : 'AA'}`;
    await dataSource.query('UPDATE users SET email_ciphertext = $1 WHERE id = $2', [body.join('.'), row.id]);
    await expect(users.findById(dataSource.manager, row.id)).rejects.toThrow();
    await dataSource.query('UPDATE users SET email_ciphertext = $1 WHERE id = $2', [row.email_ciphertext, row.id]);
  });

  it('should rotate to a new key without downtime, then read with the new key alone', async () => {
    const during = service(rotating);
    // Old and new ciphertexts are both readable while the rotation runs.
    expect(
      (
        await during.users.findManyByIds(
          dataSource.manager,
          (await stored()).map((r) => r.id),
        )
      ).length,
    ).toBe(3);
    const cipher = new FieldCipher(keysOf(rotating));
    await expect(rotateEmailEncryption(dataSource, cipher)).resolves.toBe(3);
    await expect(rotateEmailEncryption(dataSource, cipher)).resolves.toBe(0);
    for (const row of await stored())
      expect(row.email_ciphertext.startsWith(`v1.${second.PII_ENCRYPTION_KEY_ID}.`)).toBe(true);

    const after = service({ ...second, PII_BLIND_INDEX_KEY: first.PII_BLIND_INDEX_KEY });
    const user = await after.service.authenticate(
      {},
      { email: 'ada.lovelace@example.com', password: 'correct horse', sessionId: 's' },
    );
    expect(user.email).toBe('ada.lovelace@example.com');
  });

  it('should reindex with a new blind-index key through the rotate-pii-key command', async () => {
    const env = { ...second };
    const result = await runProcess(
      process.execPath,
      ['-r', '@swc-node/register', 'apps/user-service/src/rotate-pii-key.ts', '--reindex'],
      { env: { ...process.env, ...env, DATABASE_URL: db.url, LOG_LEVEL: 'info' }, cwd: `${__dirname}/../../..` },
    );
    expect(result).toMatchObject({ code: 0 });
    expect(result.stdout).toContain('re-encrypted 3 email(s)');
    const { users } = service(env);
    expect((await users.findByEmail(dataSource.manager, 'EDSGER.lovelace@example.com'))?.email).toBe(
      'edsger.lovelace@example.com',
    );
    const old = service({ ...second, PII_BLIND_INDEX_KEY: first.PII_BLIND_INDEX_KEY });
    await expect(old.users.findByEmail(dataSource.manager, 'edsger.lovelace@example.com')).resolves.toBeNull();
    expect(new FieldCipher(keysOf(env)).decrypt((await stored())[0].email_ciphertext, EMAIL_COLUMN)).toMatch(
      /lovelace/,
    );
  }, 60_000);
});
