import pino from 'pino';
import type { DataSource } from 'typeorm';
import { MigrateCommands, runMigrateCommand } from './migrate-command';

class CreateTable {
  name = 'CreateTable1';
}
class ConcurrentIndex {
  name = 'ConcurrentIndex2';
  transaction = false;
}
class AddColumn {
  name = 'AddColumn3';
}

/** A database with `applied` migrations: what the command reads (the history table) and undoes, recorded. */
function fakeDatabase(applied: string[]) {
  const undone: { name: string; transaction: string }[] = [];
  let destroyed = false;
  const dataSource = {
    query: async (sql: string) => (sql.includes('to_regclass') ? [{ oid: 1 }] : applied.map((name) => ({ name }))),
    undoLastMigration: async ({ transaction }: { transaction: string }) => {
      undone.push({ name: applied.pop()!, transaction });
    },
    destroy: async () => {
      destroyed = true;
    },
  } as unknown as DataSource;
  const commands: MigrateCommands & { connected: number; upCalls: number } = {
    schema: { migrations: [CreateTable, ConcurrentIndex, AddColumn], table: 'm', migrateCommand: 'migrate' },
    connected: 0,
    upCalls: 0,
    up: async () => {
      commands.upCalls += 1;
      return [];
    },
    connect: async () => {
      commands.connected += 1;
      return dataSource;
    },
  };
  return { commands, undone, applied, destroyed: () => destroyed };
}

const logger = pino({ level: 'silent' });

describe('runMigrateCommand', () => {
  it('runs up by default and for `up`', async () => {
    for (const args of [[], ['up']]) {
      const db = fakeDatabase([]);
      await runMigrateCommand(args, db.commands, logger);
      expect({ args, up: db.commands.upCalls, connected: db.commands.connected }).toEqual({
        args,
        up: 1,
        connected: 0,
      });
    }
  });

  it('reverts the newest n, outside a transaction for a migration that says `transaction = false`', async () => {
    const db = fakeDatabase(['CreateTable1', 'ConcurrentIndex2', 'AddColumn3']);
    await runMigrateCommand(['down', '2'], db.commands, logger);
    expect(db.undone).toEqual([
      { name: 'AddColumn3', transaction: 'each' },
      { name: 'ConcurrentIndex2', transaction: 'none' },
    ]);
    expect(db.applied).toEqual(['CreateTable1']);
    expect(db.destroyed()).toBe(true);
  });

  it('reverts one by default, and stops when none is left', async () => {
    const one = fakeDatabase(['CreateTable1', 'AddColumn3']);
    await runMigrateCommand(['down'], one.commands, logger);
    expect(one.applied).toEqual(['CreateTable1']);
    const all = fakeDatabase(['CreateTable1']);
    await runMigrateCommand(['down', '5'], all.commands, logger);
    expect(all.undone.map((u) => u.name)).toEqual(['CreateTable1']);
  });

  it.each(['down 0', 'down -1', 'down abc', 'down 1.5', 'down 2 3', 'sideways', 'up 2', 'status x'])(
    'refuses `migrate %s` with the usage, before connecting',
    async (words) => {
      const db = fakeDatabase(['CreateTable1']);
      await expect(runMigrateCommand(words.split(' '), db.commands, logger)).rejects.toThrow(
        /: expected up \(default\), down \[n\] \(the newest n, default 1\) or status$/,
      );
      expect(db.commands.connected).toBe(0);
      expect(db.applied).toEqual(['CreateTable1']);
    },
  );

  it("names the service's own commands in the usage", async () => {
    const db = fakeDatabase([]);
    await expect(runMigrateCommand(['role'], { ...db.commands, otherCommands: ['roles'] }, logger)).rejects.toThrow(
      'migrate role: expected up (default), down [n] (the newest n, default 1), status or roles',
    );
  });
});
