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
 * Where users are stored (port; the adapter is infrastructure/persistence/typeorm-user.repository.ts). Every method
 * runs in the caller's transaction (`manager`); emails are given as the client sent them and compared normalised
 * (`normalizeEmail`). `lock` takes a row lock (SELECT … FOR UPDATE) until the transaction ends.
 */
export abstract class UserRepository {
  abstract findById(manager: EntityManager, id: string, options?: { lock?: boolean }): Promise<User | null>;
  abstract findByEmail(manager: EntityManager, email: string, options?: { lock?: boolean }): Promise<User | null>;
  abstract findManyByIds(manager: EntityManager, ids: string[]): Promise<User[]>;
  /** Throws the driver's unique violation (SQLSTATE 23505) when the email is taken. */
  abstract insert(manager: EntityManager, user: NewUser): Promise<User>;
  abstract update(manager: EntityManager, user: User, changes: Partial<Pick<User, 'role' | 'profile'>>): Promise<User>;
  /** Newest first; `total` counts every match. */
  abstract list(manager: EntityManager, filter: UserListFilter): Promise<{ items: User[]; total: number }>;
}
