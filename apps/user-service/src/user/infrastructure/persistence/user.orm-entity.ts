import { Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';
import { USER_ROLES, UserRole } from '@taskflow/contracts';

/**
 * `users` of seed 001, with the email encrypted (migration EncryptUserEmail): `email_ciphertext` holds it under
 * AES-256-GCM, `email_lookup` its keyed blind index (unique: one account per email, whatever the case). Expression
 * indexes cannot be described by TypeORM metadata, so they are declared with `synchronize: false`: the migrations
 * own them.
 */
@Entity({ name: 'users' })
@Index('idx_users_profile_first_name', { synchronize: false })
@Index('idx_users_profile_last_name', { synchronize: false })
export class UserOrmEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_users' })
  id!: string;

  @Column({ name: 'email_ciphertext', type: 'text' })
  emailCiphertext!: string;

  @Index('idx_users_email_lookup', { unique: true })
  @Column({ name: 'email_lookup', type: 'char', length: 64 })
  emailLookup!: string;

  @Column({ name: 'password_hash', type: 'varchar', length: 255 })
  passwordHash!: string;

  @Index('idx_users_role')
  @Column({ type: 'enum', enum: USER_ROLES, enumName: 'user_role', default: 'user' })
  role!: UserRole;

  @Column({ type: 'jsonb', nullable: true })
  profile!: Record<string, unknown> | null;

  @Index('idx_users_created_at')
  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz' })
  updatedAt!: Date;
}
