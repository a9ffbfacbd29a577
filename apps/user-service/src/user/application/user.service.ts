import {
  AuthenticateData,
  ChangeRoleData,
  eventContextOf,
  Events,
  GetUserByIdData,
  GetUsersByIdsData,
  ListUsersQuery,
  maskEmail,
  RecordLogoutData,
  RegisterUserData,
  hasPermission,
  RpcContext,
  SystemActors,
  UpdateProfileData,
  UserErrorCodes,
  UserRpc,
  UserPage,
  UserRole,
  UserView,
} from '@taskflow/contracts';
import { idempotentRequest, IdempotencyRecords, idempotencyKeyReused } from '@taskflow/idempotency';
import { validatePayload } from '@taskflow/nest-kit';
import { OutboxEvent, TransactionalOutbox } from '@taskflow/outbox';
import type { EntityManager } from 'typeorm';
import { canEditProfile, mergeProfile, normalizeEmail, Profile, User } from '../domain/user';
import { PasswordHasher } from './password-hasher';
import { emailTaken, forbidden, invalidCredentials, unauthenticated, userNotFound } from './user.errors';
import { UserRepository } from './user.repository';
import { toView } from './user.view';

/** What `grantRole` did: `unchanged` emits no event. */
export interface RoleGrant {
  outcome: 'created' | 'promoted' | 'unchanged';
  user: UserView;
}

export interface RoleGrantRequest {
  email: string;
  role: Exclude<UserRole, 'user'>;
  /** Asked only when the email is unknown; checked with the registration rules (`RegisterUserData`). */
  password: () => Promise<string>;
  /** `actorId` of the events (a `SystemActors` value). */
  actorId: string;
  correlationId?: string;
}

const DEFAULT_PAGE_SIZE = 20;
type Actor = NonNullable<RpcContext['actor']>;

/**
 * The user use cases, over the {@link UserRepository} port (no database here: unit-tested against an in-memory
 * repository, user.service.spec.ts). Every write and the event it causes commit in one `users.transaction`
 * (outbox); plain reads may be served by a read replica, reads that must see the latest commit go to the primary.
 */
export class UserService {
  constructor(
    private readonly users: UserRepository,
    private readonly hasher: PasswordHasher,
    private readonly idempotency: IdempotencyRecords,
    private readonly outbox: TransactionalOutbox,
  ) {}

  /**
   * `actorId` defaults to the new user (self-registration). With an Idempotency-Key, a retry answers the
   * registration that committed. The password is not part of the stored fingerprint (a fast hash of it would be a
   * password oracle): a replay checks it against the user's hash.
   */
  async register(
    ctx: RpcContext,
    data: RegisterUserData,
    role: UserRole = 'user',
    actorId?: string,
  ): Promise<UserView> {
    const email = normalizeEmail(data.email);
    const passwordHash = await this.hasher.hash(data.password);
    const { password: _password, ...fingerprinted } = data;
    const keyed = idempotentRequest(ctx, UserRpc.register.pattern, { ...fingerprinted, role });
    const samePassword = async (manager: EntityManager, stored: UserView) => {
      const user = await this.users.findById(manager, stored.id);
      if (!user || !(await this.hasher.verify(data.password, user.passwordHash))) throw idempotencyKeyReused();
    };
    return this.users.transaction((manager) =>
      this.idempotency.once(
        manager,
        keyed,
        async () => {
          const profile = mergeProfile({}, { ...data.profile }).profile;
          const user = await this.users.insert(manager, { email, passwordHash, role, profile });
          await this.emit(
            manager,
            ctx,
            {
              definition: Events.UserRegisteredV2,
              entityId: user.id,
              payload: { userId: user.id, emailMasked: maskEmail(email), role },
            },
            actorId ?? user.id,
          );
          return toView(user);
        },
        (stored) => samePassword(manager, stored),
      ),
    );
  }

  async authenticate(ctx: RpcContext, data: AuthenticateData): Promise<UserView> {
    // Primary: a login right after registering must see the new row even if replicas lag.
    const user = await this.users.read('primary', (manager) => this.users.findByEmail(manager, data.email));
    const valid = user
      ? await this.hasher.verify(data.password, user.passwordHash)
      : await this.hasher.verifyDummy(data.password);
    if (!user || !valid) throw invalidCredentials();
    await this.users.transaction((manager) =>
      this.emit(
        manager,
        { ...ctx, sessionId: data.sessionId },
        { definition: Events.UserLogin, entityId: user.id, payload: { userId: user.id, sessionId: data.sessionId } },
        user.id,
      ),
    );
    return toView(user);
  }

  async recordLogout(ctx: RpcContext, data: RecordLogoutData): Promise<{ ok: true }> {
    const actor = requireActor(ctx);
    if (!canEditProfile(actor, data.userId)) throw forbidden("record another user's logout");
    await this.users.transaction(async (manager) => {
      if (!(await this.users.findById(manager, data.userId))) throw userNotFound(data.userId);
      await this.emit(
        manager,
        { ...ctx, sessionId: data.sessionId },
        {
          definition: Events.UserLogout,
          entityId: data.userId,
          payload: { userId: data.userId, sessionId: data.sessionId },
        },
      );
    });
    return { ok: true };
  }

  async getById(ctx: RpcContext, data: GetUserByIdData): Promise<UserView> {
    requireActor(ctx);
    const user = await this.users.read('replica', (manager) => this.users.findById(manager, data.id));
    if (!user) throw userNotFound(data.id);
    return toView(user);
  }

