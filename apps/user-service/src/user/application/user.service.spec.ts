import { EventEnvelope, RpcContext, UserErrorCodes, UserRole } from '@taskflow/contracts';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { AppError } from '@taskflow/nest-kit';
import { TransactionalOutbox } from '@taskflow/outbox';
import { randomUUID } from 'node:crypto';
import type { EntityManager } from 'typeorm';
import { normalizeEmail, User } from '../domain/user';
import { PasswordHasher } from './password-hasher';
import { emailTaken } from './user.errors';
import { NewUser, UserListFilter, UserRepository } from './user.repository';
import { UserService } from './user.service';

type Envelope = EventEnvelope<Record<string, unknown>>;

/**
 * UserRepository in memory, keeping the port's contract: a transaction works on a copy of the users and keeps it,
 * with the outbox rows `TransactionalOutbox.append` wrote through its manager, only when `work` succeeds; `read`
 * hands over a manager with no transaction (an append there is refused); emails are compared normalised.
 */
class InMemoryUserRepository extends UserRepository {
  users = new Map<string, User>();
  events: Envelope[] = [];
  private open?: Map<string, User>;

  async transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    const open = new Map(this.users);
    const events: Envelope[] = [];
    const manager = {
      queryRunner: { isTransactionActive: true, data: {} },
      query: async (_sql: string, params: unknown[]) => {
        events.push(JSON.parse(String(params[4])));
        return [];
      },
    } as unknown as EntityManager;
    this.open = open;
    try {
      const result = await work(manager);
      this.users = open;
      this.events.push(...events);
      return result;
    } finally {
      this.open = undefined;
    }
  }

  async read<T>(_target: 'primary' | 'replica', work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return work({} as EntityManager);
  }

  async findById(_manager: EntityManager, id: string): Promise<User | null> {
    return this.current().get(id) ?? null;
  }

  async findByEmail(_manager: EntityManager, email: string): Promise<User | null> {
    return [...this.current().values()].find((user) => user.email === normalizeEmail(email)) ?? null;
  }

  async findManyByIds(_manager: EntityManager, ids: string[]): Promise<User[]> {
    return [...this.current().values()].filter((user) => ids.includes(user.id));
  }

  async insert(manager: EntityManager, user: NewUser): Promise<User> {
    if (await this.findByEmail(manager, user.email)) throw emailTaken();
    const now = new Date();
    const created: User = {
      ...user,
      email: normalizeEmail(user.email),
      id: randomUUID(),
      createdAt: now,
      updatedAt: now,
    };
    this.current().set(created.id, created);
    return created;
  }

  async update(_manager: EntityManager, user: User, changes: Partial<Pick<User, 'role' | 'profile'>>): Promise<User> {
    const updated = { ...this.current().get(user.id)!, ...changes, updatedAt: new Date() };
    this.current().set(updated.id, updated);
    return updated;
  }

  async list(_manager: EntityManager, filter: UserListFilter): Promise<{ items: User[]; total: number }> {
    const matches = [...this.current().values()].filter((user) => !filter.role || user.role === filter.role).reverse();
    const start = (filter.page - 1) * filter.limit;
    return { items: matches.slice(start, start + filter.limit), total: matches.length };
  }

  /** The transaction's copy while one is open, else the committed users (a read). */
  private current(): Map<string, User> {
    return this.open ?? this.users;
  }
}

const as = (user: { id: string; role: UserRole }): RpcContext => ({
  actor: { id: user.id, role: user.role },
  correlationId: 'unit',
});

