import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import {
  EventFilter,
  FILTER_KEYS,
  invalid,
  PAGE_KEYS,
  parseBucket,
  parseEventFilter,
  parseExportLimit,
  parsePage,
} from '../../application/event-filter';
import { AuditedReads, Reader } from '../../application/audited-reads';
import { EventLog } from '../../domain/event-log';
import { JwtAuthGuard } from './jwt-auth.guard';
import { ReadBy } from './reader.decorator';

type QueryParams = Record<string, string | string[] | undefined>;
const TOP_N = 200;
const CSV_COLUMNS = [
  'eventId',
  'type',
  'schemaVersion',
  'createdAt',
  'actorId',
  'entityType',
  'entityId',
  'correlationId',
  'payload',
] as const;

/**
 * Read-only API for analysts (admin or auditor). Every query hides records past their expiresAt, and every
 * query is recorded as one `audit.read` by AuditedReads (503 when it cannot be).
 */
@Controller('api/v1/audit')
@UseGuards(JwtAuthGuard)
export class AuditQueryController {
  constructor(private readonly events: AuditedReads) {}

  @Get('events')
  list(@Query() query: QueryParams, @ReadBy() reader: Reader) {
    const filter = parseEventFilter(query, [...FILTER_KEYS, ...PAGE_KEYS]);
    return this.events.findPage(reader, filter, parsePage(query));
  }

  @Get('entities/:entityType/:entityId/history')
  history(
    @Param('entityType') entityType: string,
    @Param('entityId') entityId: string,
    @Query() query: QueryParams,
    @ReadBy() reader: Reader,
  ) {
    const filter = parseEventFilter({ ...query, entityType, entityId }, [...FILTER_KEYS, ...PAGE_KEYS]);
    return this.events.findPage(reader, filter, parsePage(query));
  }

  @Get('correlations/:correlationId')
  async trail(@Param('correlationId') correlationId: string, @ReadBy() reader: Reader) {
    const filter = parseEventFilter({ correlationId });
    return { items: await this.events.findTrail(reader, filter.correlationId!) };
  }

  @Get('stats/by-type')
  async byType(@Query() query: QueryParams, @ReadBy() reader: Reader) {
    return { items: await this.events.countBy(reader, 'type', parseEventFilter(query), TOP_N) };
  }

  @Get('stats/by-actor')
  async byActor(@Query() query: QueryParams, @ReadBy() reader: Reader) {
    return { items: await this.events.countBy(reader, 'actorId', parseEventFilter(query), TOP_N) };
  }

  @Get('stats/by-time')
  async byTime(@Query() query: QueryParams, @ReadBy() reader: Reader) {
    const { bucket: _bucket, ...rest } = query;
    const bucket = parseBucket(query);
    return { bucket, items: await this.events.countByBucket(reader, bucket, parseEventFilter(rest)) };
  }

  /**
   * Streams straight from a MongoDB cursor, newest first: memory stays flat whatever the size of the range.
   * `limit` (optional, 1..MAX_EXPORT_LIMIT) keeps the newest rows only. The first batch is read before any byte is
   * sent, so an unavailable MongoDB (or Kafka, which must record the read) is still a 503 problem, not a cut-off
   * download. The `audit.read` counts the rows streamed and is published when the stream ends.
   */
  @Get('export')
  async export(@Query() query: QueryParams, @Res() reply: FastifyReply, @ReadBy() reader: Reader) {
    const { format = 'ndjson', limit, ...rest } = query;
    if (format !== 'ndjson' && format !== 'csv') throw invalid('format', 'must be ndjson or csv');
    const filter: EventFilter = parseEventFilter(rest);
    const cursor = await startedIteration(await this.events.stream(reader, filter, parseExportLimit({ limit })));
    const lines = format === 'csv' ? toCsv(cursor) : toNdjson(cursor);
    return reply
      .header('content-type', format === 'csv' ? 'text/csv; charset=utf-8' : 'application/x-ndjson')
      .header('content-disposition', `attachment; filename="audit-events.${format}"`)
      .send(Readable.from(lines));
  }
}

/** Reads the first item now (its failure rejects here), then yields it and the rest. */
async function startedIteration<T>(items: AsyncIterable<T>): Promise<AsyncIterable<T>> {
  const iterator = items[Symbol.asyncIterator]();
  const first = await iterator.next();
  return (async function* () {
    if (first.done) return;
    yield first.value;
    for (let next = await iterator.next(); !next.done; next = await iterator.next()) yield next.value;
  })();
}

async function* toNdjson(docs: AsyncIterable<EventLog>) {
  for await (const doc of docs) yield `${JSON.stringify(doc)}\n`;
}

async function* toCsv(docs: AsyncIterable<EventLog>) {
  yield `${CSV_COLUMNS.join(',')}\n`;
  for await (const doc of docs) {
    const cells = CSV_COLUMNS.map((column) => {
      const value = doc[column];
      if (value === undefined || value === null) return '';
      return csvCell(
        value instanceof Date ? value.toISOString() : typeof value === 'object' ? JSON.stringify(value) : String(value),
      );
    });
    yield `${cells.join(',')}\n`;
  }
}

export function csvCell(value: string): string {
  // Quote always-safe; leading =+-@ are neutralised against spreadsheet formula injection.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\n\r]/.test(safe) || safe !== value ? `"${safe.replace(/"/g, '""')}"` : safe;
}
