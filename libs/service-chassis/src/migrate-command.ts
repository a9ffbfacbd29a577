import { MigrationSet, schemaStatus } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import type { DataSource } from 'typeorm';

/** What one PostgreSQL service's `migrate` entry point plugs into `runMigrateCommand`. */
export interface MigrateCommands {
  /** Its migrations and the table recording the applied ones. */
  schema: MigrationSet;
  /** Applies the pending migrations as the schema owner; resolves with the names applied. */
  up(): Promise<string[]>;
  /** A connection as the schema owner (DATABASE_MIGRATION_URL, else DATABASE_URL); the command destroys it. */
  connect(): Promise<DataSource>;
  /** The service's own commands, handled before this one runs, named in the usage (e.g. `roles`). */
  otherCommands?: string[];
}

/**
 * `migrate [up]`, `migrate down [n]`, `migrate status`: the one implementation of both services' migration
 * commands. `args` are the words after the command name. `down` reverts the newest `n` migrations (a positive
 * integer, default 1), stopping early when none is left, and logs each name. Rejects with the usage on an unknown
 * command or a count that is not a positive integer, before connecting.
 */
export async function runMigrateCommand(args: string[], commands: MigrateCommands, logger: Logger): Promise<void> {
  const [command = 'up', ...rest] = args;
  if (command === 'up' && rest.length === 0) {
    logger.info({ applied: await commands.up() }, 'migrations up to date');
    return;
  }
  const status = command === 'status' && rest.length === 0;
  const count = command === 'down' && rest.length <= 1 ? positiveCount(rest[0] ?? '1') : undefined;
  if (!status && count === undefined) throw usageError(args, commands.otherCommands ?? []);
  const dataSource = await commands.connect();
  try {
    if (status) {
      logger.info(await schemaStatus(dataSource, commands.schema), 'schema status');
      return;
    }
    for (let i = 0; i < count!; i++) {
      const reverted = await revertLastMigration(dataSource, commands.schema);
      if (!reverted) break;
      logger.info({ reverted }, 'reverted');
    }
  } finally {
    await dataSource.destroy();
  }
}

/**
 * Reverts the newest applied migration of `set`; resolves with its name, or undefined when none is applied.
 * TypeORM's undo ignores a migration's `transaction = false`, so the mode is chosen here: a `CONCURRENTLY` index
 * drop cannot run inside a transaction.
 */
export async function revertLastMigration(dataSource: DataSource, set: MigrationSet): Promise<string | undefined> {
  const last = (await schemaStatus(dataSource, set)).applied.at(-1);
  if (!last) return undefined;
  const migration = set.migrations.map((type) => new type()).find((candidate) => candidate.name === last);
  const outsideTransaction = (migration as { transaction?: boolean } | undefined)?.transaction === false;
  await dataSource.undoLastMigration({ transaction: outsideTransaction ? 'none' : 'each' });
  return last;
}

function positiveCount(text: string): number | undefined {
  return /^[1-9]\d{0,5}$/.test(text) ? Number(text) : undefined;
}

function usageError(args: string[], otherCommands: string[]): Error {
  const usage = ['up (default)', 'down [n] (the newest n, default 1)', 'status', ...otherCommands];
  return new Error(`migrate ${args.join(' ')}: expected ${usage.slice(0, -1).join(', ')} or ${usage.at(-1)}`);
}
