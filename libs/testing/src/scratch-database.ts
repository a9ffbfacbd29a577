import { DatabaseService, infraDir, prepareServiceDatabase, ServiceUrls } from '@taskflow/infra';
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

export interface ServiceDatabase extends ScratchDatabase {
  urls: Record<DatabaseService, ServiceUrls>;
  /** DATABASE_URL and DATABASE_MIGRATION_URL of `service`, as a deployment hands them to it. */
  env(service: DatabaseService): { DATABASE_URL: string; DATABASE_MIGRATION_URL: string };
}

/**
 * A scratch database prepared as `npm start` prepares the development one and as a deployment's is
 * (`prepareServiceDatabase`): the services' owner and runtime roles exist and have their rights on it, so a service
 * started with `env(service)` migrates as its owner and serves as its runtime role. `url` stays the
 * administrator's, for set-up and assertions. The roles are server-wide, shared by every such database; `drop`
 * removes the database and with it their rights on it.
 */
export async function createServiceDatabase(prefix = 'services'): Promise<ServiceDatabase> {
  const database = await createScratchDatabase(prefix);
  let urls: Record<DatabaseService, ServiceUrls>;
  try {
    urls = await prepareServiceDatabase(database.url, infraDir());
  } catch (error) {
    await database.drop().catch(() => undefined);
    throw error;
  }
  return {
    ...database,
    urls,
    env: (service) => ({ DATABASE_URL: urls[service].runtime, DATABASE_MIGRATION_URL: urls[service].owner }),
  };
}