describe('UserService (use cases against an in-memory UserRepository)', () => {
  let repository: InMemoryUserRepository;
  let service: UserService;

  beforeEach(() => {
    repository = new InMemoryUserRepository();
    service = new UserService(
      repository,
      // bcrypt's lowest cost: these tests are about the rules, not the hash's strength.
      new PasswordHasher(4),
      // No Idempotency-Key in these calls: `once` runs the work without touching its table.
      new IdempotencyRecords({ table: 'user_idempotency_keys', retentionMs: 60_000 }),
      new TransactionalOutbox('user_outbox'),
    );
  });

  /** A stored user with `role` and `profile` (its registration event forgotten). */
  async function given(role: UserRole = 'user', profile: Record<string, unknown> = {}): Promise<User> {
    const view = await service.register(
      {},
      { email: `${randomUUID()}@example.com`, password: 'correct horse', profile },
      role,
    );
    repository.events = [];
    return repository.users.get(view.id)!;
  }

  describe('register', () => {
    it('should store the normalised email and append exactly user.registered, by the new user', async () => {
      const view = await service.register(
        { correlationId: 'unit' },
        { email: ' Ada@Example.COM ', password: 'pw-123456' },
      );
      expect(view).toMatchObject({ email: 'ada@example.com', role: 'user', profile: {} });
      expect(repository.events).toEqual([
        expect.objectContaining({
          type: 'user.registered',
          schemaVersion: 2,
          entityId: view.id,
          actorId: view.id,
          payload: { userId: view.id, emailMasked: 'a***@example.com', role: 'user' },
        }),
      ]);
      expect(JSON.stringify(repository.events)).not.toMatch(/ada@/i);
    });

    it('should answer conflict USER.EMAIL_TAKEN for a taken email in any case, appending nothing', async () => {
      await service.register({}, { email: 'grace@example.com', password: 'pw-123456' });
      repository.events = [];
      await expect(
        service.register({}, { email: 'GRACE@Example.com', password: 'other-password' }),
      ).rejects.toMatchObject({ kind: 'conflict', code: UserErrorCodes.emailTaken });
      expect(repository.users.size).toBe(1);
      expect(repository.events).toEqual([]);
    });
  });

  describe('authenticate', () => {
    it('should answer the user and append exactly user.login with the session', async () => {
      await service.register({}, { email: 'ada@example.com', password: 'correct horse' });
      repository.events = [];
      const view = await service.authenticate(
        { correlationId: 'unit' },
        { email: 'ADA@example.com', password: 'correct horse', sessionId: 's-1' },
      );
      expect(view.email).toBe('ada@example.com');
      expect(repository.events).toEqual([
        expect.objectContaining({
          type: 'user.login',
          actorId: view.id,
          payload: { userId: view.id, sessionId: 's-1' },
        }),
      ]);
    });

    it('should answer an unknown email and a wrong password with the same USER.INVALID_CREDENTIALS, appending nothing', async () => {
      await service.register({}, { email: 'ada@example.com', password: 'correct horse' });
      repository.events = [];
      const refusal = (email: string, password: string) =>
        service.authenticate({}, { email, password, sessionId: 's-1' }).then(
          () => {
            throw new Error('expected a refusal');
          },
          (error: AppError) => error.toRpcBody(),
        );
      const unknown = await refusal('nobody@example.com', 'correct horse');
      const wrong = await refusal('ada@example.com', 'wrong horse');
      expect(unknown).toMatchObject({ kind: 'unauthorized', code: UserErrorCodes.invalidCredentials });
      expect(wrong).toEqual(unknown);
      expect(repository.events).toEqual([]);
    });
  });

  describe('updateProfile', () => {
    it('should let a user change their own profile, null removing a key, and append exactly user.profile_updated', async () => {
      const ada = await given('user', { firstName: 'Ada', lastName: 'Byron' });
      const view = await service.updateProfile(as(ada), {
        userId: ada.id,
        profile: { lastName: null, timezone: 'Europe/London' },
      });
      expect(view.profile).toEqual({ firstName: 'Ada', timezone: 'Europe/London' });
      expect(repository.users.get(ada.id)!.profile).toEqual({ firstName: 'Ada', timezone: 'Europe/London' });
      expect(repository.events).toEqual([
        expect.objectContaining({
          type: 'user.profile_updated',
          actorId: ada.id,
          payload: { userId: ada.id, changedFields: ['lastName', 'timezone'] },
        }),
      ]);
    });

    it("should forbid another user's profile to a role without user:manage, writing nothing", async () => {
      const ada = await given('user', { firstName: 'Ada' });
      const bob = await given('user');
      const auditor = await given('auditor');
      for (const actor of [bob, auditor]) {
        await expect(
          service.updateProfile(as(actor), { userId: ada.id, profile: { firstName: 'Eve' } }),
        ).rejects.toMatchObject({ kind: 'forbidden', code: UserErrorCodes.forbidden });
      }
      expect(repository.users.get(ada.id)!.profile).toEqual({ firstName: 'Ada' });
      expect(repository.events).toEqual([]);
    });

    it("should let a role with user:manage (admin) change another user's profile", async () => {
      const ada = await given('user', { firstName: 'Ada' });
      const admin = await given('admin');
      await service.updateProfile(as(admin), { userId: ada.id, profile: { firstName: 'Augusta' } });
      expect(repository.users.get(ada.id)!.profile).toEqual({ firstName: 'Augusta' });
      expect(repository.events).toEqual([
        expect.objectContaining({ type: 'user.profile_updated', actorId: admin.id, entityId: ada.id }),
      ]);
    });

    it('should append nothing for an update that changes nothing', async () => {
      const ada = await given('user', { firstName: 'Ada' });
      await service.updateProfile(as(ada), { userId: ada.id, profile: { firstName: 'Ada', bio: null } });
      expect(repository.events).toEqual([]);
    });
  });

  describe('changeRole', () => {
    it('should forbid it without user:change-role, writing nothing', async () => {
      const ada = await given('user');
      const auditor = await given('auditor');
      await expect(service.changeRole(as(auditor), { userId: ada.id, role: 'admin' })).rejects.toMatchObject({
        kind: 'forbidden',
        code: UserErrorCodes.forbidden,
      });
      expect(repository.users.get(ada.id)!.role).toBe('user');
      expect(repository.events).toEqual([]);
    });

    it('should let an admin change a role, appending exactly user.role_changed', async () => {
      const ada = await given('user');
      const admin = await given('admin');
      const view = await service.changeRole(as(admin), { userId: ada.id, role: 'auditor' });
      expect(view.role).toBe('auditor');
      expect(repository.events).toEqual([
        expect.objectContaining({
          type: 'user.role_changed',
          actorId: admin.id,
          payload: { userId: ada.id, from: 'user', to: 'auditor' },
        }),
      ]);
    });

    it('should forbid an admin to change their own role, writing nothing', async () => {
      const admin = await given('admin');
      await expect(service.changeRole(as(admin), { userId: admin.id, role: 'user' })).rejects.toMatchObject({
        code: UserErrorCodes.forbidden,
      });
      expect(repository.users.get(admin.id)!.role).toBe('admin');
      expect(repository.events).toEqual([]);
    });

    it('should append nothing when the role is already the one asked', async () => {
      const auditor = await given('auditor');
      const admin = await given('admin');
      await expect(service.changeRole(as(admin), { userId: auditor.id, role: 'auditor' })).resolves.toMatchObject({
        role: 'auditor',
      });
      expect(repository.events).toEqual([]);
    });
  });

  describe('list', () => {
    it('should forbid listing users to a role without user:list', async () => {
      const ada = await given('user');
      const auditor = await given('auditor');
      for (const actor of [ada, auditor]) {
        await expect(service.list(as(actor), {})).rejects.toMatchObject({ code: UserErrorCodes.forbidden });
      }
    });

    it('should answer the page asked with the total of matches, for user:list', async () => {
      await given('user');
      const admin = await given('admin');
      const page = await service.list(as(admin), { limit: 1 });
      expect(page).toMatchObject({ total: 2, page: 1, limit: 1, items: [{ id: admin.id }] });
      expect(repository.events).toEqual([]);
    });
  });

  it('should refuse a use case that needs an actor without one', async () => {
    const ada = await given('user');
    await expect(service.getById({}, { id: ada.id })).rejects.toMatchObject({ code: UserErrorCodes.unauthenticated });
    await expect(service.list({}, {})).rejects.toMatchObject({ code: UserErrorCodes.unauthenticated });
  });
});
