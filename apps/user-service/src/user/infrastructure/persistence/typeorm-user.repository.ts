import { DataSource, EntityManager, In } from 'typeorm';
import { emailTaken } from '../../application/user.errors';
import { NewUser, UserListFilter, UserRepository } from '../../application/user.repository';
import { normalizeEmail, User } from '../../domain/user';
import { FieldCipher } from '../crypto/field-cipher';
import { UserOrmEntity } from './user.orm-entity';

/** The encrypted column's name: the cipher's additional authenticated data and the blind index's domain. */
export const EMAIL_COLUMN = 'users.email';

/**
 * The TypeORM adapter of {@link UserRepository} over user-service's `dataSource`. Emails are encrypted on the way in
 * and decrypted on the way out (`FieldCipher`); lookups and uniqueness use the blind index of the normalised email,
 * so PostgreSQL never holds an email in clear.
 */
export class TypeOrmUserRepository extends UserRepository {
  constructor(
    private readonly dataSource: DataSource,
    private readonly cipher: FieldCipher,
  ) {
    super();
  }

  transaction<T>(work: (manager: EntityManager) => Promise<T>): Promise<T> {
    return this.dataSource.transaction(work);
  }

  async read<T>(target: 'primary' | 'replica', work: (manager: EntityManager) => Promise<T>): Promise<T> {
    // The data source's own manager sends TypeORM's reads to a replica (its default for reads with replication).
    if (target === 'replica') return work(this.dataSource.manager);
    const runner = this.dataSource.createQueryRunner('master');
    try {
      return await work(runner.manager);
    } finally {
      await runner.release();
    }
  }

  /** The blind index of an email as the client sent it. */
  emailLookup(email: string): string {
    return this.cipher.blindIndex(normalizeEmail(email), EMAIL_COLUMN);
  }

  async findById(manager: EntityManager, id: string, { lock = false } = {}): Promise<User | null> {
    const row = await manager.findOne(UserOrmEntity, { where: { id }, ...(lock && LOCK) });
    return row && this.toDomain(row);
  }

  async findByEmail(manager: EntityManager, email: string, { lock = false } = {}): Promise<User | null> {
    const row = await manager.findOne(UserOrmEntity, {
      where: { emailLookup: this.emailLookup(email) },
      ...(lock && LOCK),
    });
    return row && this.toDomain(row);
  }

  async findManyByIds(manager: EntityManager, ids: string[]): Promise<User[]> {
    const rows = await manager.find(UserOrmEntity, { where: { id: In([...new Set(ids)]) } });
    return rows.map((row) => this.toDomain(row));
  }

  async insert(manager: EntityManager, user: NewUser): Promise<User> {
    const email = normalizeEmail(user.email);
    const row = await manager
      .save(
        manager.create(UserOrmEntity, {
          emailCiphertext: this.cipher.encrypt(email, EMAIL_COLUMN),
          emailLookup: this.cipher.blindIndex(email, EMAIL_COLUMN),
          passwordHash: user.passwordHash,
          role: user.role,
          profile: user.profile,
        }),
      )
      .catch((error: unknown) => {
        // The only unique key a new row can break is the email's blind index (`id` is generated).
        if ((error as { driverError?: { code?: string } }).driverError?.code === UNIQUE_VIOLATION) throw emailTaken();
        throw error;
      });
    return this.toDomain(row);
  }

  async update(manager: EntityManager, user: User, changes: Partial<Pick<User, 'role' | 'profile'>>): Promise<User> {
    await manager.save(UserOrmEntity, { id: user.id, ...changes });
    const row = await manager.findOneOrFail(UserOrmEntity, { where: { id: user.id } });
    return this.toDomain(row);
  }

  async list(manager: EntityManager, filter: UserListFilter): Promise<{ items: User[]; total: number }> {
    const builder = manager
      .createQueryBuilder(UserOrmEntity, 'u')
      .orderBy('u.created_at', 'DESC')
      .addOrderBy('u.id', 'DESC')
      .skip((filter.page - 1) * filter.limit)
      .take(filter.limit);
    if (filter.role) builder.andWhere('u.role = :role', { role: filter.role });
    const search = filter.search?.trim();
    if (search) {
      // An encrypted email matches only as a whole (blind index); names match in part (seed GIN indexes).
      const pattern = `%${search.toLowerCase().replace(/[\\%_]/g, '\\$&')}%`;
      builder.andWhere(
        `(u.email_lookup = :lookup OR lower(u.profile->>'firstName') LIKE :pattern ` +
          `OR lower(u.profile->>'lastName') LIKE :pattern)`,
        { pattern, lookup: this.emailLookup(search) },
      );
    }
    const [rows, total] = await builder.getManyAndCount();
    return { items: rows.map((row) => this.toDomain(row)), total };
  }

  private toDomain(row: UserOrmEntity): User {
    return {
      id: row.id,
      email: this.cipher.decrypt(row.emailCiphertext, EMAIL_COLUMN),
      passwordHash: row.passwordHash,
      role: row.role,
      profile: row.profile ?? {},
      createdAt: row.createdAt,
      updatedAt: row.updatedAt,
    };
  }
}

const UNIQUE_VIOLATION = '23505';
const LOCK = { lock: { mode: 'pessimistic_write' as const } };
