import type { Db } from 'mongodb';

/** One service's outbox: where its rows are and which `entityType` its events carry. */
export interface OutboxSource {
  /** e.g. `user-service`. */
  name: string;
  /** The outbox table (libs/outbox `outboxTableSql` layout). */
  table: string;
  entityType: 'user' | 'task';
  /** Runs one parameterised SQL statement on the service's database (a read-only role suffices). */
  query: <R>(sql: string, params: unknown[]) => Promise<R[]>;
}

/** `[since, until)`: outbox rows by `created_at`, stored events by `createdAt` (their `occurredAt`). */
export interface CompletenessWindow {
  since: Date;
  until: Date;
}

export interface OutboxGap {
  eventId: string;
  type: string;
  createdAt: string;
  sentAt: string | null;
}

export interface SourceReport {
  name: string;
  table: string;
  /** Outbox rows created in the window. */
  outboxRows: number;
  /** Rows whose event is in event_logs. */
  stored: number;
  /** Rows not stored yet but younger than the grace period (in flight): not gaps. */
  inFlight: number;
  /** Published (sent_at set) longer ago than the grace period, yet not in event_logs: lost on the way. */
  missingInStore: OutboxGap[];
  /** Never published although older than the grace period: the relay is stuck or failing. */
  unpublished: OutboxGap[];
  /**
   * In event_logs with this source's entityType, but no outbox row has its eventId (not produced through the
   * outbox, e.g. forged or injected). Null when the outbox may have pruned rows of the window (not checked).
   */
  unknownToOutbox: { eventId: string; type: string; createdAt: string }[] | null;
  /** Exact number of gaps of each kind (the lists stop at 1,000 entries). */
  gapCounts: { missingInStore: number; unpublished: number; unknownToOutbox: number };
  /** `created_at` of the oldest sent row still in the outbox: sent rows before it were pruned (OUTBOX_RETENTION_MS). */
  oldestSentRowAt: string | null;
  /** Set when part of the window may have been pruned from the outbox. */
  warning?: string;
}

export interface CompletenessReport {
  window: { since: string; until: string };
  checkedAt: string;
  graceSeconds: number;
  /** No gap of any kind in any source. */
  complete: boolean;
  sources: SourceReport[];
}

/** Outbox rows and event ids are compared in pages of this many. */
const PAGE = 5000;
/** At most this many gaps of each kind are listed per source; `gapCounts` stays exact. */
const MAX_LISTED = 1000;

interface OutboxRow {
  event_id: string;
  event_type: string;
  created_at: Date;
  sent_at: Date | null;
}

/**
 * Compares the outbox tables with the audit store (`event_logs`) for a window and names every gap: events the
 * outbox published that the store does not have, outbox rows never published, and (where the outbox still
 * holds the whole window) stored events of the source's entity type that no outbox row produced. Events
 * younger than `graceMs` are in flight, not gaps. Reads only; pages through both sides (memory stays flat).
 * Rejects when a database does not answer.
 */
export async function checkCompleteness(
  sources: OutboxSource[],
  store: Db,
  window: CompletenessWindow,
  graceMs: number,
  now = new Date(),
): Promise<CompletenessReport> {
  const reports: SourceReport[] = [];
  for (const source of sources)
    reports.push(await checkSource(source, store, window, new Date(now.getTime() - graceMs)));
  return {
    window: { since: window.since.toISOString(), until: window.until.toISOString() },
    checkedAt: now.toISOString(),
    graceSeconds: graceMs / 1000,
    complete: reports.every(
      ({ gapCounts }) => gapCounts.missingInStore + gapCounts.unpublished + gapCounts.unknownToOutbox === 0,
    ),
    sources: reports,
  };
}

