import { Client } from 'pg';
import { randomBytes } from 'node:crypto';

export interface ScratchDatabase {
  name: string;
  url: string;
  drop: () => Promise<void>;
}

function requireDatabaseUrl(): string {
  const url = process.env.DATABASE_URL;
  if (!url) throw new Error('DATABASE_URL is not set: run tests through `npm test` (the Jest global setup sets it).');
  return url;
}

function withDatabase(url: string, database: string): string {
  const parsed = new URL(url);
  parsed.pathname = `/${database}`;
  return parsed.toString();
}

async function onMaintenance<T>(fn: (client: Client) => Promise<T>): Promise<T> {
  const client = new Client({
    connectionString: withDatabase(requireDatabaseUrl(), 'postgres'),
    connectionTimeoutMillis: 5000,
  });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/**
 * Creates a uniquely named, empty PostgreSQL database on the server of DATABASE_URL (so tests can run
 * migrations in isolation) and returns its URL plus a `drop` that removes it again.
 */
export async function createScratchDatabase(prefix = 'scratch'): Promise<ScratchDatabase> {
  const clean = prefix
    .toLowerCase()
    .replace(/[^a-z0-9_]/g, '_')
    .slice(0, 40);
  const name = `${clean}_${Date.now().toString(36)}_${randomBytes(3).toString('hex')}`;
  await onMaintenance((client) => client.query(`create database "${name}"`));
  return {
    name,
    url: withDatabase(requireDatabaseUrl(), name),
    drop: () =>
      onMaintenance((client) => client.query(`drop database if exists "${name}" with (force)`)).then(() => undefined),
  };
}
