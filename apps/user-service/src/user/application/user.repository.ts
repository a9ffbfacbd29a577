import type { EntityManager } from 'typeorm';
import type { UserRole } from '@taskflow/contracts';
import { Profile, User } from '../domain/user';

export interface NewUser {
  email: string;
  passwordHash: string;
  role: UserRole;
  profile: Profile;
}

export interface UserListFilter {
  role?: UserRole;
  /** An exact email (any case), or part of a first or last name. */
  search?: string;
  page: number;
  limit: number;
}

/**
 * Where users are stored (port; the adapter is infrastructure/persistence/typeorm-user.repository.ts). As in
 * task-service, the use cases open the database work through `transaction` (writes) or `read` (reads outside a
 * write), and every data method runs in the `manager` those hand over; emails are given as the client sent them and
 * compared normalised (`normalizeEmail`). `lock` takes a row lock (SELECT … FOR UPDATE) until the transaction ends.
 */
export abstract class UserRepository {
  /**
   * Runs `work` in one read-write transaction on the primary; commits, or rolls back and rethrows. Every write and
   * the event it causes (outbox) go through it, and so do the reads that precede a write.
   */
  abstract transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T>;

  /**
   * Runs the reads of `work` outside a transaction: on the `primary` when they must see the latest commit (a login
   * right after registering), else on a read replica (the primary when there is none), which may lag behind it.
   */
  abstract read<T>(target: 'primary' | 'replica', work: (manager: EntityManager) => Promise<T>): Promise<T>;

  abstract findById(manager: EntityManager, id: string, options?: { lock?: boolean }): Promise<User | null>;
  abstract findByEmail(manager: EntityManager, email: string, options?: { lock?: boolean }): Promise<User | null>;
  abstract findManyByIds(manager: EntityManager, ids: string[]): Promise<User[]>;
  /** Throws `emailTaken()` (conflict USER.EMAIL_TAKEN) when the normalised email is taken. */
  abstract insert(manager: EntityManager, user: NewUser): Promise<User>;
  abstract update(manager: EntityManager, user: User, changes: Partial<Pick<User, 'role' | 'profile'>>): Promise<User>;
  /** Newest first; `total` counts every match. */
  abstract list(manager: EntityManager, filter: UserListFilter): Promise<{ items: User[]; total: number }>;
}
