import { FieldEncryptionKeys } from '@taskflow/config';
import type { DataSource } from 'typeorm';
import { FieldCipher } from '../crypto/field-cipher';
import { TypeOrmUserRepository } from './typeorm-user.repository';

/** The user store on `dataSource` with the configured email encryption keys (`PII_*`). */
export function createUserRepository(dataSource: DataSource, keys: FieldEncryptionKeys): TypeOrmUserRepository {
  return new TypeOrmUserRepository(dataSource, new FieldCipher(keys));
}
