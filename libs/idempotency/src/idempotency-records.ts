import { hashOf } from '@taskflow/cache';
import { IdempotencyErrorCodes, RpcContext } from '@taskflow/contracts';
import { AppError, assertTableName as assertSqlTable } from '@taskflow/nest-kit';
import type { Logger } from 'pino';
import type { DataSource, EntityManager } from 'typeorm';

const PRUNE_CHUNK = 5000;
const assertTableName = (table: string): string => assertSqlTable(table, 'idempotency table');

/**
 * DDL of an idempotency table, for a service's own migration. One row per (scope, key): `scope` is whose key
 * it is (the caller's user id), `fingerprint` what was asked (operation + data), `response` the result that
 * committed with it. `created_at` drives expiry and pruning.
 */
export function idempotencyTableSql(table: string): { up: string[]; down: string[] } {
  const t = assertTableName(table);
  return {
    up: [
      `CREATE TABLE "${t}" (
        "scope" text NOT NULL,
        "key" varchar(255) NOT NULL,
        "fingerprint" char(32) NOT NULL,
        "response" jsonb,
        "created_at" TIMESTAMP WITH TIME ZONE NOT NULL DEFAULT now(),
        CONSTRAINT "pk_${t}" PRIMARY KEY ("scope", "key")
      )`,
      `CREATE INDEX "idx_${t}_created_at" ON "${t}" ("created_at")`,
    ],
    down: [`DROP INDEX IF EXISTS "idx_${t}_created_at"`, `DROP TABLE "${t}"`],
  };
}

/** One keyed request as the service sees it. */
export interface IdempotentRequest {
  /** Whose key: the caller's user id (an anonymous caller: `anonymous:<ip>`, as the gateway scopes it). */
  scope: string;
  /** The client's Idempotency-Key. */
  key: string;
  /** `requestFingerprint(operation, data)`: a retry must ask for the same thing. */
  fingerprint: string;
}

/** 32 hex characters over the operation name and its validated data (key order does not matter). */
export function requestFingerprint(operation: string, data: object): string {
  return hashOf({ operation, data });
}

/**
 * The keyed request of an RPC, or undefined when the caller sent no Idempotency-Key. `data` is what the
 * fingerprint covers: leave secrets out (they would be stored as a fast hash) and check them on replay.
 */
export function idempotentRequest(context: RpcContext, operation: string, data: object): IdempotentRequest | undefined {
  if (!context.idempotencyKey) return undefined;
  return {
    scope: context.actor?.id ?? `anonymous:${context.ipAddress ?? 'unknown'}`,
    key: context.idempotencyKey,
    fingerprint: requestFingerprint(operation, data),
  };
}

export function idempotencyKeyReused(): AppError {
  return new AppError(
    'unprocessable',
    IdempotencyErrorCodes.keyReused,
    'This Idempotency-Key was used with a different request.',
  );
}

export interface IdempotencyOptions {
  table: string;
  /** How long a key answers with its first result, ms; older keys are free again and pruned. */
  retentionMs: number;
}

/**
 * Keyed writes answered once, recorded in the write's own PostgreSQL transaction: the key exists if and only
 * if the write committed, so after a timeout or a lost connection the caller's retry finds the truth here.
 */
export class IdempotencyRecords {
  private readonly table: string;

  constructor(private readonly options: IdempotencyOptions) {
    this.table = assertTableName(options.table);
  }

  /**
   * Runs `work` inside `manager`'s transaction unless the key already committed. The key row is inserted
   * first: a concurrent request with the same key waits on it (unique index) until this transaction ends,
   * then replays the stored result, or runs itself if this one rolled back. Returns `work`'s result, or the
   * stored one (same JSON) for a retry. Throws `idempotencyKeyReused()` (422) for another fingerprint, and
   * `verifyReplay`'s error when the caller vetoes a replay (e.g. a secret that is not part of the fingerprint).
   */
  async once<T>(
    manager: EntityManager,
    request: IdempotentRequest | undefined,
    work: () => Promise<T>,
    verifyReplay?: (stored: T) => Promise<void>,
  ): Promise<T> {
    if (!request) return work();
    if (!manager.queryRunner?.isTransactionActive) {
      throw new Error('IdempotencyRecords.once must run inside the transaction of the write');
    }
    const claimed: unknown[] = await manager.query(
      `INSERT INTO "${this.table}" ("scope", "key", "fingerprint") VALUES ($1, $2, $3)
       ON CONFLICT ("scope", "key") DO UPDATE
         SET "fingerprint" = EXCLUDED."fingerprint", "response" = NULL, "created_at" = now()
         WHERE "${this.table}"."created_at" < now() - make_interval(secs => $4)
       RETURNING 1`,
      [request.scope, request.key, request.fingerprint, this.options.retentionMs / 1000],
    );
    if (claimed.length === 0) {
      const [stored] = await manager.query(
        `SELECT "fingerprint", "response" FROM "${this.table}" WHERE "scope" = $1 AND "key" = $2`,
        [request.scope, request.key],
      );
      if (stored.fingerprint !== request.fingerprint) throw idempotencyKeyReused();
      await verifyReplay?.(stored.response as T);
      return stored.response as T;
    }
    const result = await work();
    await manager.query(`UPDATE "${this.table}" SET "response" = $3 WHERE "scope" = $1 AND "key" = $2`, [
      request.scope,
      request.key,
      JSON.stringify(result ?? null),
    ]);
    return result;
  }

  /** Deletes keys past retention, in chunks so no long lock is held. Returns how many. */
  async prune(dataSource: DataSource): Promise<number> {
    let total = 0;
    for (;;) {
      const result = await dataSource.query(
        `DELETE FROM "${this.table}" WHERE ctid IN (
           SELECT ctid FROM "${this.table}" WHERE "created_at" < now() - make_interval(secs => $1) LIMIT ${PRUNE_CHUNK})`,
        [this.options.retentionMs / 1000],
      );
      const deleted = Array.isArray(result) ? Number(result[1] ?? 0) : 0;
      total += deleted;
      if (deleted < PRUNE_CHUNK) return total;
    }
  }

  /** Prunes every `everyMs` (default a minute) until the returned stop function is called. */
  schedulePrune(dataSource: DataSource, logger: Logger, everyMs = 60_000): () => void {
    const timer = setInterval(() => {
      this.prune(dataSource).catch((error: Error) =>
        logger.warn({ err: error.message, table: this.table }, 'idempotency keys not pruned'),
      );
    }, everyMs);
    timer.unref();
    return () => clearInterval(timer);
  }
}
