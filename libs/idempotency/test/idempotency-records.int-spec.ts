import { createScratchDatabase, ScratchDatabase } from '@taskflow/testing';
import { DataSource, EntityManager } from 'typeorm';
import { IdempotencyRecords, idempotencyTableSql, IdempotentRequest, requestFingerprint } from '../src';

jest.setTimeout(60_000);
const TABLE = 'test_idempotency_keys';

/** IdempotencyRecords against real PostgreSQL: the key commits with the write, and only then. */
describe('IdempotencyRecords (real PostgreSQL)', () => {
  let database: ScratchDatabase;
  let dataSource: DataSource;
  const records = new IdempotencyRecords({ table: TABLE, retentionMs: 3_600_000 });

  const request = (key: string, data: object = { title: 'x' }): IdempotentRequest => ({
    scope: 'user-1',
    key,
    fingerprint: requestFingerprint('thing.create', data),
  });
  const things = async (title: string): Promise<number> =>
    (await dataSource.query(`SELECT count(*)::int AS n FROM things WHERE title = $1`, [title]))[0].n;
  /** One keyed write: a row in `things`, answered as `{ id, title }`. */
  const create = (key: string, title: string, during?: (manager: EntityManager) => Promise<void>) =>
    dataSource.transaction((manager) =>
      records.once(manager, request(key, { title }), async () => {
        const [row] = await manager.query(`INSERT INTO things (title) VALUES ($1) RETURNING id, title`, [title]);
        await during?.(manager);
        return row as { id: number; title: string };
      }),
    );

  beforeAll(async () => {
    process.env.DATABASE_URL ??= 'postgres://postgres@127.0.0.1:5432/postgres';
    database = await createScratchDatabase('idempotency_it');
    dataSource = await new DataSource({ type: 'postgres', url: database.url, poolSize: 5 }).initialize();
    await dataSource.query(`CREATE TABLE things (id serial PRIMARY KEY, title text NOT NULL)`);
    for (const statement of idempotencyTableSql(TABLE).up) await dataSource.query(statement);
  });

  afterAll(async () => {
    await dataSource?.destroy();
    await database?.drop();
  });

  it('should write once and answer a retry with the stored result', async () => {
    const first = await create('k1', 'once');
    const retry = await create('k1', 'once');
    expect(retry).toEqual(first);
    expect(await things('once')).toBe(1);
  });

  it('should refuse another request under the same key with 422 KEY_REUSED', async () => {
    await create('k2', 'first body');
    await expect(create('k2', 'second body')).rejects.toMatchObject({
      kind: 'unprocessable',
      code: 'IDEMPOTENCY.KEY_REUSED',
    });
    expect(await things('second body')).toBe(0);
  });

  it('should make a concurrent request wait for the first and answer its result', async () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    let firstInside!: () => void;
    const inside = new Promise<void>((resolve) => (firstInside = resolve));
    const first = create('k3', 'concurrent', async () => {
      firstInside();
      await held;
    });
    await inside; // the first transaction holds the key row, uncommitted
    const second = create('k3', 'concurrent');
    await new Promise((resolve) => setTimeout(resolve, 300));
    release();
    const [a, b] = await Promise.all([first, second]);
    expect(b).toEqual(a);
    expect(await things('concurrent')).toBe(1);
  });

  it('should leave no key behind when the write rolls back, so the retry runs', async () => {
    await expect(
      create('k4', 'rolled back', async () => {
        throw new Error('refused');
      }),
    ).rejects.toThrow('refused');
    expect(await things('rolled back')).toBe(0);
    await create('k4', 'rolled back');
    expect(await things('rolled back')).toBe(1);
  });

  it('should free an expired key and prune it', async () => {
    await create('k5', 'expiring');
    await dataSource.query(`UPDATE ${TABLE} SET created_at = now() - interval '2 hours' WHERE key = 'k5'`);
    await create('k5', 'expiring');
    expect(await things('expiring')).toBe(2); // past retention the key is new again
    await dataSource.query(`UPDATE ${TABLE} SET created_at = now() - interval '2 hours' WHERE key = 'k5'`);
    expect(await records.prune(dataSource)).toBe(1);
    expect(await dataSource.query(`SELECT key FROM ${TABLE} WHERE key = 'k5'`)).toEqual([]);
  });
});