async function checkSource(source: OutboxSource, store: Db, window: CompletenessWindow, settledBefore: Date) {
  const table = `"${source.table.replace(/"/g, '')}"`;
  const events = store.collection('event_logs');
  const report: SourceReport = {
    name: source.name,
    table: source.table,
    outboxRows: 0,
    stored: 0,
    inFlight: 0,
    missingInStore: [],
    unpublished: [],
    unknownToOutbox: [],
    gapCounts: { missingInStore: 0, unpublished: 0, unknownToOutbox: 0 },
    oldestSentRowAt: null,
  };
  const gap = <K extends keyof SourceReport['gapCounts']>(kind: K, item: NonNullable<SourceReport[K]>[number]) => {
    report.gapCounts[kind] += 1;
    const list = report[kind] as (typeof item)[];
    if (list.length < MAX_LISTED) list.push(item);
  };

  // Outbox → store, keyset-paged on (created_at, event_id).
  let after: { createdAt: Date; eventId: string } | undefined;
  for (;;) {
    const rows = await source.query<OutboxRow>(
      `SELECT event_id::text AS event_id, event_type, created_at, sent_at FROM ${table}
       WHERE created_at >= $1 AND created_at < $2
         AND ($3::timestamptz IS NULL OR (created_at, event_id) > ($3::timestamptz, $4::uuid))
       ORDER BY created_at, event_id LIMIT ${PAGE}`,
      [window.since, window.until, after?.createdAt ?? null, after?.eventId ?? null],
    );
    if (rows.length === 0) break;
    const ids = rows.map((r) => r.event_id.toLowerCase());
    const found = new Set(
      (await events.find({ eventId: { $in: ids } }, { projection: { _id: 0, eventId: 1 } }).toArray()).map(
        (d) => d.eventId as string,
      ),
    );
    for (const row of rows) {
      report.outboxRows += 1;
      if (found.has(row.event_id.toLowerCase())) {
        report.stored += 1;
        continue;
      }
      const missing = {
        eventId: row.event_id,
        type: row.event_type,
        createdAt: row.created_at.toISOString(),
        sentAt: row.sent_at?.toISOString() ?? null,
      };
      if (row.sent_at === null && row.created_at < settledBefore) gap('unpublished', missing);
      else if (row.sent_at !== null && row.sent_at < settledBefore) gap('missingInStore', missing);
      else report.inFlight += 1;
    }
    const last = rows[rows.length - 1];
    after = { createdAt: last.created_at, eventId: last.event_id };
  }

  // Store → outbox, only where the outbox still holds the window: the relay sends rows in created_at order and
  // prunes them by sent_at, so pruning removes a prefix; if the oldest sent row left is older than `since`,
  // nothing of the window was pruned.
  const [oldest] = await source.query<{ created_at: Date | null }>(
    `SELECT min(created_at) AS created_at FROM ${table} WHERE sent_at IS NOT NULL`,
    [],
  );
  report.oldestSentRowAt = oldest?.created_at?.toISOString() ?? null;
  if (!oldest?.created_at || oldest.created_at > window.since) {
    report.unknownToOutbox = null;
    report.warning =
      `the outbox may have pruned rows before ${report.oldestSentRowAt ?? 'now'} (OUTBOX_RETENTION_MS): ` +
      'stored events were not checked against it; choose a window inside the outbox retention';
    return report;
  }
  const cursor = events
    .find(
      { entityType: source.entityType, createdAt: { $gte: window.since, $lt: window.until } },
      { projection: { _id: 0, eventId: 1, type: 1, createdAt: 1 } },
    )
    .batchSize(PAGE);
  let page: { eventId: string; type: string; createdAt: Date }[] = [];
  const flush = async () => {
    if (page.length === 0) return;
    const known = new Set(
      (
        await source.query<{ event_id: string }>(
          `SELECT event_id::text AS event_id FROM ${table} WHERE event_id = ANY($1::uuid[])`,
          [page.map((e) => e.eventId)],
        )
      ).map((r) => r.event_id.toLowerCase()),
    );
    for (const e of page) {
      if (!known.has(e.eventId)) {
        gap('unknownToOutbox', { eventId: e.eventId, type: e.type, createdAt: e.createdAt.toISOString() });
      }
    }
    page = [];
  };
  for await (const doc of cursor) {
    page.push(doc as unknown as { eventId: string; type: string; createdAt: Date });
    if (page.length >= PAGE) await flush();
  }
  await flush();
  return report;
}
