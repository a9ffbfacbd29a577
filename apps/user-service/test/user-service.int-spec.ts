import { RpcContext, SystemActors, UserView } from '@taskflow/contracts';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { DataSource } from 'typeorm';
import { AppError, DATABASE_ROLES } from '@taskflow/nest-kit';
import { createServiceDatabase, fieldEncryptionKeys, ServiceDatabase } from '@taskflow/testing';
import { TransactionalOutbox } from '@taskflow/outbox';
import { Client } from 'pg';
import { connect, runMigrations } from '../src/database/data-source';
import { USER_IDEMPOTENCY_TABLE, USER_OUTBOX_TABLE } from '../src/migrations';
import { seedDevUsers } from '../src/seed';
import { PasswordHasher } from '../src/user/application/password-hasher';
import { UserService } from '../src/user/application/user.service';
import { createUserRepository } from '../src/user/infrastructure/persistence/user-repository.factory';
import { dbConfig, uniqueName } from './support';

interface OutboxRow {
  event_type: string;
  message_key: string;
  payload: {
    actorId: string;
    correlationId?: string;
    payload: Record<string, unknown>;
    metadata: Record<string, unknown>;
  };
}

/**
 * The use cases against real PostgreSQL, connected as user-service's runtime role (SELECT/INSERT/UPDATE/DELETE on
 * its own tables only), after the migrations ran as its owner role: the database is prepared as deployed.
 */
