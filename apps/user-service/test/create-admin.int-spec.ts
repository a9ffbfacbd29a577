import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { DataSource } from 'typeorm';
import { fieldEncryptionKeys } from '@taskflow/testing';
import { connect } from '../src/database/data-source';
import { FieldCipher } from '../src/user/infrastructure/crypto/field-cipher';
import { EMAIL_COLUMN } from '../src/user/infrastructure/persistence/typeorm-user.repository';
import { dbConfig, runProcess, scratchDatabase } from './support';

// create-admin as the image runs it: the swc build under dist/ next to node_modules (the runtime image's /app),
// `node dist/apps/user-service/src/create-admin.js …` exactly as docs/deployment.md has it, in the staging profile.
jest.setTimeout(180_000);

const ROOT = path.resolve(__dirname, '../../..');
const COMMAND = 'dist/apps/user-service/src/create-admin.js';

describe('create-admin from the build', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let owner: DataSource;
  let app: string;

  const run = (args: string[], stdin = '') =>
    runProcess(process.execPath, [COMMAND, ...args], {
      cwd: app,
      env: { ...process.env, APP_ENV: 'staging', DATABASE_URL: db.url, BCRYPT_COST: '4', LOG_LEVEL: 'warn' },
      stdin,
    });
  const cipher = new FieldCipher(fieldEncryptionKeys());
  const users = async (): Promise<{ email: string; role: string }[]> =>
    (await owner.query('SELECT email_ciphertext, role FROM users'))
      .map((row: { email_ciphertext: string; role: string }) => ({
        email: cipher.decrypt(row.email_ciphertext, EMAIL_COLUMN),
        role: row.role,
      }))
      .sort((a: { email: string }, b: { email: string }) => a.email.localeCompare(b.email));
  const events = (): Promise<{ event_type: string; actor: string; correlation: string }[]> =>
    owner.query(
      `SELECT event_type, payload->>'actorId' AS actor, payload->>'correlationId' AS correlation FROM user_outbox`,
    );

  beforeAll(async () => {
    db = await scratchDatabase('us_create_admin');
    owner = await connect(dbConfig(db.url));
    await owner.runMigrations({ transaction: 'each' });
    app = mkdtempSync(path.join(tmpdir(), 'taskflow-image-'));
    const swc = path.join(ROOT, 'node_modules', '.bin', 'swc');
    const build = spawnSync(
      swc,
      ['apps/user-service/src', 'libs', '-d', path.join(app, 'dist'), '--ignore', '**/*.spec.ts,**/*.int-spec.ts'],
      { cwd: ROOT, encoding: 'utf8' },
    );
    if (build.status !== 0) throw new Error(`swc build failed: ${build.stderr}`);
    symlinkSync(path.join(ROOT, 'node_modules'), path.join(app, 'node_modules'));
    copyFileSync(path.join(ROOT, 'package.json'), path.join(app, 'package.json'));
  });
  afterAll(async () => {
    await owner?.destroy();
    await db?.drop();
    if (app) rmSync(app, { recursive: true, force: true });
  });

  it('should create an auditor from a password file and record user.registered as system:create-admin', async () => {
    writeFileSync(path.join(app, 'password'), 'a passphrase from a file\n', { mode: 0o600 });
    const result = await run(['--email', 'Auditor@Example.com', '--role', 'auditor', '--password-file', 'password']);
    expect(result).toMatchObject({ code: 0, stderr: '' });
    const [, correlationId] = /correlationId ([0-9a-f-]{36})/.exec(result.stdout) ?? [];
    expect(result.stdout).toMatch(/^created: auditor@example\.com has role auditor \(id [0-9a-f-]{36}, /);
    expect(await users()).toEqual([{ email: 'auditor@example.com', role: 'auditor' }]);
    expect(await events()).toEqual([
      { event_type: 'user.registered', actor: 'system:create-admin', correlation: correlationId },
    ]);
  });

  it('should refuse a password argument and a password breaking the registration rules, writing nothing', async () => {
    const argument = await run(['--email', 'x@example.com', '--password', 'hunter2hunter2']);
    expect(argument.code).toBe(2);
    expect(argument.stderr).toContain('--password is refused');
    expect(argument.stdout).toBe('');

    const short = await run(['--email', 'y@example.com', '--role', 'admin'], 'short\n');
    expect(short.code).toBe(1);
    expect(short.stderr).toBe('create-admin failed: password: password must be at least 8 character(s) long\n');

    expect((await users()).map((user) => user.email)).toEqual(['auditor@example.com']);
    expect(await events()).toHaveLength(1);
  });
});
