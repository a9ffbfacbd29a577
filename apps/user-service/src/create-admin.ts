import 'reflect-metadata';
import { SystemActors } from '@taskflow/contracts';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { AppError } from '@taskflow/nest-kit';
import { TransactionalOutbox } from '@taskflow/outbox';
import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { loadUserServiceConfig } from './config/user-service.config';
import { assertSchemaCurrent, connect } from './database/data-source';
import { USER_IDEMPOTENCY_TABLE, USER_OUTBOX_TABLE } from './migrations';
import { PasswordHasher } from './user/application/password-hasher';
import { RoleGrantRequest, UserService } from './user/application/user.service';
import { createUserRepository } from './user/infrastructure/persistence/user-repository.factory';

export const CREATE_ADMIN_USAGE = `usage: create-admin --email <email> [--role admin|auditor] [--password-file <path>]
  Creates the user with that role, or gives an existing user the role (their password stays).
  The password of a new user is read from --password-file, else from stdin (first line); never from an argument.`;

const GRANTABLE_ROLES = ['admin', 'auditor'] as const;

/** A wrong invocation: exit code 2 with the usage. */
export class UsageError extends Error {}

export interface CreateAdminOptions {
  email: string;
  role: RoleGrantRequest['role'];
  passwordFile?: string;
}

/**
 * Parses the command line (`process.argv.slice(2)`). Refuses a password given as an argument (`--password`,
 * `--password=…`): it would stay in the shell history and in every process listing.
 */
export function parseCreateAdminArgs(args: string[]): CreateAdminOptions {
  if (args.some((arg) => arg === '--password' || arg.startsWith('--password='))) {
    throw new UsageError(
      '--password is refused: a password on the command line ends up in the shell history and in `ps`. ' +
        'Pipe it on stdin or pass --password-file <path>.',
    );
  }
  let values: { email?: string; role?: string; 'password-file'?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: {
        email: { type: 'string' },
        role: { type: 'string', default: 'admin' },
        'password-file': { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError((error as Error).message);
  }
  if (!values.email) throw new UsageError('--email is required');
  const role = values.role as CreateAdminOptions['role'];
  if (!GRANTABLE_ROLES.includes(role)) throw new UsageError(`--role must be one of ${GRANTABLE_ROLES.join(', ')}`);
  return { email: values.email, role, passwordFile: values['password-file'] };
}

/**
 * The password: the file's or stdin's first line, without its line break (the rest of the line is the
 * password, spaces included). Refuses an interactive terminal: typed input would be echoed.
 */
export async function readPassword(
  passwordFile: string | undefined,
  stdin: AsyncIterable<Buffer | string> & { isTTY?: boolean } = process.stdin,
): Promise<string> {
  let text: string;
  if (passwordFile) {
    text = await readFile(passwordFile, 'utf8');
  } else {
    if (stdin.isTTY) {
      throw new UsageError(
        'no password: pipe it on stdin (e.g. `read -rs PW; printf "%s" "$PW" | …`) or use --password-file',
      );
    }
    const chunks: Buffer[] = [];
    for await (const chunk of stdin) chunks.push(Buffer.from(chunk));
    text = Buffer.concat(chunks).toString('utf8');
  }
  return text.split(/\r?\n/, 1)[0];
}

/**
 * `create-admin` (user-service, any profile: development, staging, production): see CREATE_ADMIN_USAGE and the
 * root README "Operators". Runs with user-service's configuration (DATABASE_URL…) against a migrated schema; its
 * events (`user.registered` / `user.role_changed`, actor `system:create-admin`) go through user-service's outbox and
 * reach the audit store once user-service's relay publishes them. Exit codes: 0 done, 1 failed, 2 usage.
 */
async function main(args: string[]): Promise<void> {
  const options = parseCreateAdminArgs(args);
  const config = loadUserServiceConfig();
  const dataSource = await connect(config.db, 'user-service-create-admin');
  try {
    await assertSchemaCurrent(dataSource);
    const idempotency = new IdempotencyRecords({
      table: USER_IDEMPOTENCY_TABLE,
      retentionMs: config.idempotency.retentionMs,
    });
    const users = new UserService(
      createUserRepository(dataSource, config.pii),
      new PasswordHasher(config.bcryptCost),
      idempotency,
      new TransactionalOutbox(USER_OUTBOX_TABLE),
    );
    const correlationId = randomUUID();
    const { outcome, user } = await users.grantRole({
      email: options.email,
      role: options.role,
      password: () => readPassword(options.passwordFile),
      actorId: SystemActors.createAdmin,
      correlationId,
    });
    process.stdout.write(
      `${outcome}: ${user.email} has role ${user.role} (id ${user.id}, correlationId ${correlationId})\n`,
    );
  } finally {
    await dataSource.destroy();
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).catch((error: Error) => {
    if (error instanceof UsageError) {
      process.stderr.write(`create-admin: ${error.message}\n${CREATE_ADMIN_USAGE}\n`);
      process.exit(2);
    }
    // A validation failure names each field and reason (never the value).
    const reason =
      error instanceof AppError && error.fieldErrors?.length
        ? error.fieldErrors.map(({ field, reason }) => `${field}: ${reason}`).join('; ')
        : error.message;
    process.stderr.write(`create-admin failed: ${reason}\n`);
    process.exit(1);
  });
}
