import { CreateUsers1767225600000 } from './1767225600000-create-users';
import { CreateUserOutbox1767225600001 } from './1767225600001-create-user-outbox';

/** Every migration of user-service, oldest first. The newest one is the schema version this code needs. */
export const USER_MIGRATIONS = [CreateUsers1767225600000, CreateUserOutbox1767225600001];
export const USER_MIGRATIONS_TABLE = 'user_migrations';
