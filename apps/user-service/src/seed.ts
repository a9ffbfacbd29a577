import 'reflect-metadata';
import type { UserRole } from '@taskflow/contracts';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { createLogger } from '@taskflow/nest-kit';
import { TransactionalOutbox } from '@taskflow/outbox';
import { loadUserServiceConfig } from './config/user-service.config';
import { assertSchemaCurrent, connect } from './database/data-source';
import { USER_IDEMPOTENCY_TABLE, USER_OUTBOX_TABLE } from './migrations';
import { PasswordHasher } from './user/application/password-hasher';
import { UserService } from './user/application/user.service';
import { createUserRepository } from './user/infrastructure/persistence/user-repository.factory';
import { Profile } from './user/domain/user';

/**
 * Development users of seed 001, plus an auditor (the role of the audit query API). Well-known passwords, listed in
 * the root README: never for production (the seed refuses other profiles; use create-admin there).
 */
export const DEV_USERS: { email: string; password: string; role: UserRole; profile: Profile }[] = [
  {
    email: 'admin@taskflow.com',
    password: 'admin123',
    role: 'admin',
    profile: { firstName: 'Admin', lastName: 'User' },
  },
  {
    email: 'auditor@taskflow.com',
    password: 'auditor123',
    role: 'auditor',
    profile: { firstName: 'Audrey', lastName: 'Auditor' },
  },
  { email: 'user@taskflow.com', password: 'user123', role: 'user', profile: { firstName: 'John', lastName: 'Doe' } },
];

/** Idempotent: an existing email is left untouched. Each created user emits `user.registered` like any other. */
export async function seedDevUsers(users: UserService): Promise<string[]> {
  const created: string[] = [];
  for (const user of DEV_USERS) {
    if (await users.createIfAbsent(user.email, user.password, user.role, user.profile)) created.push(user.email);
  }
  return created;
}

async function main(): Promise<void> {
  const config = loadUserServiceConfig();
  const logger = createLogger('user-service-seed', config.logLevel);
  if (config.profile !== 'development') {
    throw new Error(
      `APP_ENV=${config.profile}: the dev seed only runs in development; create the first admin with create-admin`,
    );
  }
  const dataSource = await connect(config.db, 'user-service-seed');
  try {
    await assertSchemaCurrent(dataSource);
    const idempotency = new IdempotencyRecords({
      table: USER_IDEMPOTENCY_TABLE,
      retentionMs: config.idempotency.retentionMs,
    });
    const created = await seedDevUsers(
      new UserService(
        createUserRepository(dataSource, config.pii),
        new PasswordHasher(config.bcryptCost),
        idempotency,
        new TransactionalOutbox(USER_OUTBOX_TABLE),
      ),
    );
    logger.info({ created }, `seeded ${created.length} user(s)`);
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    process.stderr.write(`user-service seed failed: ${error.message}\n`);
    process.exit(1);
  });
}
