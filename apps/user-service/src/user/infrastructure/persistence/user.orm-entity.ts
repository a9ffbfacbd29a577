import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { Role, USER_ROLES } from '../../domain/user';

/** Postgres regex kept in sync with the CHECK of migration CreateUsers. */
export const EMAIL_FORMAT_CHECK = `"email" ~* '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$'`;

/**
 * `users` of seed 001. Expression indexes cannot be described by TypeORM metadata, so they are declared
 * with `synchronize: false`: the schema diff then leaves them alone and the migrations own them.
 */
@Entity({ name: 'users' })
@Index('idx_users_email_lower', { synchronize: false })
@Index('idx_users_profile_first_name', { synchronize: false })
@Index('idx_users_profile_last_name', { synchronize: false })
@Check('chk_users_email_format', EMAIL_FORMAT_CHECK)
export class UserOrmEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_users' })
  id!: string;

  @Index('idx_users_email', { unique: true })
  @Column({ type: 'varchar', length: 255 })
  email!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Index('idx_users_role')
  @Column({ type: 'enum', enum: USER_ROLES, enumName: 'user_role', default: 'user' })
  role!: Role;

  @Column({ type: 'jsonb', nullable: true })
  profile!: Record<string, unknown> | null;

  @Index('idx_users_created_at')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
