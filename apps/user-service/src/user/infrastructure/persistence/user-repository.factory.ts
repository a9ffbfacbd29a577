import { FieldEncryptionKeys } from '@taskflow/config';
import { FieldCipher } from '../crypto/field-cipher';
import { TypeOrmUserRepository } from './typeorm-user.repository';

/** The user store with the configured email encryption keys (`PII_*`). */
export function createUserRepository(keys: FieldEncryptionKeys): TypeOrmUserRepository {
  return new TypeOrmUserRepository(new FieldCipher(keys));
}