  async getManyByIds(ctx: RpcContext, data: GetUsersByIdsData): Promise<UserView[]> {
    requireActor(ctx);
    return (await this.users.read('replica', (manager) => this.users.findManyByIds(manager, data.ids))).map(toView);
  }

  async updateProfile(ctx: RpcContext, data: UpdateProfileData): Promise<UserView> {
    const actor = requireActor(ctx);
    if (!canEditProfile(actor, data.userId)) throw forbidden("update another user's profile");
    return this.users.transaction(async (manager) => {
      const user = await this.lockUser(manager, data.userId);
      const { profile, changed } = mergeProfile(user.profile, { ...data.profile });
      if (changed.length === 0) return toView(user);
      const updated = await this.users.update(manager, user, { profile });
      await this.emit(manager, ctx, {
        definition: Events.UserProfileUpdated,
        entityId: user.id,
        payload: { userId: user.id, changedFields: changed },
      });
      return toView(updated);
    });
  }

  async changeRole(ctx: RpcContext, data: ChangeRoleData): Promise<UserView> {
    const actor = requireActor(ctx);
    if (!hasPermission(actor.role, 'user:change-role')) throw forbidden('change roles');
    // An admin demoting themself could leave the system without any admin.
    if (actor.id === data.userId) throw forbidden('change your own role');
    return this.users.transaction(async (manager) => {
      const user = await this.lockUser(manager, data.userId);
      if (user.role === data.role) return toView(user);
      const updated = await this.users.update(manager, user, { role: data.role });
      await this.emit(manager, ctx, {
        definition: Events.UserRoleChanged,
        entityId: user.id,
        payload: { userId: user.id, from: user.role, to: data.role },
      });
      return toView(updated);
    });
  }

  async list(ctx: RpcContext, query: ListUsersQuery): Promise<UserPage> {
    const actor = requireActor(ctx);
    if (!hasPermission(actor.role, 'user:list')) throw forbidden('list users');
    const page = query.page ?? 1;
    const limit = query.limit ?? DEFAULT_PAGE_SIZE;
    const { items, total } = await this.users.read('replica', (manager) =>
      this.users.list(manager, { role: query.role, search: query.search, page, limit }),
    );
    return { items: items.map(toView), total, page, limit };
  }

  /**
   * Gives `email` the admin or auditor role outside the API (the create-admin command, any profile): an unknown
   * email is created with `password()` (`user.registered`), a known one keeps its password and changes role
   * (`user.role_changed`), both with `actorId` and in the write's transaction (outbox). Only grants: an admin is
   * never turned into an auditor here (`forbidden USER.FORBIDDEN`; an admin does it through the API). A password
   * breaking the registration rules fails with `validation USER.VALIDATION_FAILED` naming the field.
   */
  async grantRole(request: RoleGrantRequest): Promise<RoleGrant> {
    const ctx: RpcContext = { correlationId: request.correlationId };
    const existing = await this.promote(ctx, request);
    if (existing) return existing;
    const data = validatePayload(
      RegisterUserData,
      { email: request.email, password: await request.password() },
      UserErrorCodes.validation,
    );
    try {
      return { outcome: 'created', user: await this.register(ctx, data, request.role, request.actorId) };
    } catch (error) {
      // Registered by someone else since we looked: promote that user instead.
      if ((error as { code?: string }).code !== emailTaken().code) throw error;
      const promoted = await this.promote(ctx, request);
      if (!promoted) throw error;
      return promoted;
    }
  }

  /** Creates a user unless the email exists; used by the dev seed. Returns null when it already existed. */
  async createIfAbsent(email: string, password: string, role: UserRole, profile: Profile): Promise<UserView | null> {
    const exists = await this.users.read('primary', (manager) => this.users.findByEmail(manager, email));
    if (exists) return null;
    try {
      return await this.register({}, { email, password, profile }, role);
    } catch (error) {
      if ((error as { code?: string }).code === emailTaken().code) return null;
      throw error;
    }
  }

  /** The role change of `grantRole`; null when the email is unknown. */
  private promote(ctx: RpcContext, request: RoleGrantRequest): Promise<RoleGrant | null> {
    return this.users.transaction(async (manager) => {
      const user = await this.users.findByEmail(manager, request.email, { lock: true });
      if (!user) return null;
      if (user.role === request.role) return { outcome: 'unchanged', user: toView(user) };
      if (user.role === 'admin') {
        const api = `PATCH /api/v1/users/${user.id}/role`;
        throw forbidden(`turn admin ${user.email} into ${request.role} here (an admin does it: ${api})`);
      }
      const updated = await this.users.update(manager, user, { role: request.role });
      const payload = { userId: user.id, from: user.role, to: request.role };
      await this.emit(
        manager,
        ctx,
        { definition: Events.UserRoleChanged, entityId: user.id, payload },
        request.actorId,
      );
      return { outcome: 'promoted', user: toView(updated) };
    });
  }

  private async lockUser(manager: EntityManager, id: string): Promise<User> {
    const user = await this.users.findById(manager, id, { lock: true });
    if (!user) throw userNotFound(id);
    return user;
  }

  /** Appends `event` in the transaction of `manager`; its actor is the caller, else `fallbackActorId`. */
  private async emit(
    manager: EntityManager,
    ctx: RpcContext,
    event: OutboxEvent,
    fallbackActorId: string = SystemActors.system,
  ): Promise<void> {
    await this.outbox.append(manager, eventContextOf(ctx, ctx.actor?.id ?? fallbackActorId), event);
  }
}

function requireActor(ctx: RpcContext): Actor {
  if (!ctx.actor) throw unauthenticated();
  return ctx.actor;
}