describe('UserService (PostgreSQL, runtime role)', () => {
  let db: ServiceDatabase;
  /** The administrator: sees everything, for assertions and fault injection. */
  let owner: DataSource;
  let app: DataSource;
  let hasher: PasswordHasher;
  let users: UserService;

  const outbox = (): Promise<OutboxRow[]> =>
    owner.query(`SELECT event_type, message_key, payload FROM user_outbox ORDER BY created_at, id`);
  const newEvents = async (before: number) => (await outbox()).slice(before);
  const email = () => `${uniqueName('u')}@example.com`;
  const register = (address = email(), password = 'correct horse') =>
    users.register({ correlationId: 'corr-1' }, { email: address, password });
  const as = (user: UserView): RpcContext => ({ actor: { id: user.id, role: user.role }, correlationId: 'corr-2' });
  const failure = (promise: Promise<unknown>) =>
    promise.then(
      () => {
        throw new Error('expected a failure');
      },
      (error: AppError) => error.toRpcBody(),
    );

  beforeAll(async () => {
    db = await createServiceDatabase('us_service');
    const { DATABASE_URL, DATABASE_MIGRATION_URL } = db.env('user-service');
    await runMigrations(dbConfig(DATABASE_URL, { migrationUrl: DATABASE_MIGRATION_URL }));
    owner = await connect(dbConfig(db.url));
    app = await connect(dbConfig(DATABASE_URL));
    hasher = new PasswordHasher(4);
    users = new UserService(
      createUserRepository(app, fieldEncryptionKeys()),
      hasher,
      new IdempotencyRecords({ table: USER_IDEMPOTENCY_TABLE, retentionMs: 86_400_000 }),
      new TransactionalOutbox(USER_OUTBOX_TABLE),
    );
  });
  afterAll(async () => {
    await app?.destroy();
    await owner?.destroy();
    await db?.drop();
  });

  describe('least privilege (issue 12, finding 9)', () => {
    const refused = (sql: string) => expect(app.query(sql)).rejects.toMatchObject({ driverError: { code: '42501' } });

    it('should have migrated as the owner role', async () => {
      const tables: { tablename: string; tableowner: string }[] = await owner.query(
        `SELECT tablename, tableowner FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename`,
      );
      expect(tables.map((table) => table.tablename)).toEqual([
        'user_idempotency_keys',
        'user_migrations',
        'user_outbox',
        'users',
      ]);
      expect(new Set(tables.map((table) => table.tableowner))).toEqual(new Set([DATABASE_ROLES.user.owner]));
    });

    it('should refuse DDL, TRUNCATE and writes to the migration history to the runtime role (42501)', async () => {
      await refused('DROP TABLE user_outbox');
      await refused('ALTER TABLE users ADD COLUMN x int');
      await refused('ALTER TABLE users DROP CONSTRAINT users_pkey');
      await refused('TRUNCATE users');
      await refused('CREATE TABLE sneaky (id int)');
      await refused(`DELETE FROM user_migrations`);
      await expect(app.query('SELECT count(*) FROM user_migrations')).resolves.toHaveLength(1);
    });

    it("should refuse the runtime role the other service's tables", async () => {
      const taskOwner = new Client({ connectionString: db.urls['task-service'].owner });
      await taskOwner.connect();
      try {
        await taskOwner.query('CREATE TABLE task_stand_in (id int)');
      } finally {
        await taskOwner.end();
      }
      await refused('SELECT * FROM task_stand_in');
      await refused('INSERT INTO task_stand_in VALUES (1)');
    });
  });

  describe('register', () => {
    it('should store a bcrypt hash, answer a view without it and append one user.registered row', async () => {
      const before = (await outbox()).length;
      const address = email();
      const view = await users.register(
        { correlationId: 'corr-reg', ipAddress: '10.0.0.1', userAgent: 'jest' },
        { email: address.toUpperCase(), password: 'correct horse', profile: { firstName: 'Ada' } },
      );
      expect(view).toEqual({
        id: expect.any(String),
        email: address,
        role: 'user',
        profile: { firstName: 'Ada' },
        createdAt: expect.any(String),
        updatedAt: expect.any(String),
      });
      const [{ password_hash }] = await owner.query('SELECT password_hash FROM users WHERE id = $1', [view.id]);
      expect(password_hash).toMatch(/^\$2b\$04\$/);
      const events = await newEvents(before);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        event_type: 'user.registered',
        message_key: view.id,
        payload: {
          actorId: view.id,
          correlationId: 'corr-reg',
          payload: { userId: view.id, emailMasked: `${address[0]}***@${address.split('@')[1]}`, role: 'user' },
          metadata: { ipAddress: '10.0.0.1', userAgent: 'jest' },
        },
      });
      expect(JSON.stringify(events)).not.toContain(password_hash);
      expect(JSON.stringify(events)).not.toContain(address); // seed 004: masked in the audit trail
    });

    it('should answer EMAIL_TAKEN for an email that differs only in case, and append nothing', async () => {
      const address = email();
      await register(address);
      const before = (await outbox()).length;
      expect(await failure(register(address.toUpperCase()))).toMatchObject({
        kind: 'conflict',
        code: 'USER.EMAIL_TAKEN',
      });
      expect(await newEvents(before)).toEqual([]);
    });
  });

  describe('authenticate', () => {
    it('should answer the user view and append user.login with the session id', async () => {
      const user = await register();
      const before = (await outbox()).length;
      const view = await users.authenticate(
        { correlationId: 'corr-login' },
        { email: user.email.toUpperCase(), password: 'correct horse', sessionId: 'sess-1' },
      );
      expect(view).toEqual(user);
      const events = await newEvents(before);
      expect(events).toHaveLength(1);
      expect(events[0]).toMatchObject({
        event_type: 'user.login',
        payload: {
          actorId: user.id,
          payload: { userId: user.id, sessionId: 'sess-1' },
          metadata: { sessionId: 'sess-1' },
        },
      });
    });

    it('should give the same error for a wrong password and an unknown email, comparing a dummy hash for the latter', async () => {
      const user = await register();
      const dummy = jest.spyOn(hasher, 'verifyDummy');
      const before = (await outbox()).length;
      const wrong = await failure(users.authenticate({}, { email: user.email, password: 'wrong!', sessionId: 's' }));
      expect(dummy).not.toHaveBeenCalled();
      const unknown = await failure(users.authenticate({}, { email: email(), password: 'wrong!', sessionId: 's' }));
      expect(dummy).toHaveBeenCalledTimes(1);
      expect(wrong).toEqual({
        kind: 'unauthorized',
        code: 'USER.INVALID_CREDENTIALS',
        message: 'Invalid email or password.',
      });
      expect(unknown).toEqual(wrong);
      expect(await newEvents(before)).toEqual([]);
      dummy.mockRestore();
    });
  });

  describe('profile and roles', () => {
    it('should let a user update their own profile, with one user.profile_updated row naming the fields', async () => {
      const user = await register();
      const before = (await outbox()).length;
      const view = await users.updateProfile(as(user), { userId: user.id, profile: { firstName: 'Grace', bio: 'x' } });
      expect(view.profile).toEqual({ firstName: 'Grace', bio: 'x' });
      expect(new Date(view.updatedAt).getTime()).toBeGreaterThanOrEqual(new Date(user.updatedAt).getTime());
      const events = await newEvents(before);
      expect(events.map((event) => [event.event_type, event.payload.payload])).toEqual([
        ['user.profile_updated', { userId: user.id, changedFields: ['bio', 'firstName'] }],
      ]);
      await users.updateProfile(as(user), { userId: user.id, profile: { firstName: 'Grace' } });
      expect(await newEvents(before)).toHaveLength(1); // a no-op is not a write
    });

    it("should forbid updating another user's profile unless the actor is an admin", async () => {
      const [alice, bob] = [await register(), await register()];
      expect(
        await failure(users.updateProfile(as(alice), { userId: bob.id, profile: { firstName: 'X' } })),
      ).toMatchObject({ kind: 'forbidden', code: 'USER.FORBIDDEN' });
      const admin = { id: alice.id, role: 'admin' as const };
      await expect(
        users.updateProfile({ actor: admin }, { userId: bob.id, profile: { lastName: 'Y' } }),
      ).resolves.toMatchObject({ profile: { lastName: 'Y' } });
    });

    it('should forbid a non-admin to change roles and append nothing', async () => {
      const [alice, bob] = [await register(), await register()];
      const before = (await outbox()).length;
      expect(await failure(users.changeRole(as(alice), { userId: bob.id, role: 'admin' }))).toMatchObject({
        kind: 'forbidden',
        code: 'USER.FORBIDDEN',
      });
      expect(await failure(users.changeRole({}, { userId: bob.id, role: 'admin' }))).toMatchObject({
        kind: 'unauthorized',
      });
      const [{ role }] = await owner.query('SELECT role FROM users WHERE id = $1', [bob.id]);
      expect(role).toBe('user');
      expect(await newEvents(before)).toEqual([]);
    });

    it('should let an admin change a role, with one user.role_changed row', async () => {
      const [admin, bob] = [await register(), await register()];
      const before = (await outbox()).length;
      const view = await users.changeRole(
        { actor: { id: admin.id, role: 'admin' } },
        { userId: bob.id, role: 'auditor' },
      );
      expect(view.role).toBe('auditor');
      const events = await newEvents(before);
      expect(events.map((event) => [event.event_type, event.payload.actorId, event.payload.payload])).toEqual([
        ['user.role_changed', admin.id, { userId: bob.id, from: 'user', to: 'auditor' }],
      ]);
    });

    it('should answer not_found for an unknown user', async () => {
      const admin = { actor: { id: '00000000-0000-4000-8000-000000000001', role: 'admin' as const } };
      expect(
        await failure(users.changeRole(admin, { userId: '00000000-0000-4000-8000-000000000002', role: 'user' })),
      ).toMatchObject({ kind: 'not_found', code: 'USER.NOT_FOUND' });
    });
  });

  it('should roll back the state change when appending its event fails, leaving no outbox row', async () => {
    const user = await register();
    const before = (await outbox()).length;
    await owner.query(`
      CREATE FUNCTION fail_profile_events() RETURNS trigger AS $$
      BEGIN IF NEW.event_type = 'user.profile_updated' THEN RAISE EXCEPTION 'simulated outbox failure'; END IF; RETURN NEW; END
      $$ LANGUAGE plpgsql`);
    await owner.query(
      `CREATE TRIGGER fail_profile_events BEFORE INSERT ON user_outbox FOR EACH ROW EXECUTE FUNCTION fail_profile_events()`,
    );
    try {
      await expect(
        users.updateProfile(as(user), { userId: user.id, profile: { firstName: 'Rolled back' } }),
      ).rejects.toThrow(/simulated outbox failure/);
    } finally {
      await owner.query('DROP TRIGGER fail_profile_events ON user_outbox');
      await owner.query('DROP FUNCTION fail_profile_events()');
    }
    const [{ profile }] = await owner.query('SELECT profile FROM users WHERE id = $1', [user.id]);
    expect(profile).toEqual({});
    expect(await newEvents(before)).toEqual([]);
  });

  describe('reads', () => {
    it('should get one and many by id, and require an actor', async () => {
      const [a, b] = [await register(), await register()];
      await expect(users.getById(as(a), { id: b.id })).resolves.toEqual(b);
      const many = await users.getManyByIds(as(a), { ids: [a.id, b.id, '00000000-0000-4000-8000-000000000009'] });
      expect(many.map((user) => user.id).sort()).toEqual([a.id, b.id].sort());
      expect(await failure(users.getById({}, { id: b.id }))).toMatchObject({ code: 'USER.UNAUTHENTICATED' });
    });

    it('should list and search users for admins only, newest first, paginated', async () => {
      const tag = uniqueName('srch');
      const created: UserView[] = [];
      for (const firstName of ['Zed', 'Amy', 'Zelda']) {
        created.push(
          await users.register(
            {},
            {
              email: `${tag}.${firstName}@example.com`,
              password: 'correct horse',
              profile: { firstName, lastName: tag },
            },
          ),
        );
      }
      const admin = { actor: { id: created[0].id, role: 'admin' as const } };
      const page1 = await users.list(admin, { search: tag.toUpperCase(), limit: 2 });
      expect(page1).toMatchObject({ total: 3, page: 1, limit: 2 });
      expect(page1.items.map((user) => user.profile.firstName)).toEqual(['Zelda', 'Amy']);
      const page2 = await users.list(admin, { search: tag, limit: 2, page: 2 });
      expect(page2.items.map((user) => user.profile.firstName)).toEqual(['Zed']);
      const byName = await users.list(admin, { search: 'zeLD' });
      expect(byName.items.map((user) => user.id)).toContain(created[2].id);
      // The email is encrypted: it matches as a whole (blind index, any case), never in part.
      const byEmail = await users.list(admin, { search: ` ${tag}.AMY@example.com ` });
      expect(byEmail.items.map((user) => user.id)).toEqual([created[1].id]);
      expect((await users.list(admin, { search: `${tag}.amy@` })).total).toBe(0);
      expect(await failure(users.list(as(created[1]), {}))).toMatchObject({ kind: 'forbidden' });
    });

    it('should treat LIKE wildcards in the search as plain characters', async () => {
      const admin = { actor: { id: '00000000-0000-4000-8000-000000000001', role: 'admin' as const } };
      await expect(users.list(admin, { search: '%' })).resolves.toMatchObject({ total: 0 });
    });
  });

  it('should seed the dev users idempotently, with working passwords', async () => {
    expect(await seedDevUsers(users)).toEqual(['admin@taskflow.com', 'auditor@taskflow.com', 'user@taskflow.com']);
    expect(await seedDevUsers(users)).toEqual([]);
    const admin = await users.authenticate({}, { email: 'admin@taskflow.com', password: 'admin123', sessionId: 's' });
    expect(admin).toMatchObject({ role: 'admin', profile: { firstName: 'Admin', lastName: 'User' } });
    await expect(
      users.authenticate({}, { email: 'user@taskflow.com', password: 'user123', sessionId: 's' }),
    ).resolves.toMatchObject({ role: 'user' });
  });

  describe('grantRole (the create-admin command)', () => {
    const grant = (address: string, role: 'admin' | 'auditor', password = 'a long passphrase') => {
      const asked: string[] = [];
      const result = users.grantRole({
        email: address,
        role,
        password: async () => (asked.push(address), password),
        actorId: SystemActors.createAdmin,
        correlationId: 'corr-grant',
      });
      return { result, asked };
    };

    it('should create an unknown user with the role and emit user.registered as the system actor', async () => {
      const before = (await outbox()).length;
      const address = email();
      const { result, asked } = grant(address.toUpperCase(), 'auditor');
      const { outcome, user } = await result;
      expect(outcome).toBe('created');
      expect(asked).toHaveLength(1);
      expect(user).toMatchObject({ email: address, role: 'auditor' });
      await expect(
        users.authenticate({}, { email: address, password: 'a long passphrase', sessionId: 's' }),
      ).resolves.toMatchObject({ id: user.id, role: 'auditor' });
      const [registered] = await newEvents(before);
      expect(registered).toMatchObject({
        event_type: 'user.registered',
        message_key: user.id,
        payload: {
          actorId: 'system:create-admin',
          correlationId: 'corr-grant',
          payload: { userId: user.id, emailMasked: `${address[0]}***@${address.split('@')[1]}`, role: 'auditor' },
        },
      });
    });

    it('should promote an existing user without asking for or changing the password', async () => {
      const address = email();
      const existing = await register(address, 'their own password');
      const before = (await outbox()).length;
      const { result, asked } = grant(address, 'admin');
      await expect(result).resolves.toMatchObject({ outcome: 'promoted', user: { id: existing.id, role: 'admin' } });
      expect(asked).toEqual([]);
      await expect(
        users.authenticate({}, { email: address, password: 'their own password', sessionId: 's' }),
      ).resolves.toMatchObject({ role: 'admin' });
      const roleChanges = async () => (await newEvents(before)).filter((row) => row.event_type !== 'user.login');
      expect(await roleChanges()).toMatchObject([
        {
          event_type: 'user.role_changed',
          payload: { actorId: 'system:create-admin', payload: { userId: existing.id, from: 'user', to: 'admin' } },
        },
      ]);

      const again = grant(address, 'admin');
      await expect(again.result).resolves.toMatchObject({ outcome: 'unchanged' });
      expect(await roleChanges()).toHaveLength(1);
    });

    it('should never turn an admin into an auditor', async () => {
      const address = email();
      await grant(address, 'admin').result;
      const before = (await outbox()).length;
      expect(await failure(grant(address, 'auditor').result)).toMatchObject({ kind: 'forbidden' });
      expect(await newEvents(before)).toEqual([]);
    });

    it('should apply the registration rules to the password and the email, writing nothing', async () => {
      const before = (await outbox()).length;
      expect(await failure(grant(email(), 'admin', 'short').result)).toMatchObject({
        kind: 'validation',
        code: 'USER.VALIDATION_FAILED',
        fieldErrors: [{ field: 'password', reason: expect.stringContaining('8') }],
      });
      expect(await failure(grant(email(), 'admin', 'x'.repeat(73)).result)).toMatchObject({
        fieldErrors: [{ field: 'password' }],
      });
      expect(await failure(grant('not-an-email', 'admin').result)).toMatchObject({ fieldErrors: [{ field: 'email' }] });
      expect(await newEvents(before)).toEqual([]);
    });
  });
});
