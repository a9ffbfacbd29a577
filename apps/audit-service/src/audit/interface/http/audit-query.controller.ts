import { Controller, Get, Param, Query, Res, UseGuards } from '@nestjs/common';
import { AUDIT_STATS_TOP, AuditRoutes, RawQuery } from '@taskflow/contracts';
import type { FastifyReply } from 'fastify';
import { Readable } from 'node:stream';
import { AuditedReads, Reader } from '../../application/audited-reads';
import { toCsv, toNdjson } from './export-format';
import { JwtAuthGuard } from './jwt-auth.guard';
import { ReadBy } from './reader.decorator';

/**
 * Read-only API for analysts (permission `audit:read`): the routes and query rules of `AuditRoutes`
 * (libs/contracts), the ones the gateway relays. Every query hides records past their expiresAt, and every query is
 * recorded as one `audit.read` by AuditedReads (503 when it cannot be). Answers are the contract's views
 * (EventLogPage, KeyCounts, ...; dates serialised as ISO 8601).
 */
@Controller('api/v1/audit')
@UseGuards(JwtAuthGuard)
export class AuditQueryController {
  constructor(private readonly events: AuditedReads) {}

  @Get(AuditRoutes.events.path)
  list(@Query() query: RawQuery, @ReadBy() reader: Reader) {
    const { filter, page } = AuditRoutes.events.request.parse(query);
    return this.events.findPage(reader, filter, page);
  }

  @Get(AuditRoutes.entityHistory.path)
  history(@Param() path: RawQuery, @Query() query: RawQuery, @ReadBy() reader: Reader) {
    const { filter, page } = AuditRoutes.entityHistory.request.parse(query, path);
    return this.events.findPage(reader, filter, page);
  }

  @Get(AuditRoutes.correlationTrail.path)
  async trail(@Param() path: RawQuery, @Query() query: RawQuery, @ReadBy() reader: Reader) {
    const filter = AuditRoutes.correlationTrail.request.parse(query, path);
    return { items: await this.events.findTrail(reader, filter.correlationId!) };
  }

  @Get(AuditRoutes.countByType.path)
  async byType(@Query() query: RawQuery, @ReadBy() reader: Reader) {
    const filter = AuditRoutes.countByType.request.parse(query);
    return { items: await this.events.countBy(reader, 'type', filter, AUDIT_STATS_TOP) };
  }

  @Get(AuditRoutes.countByActor.path)
  async byActor(@Query() query: RawQuery, @ReadBy() reader: Reader) {
    const filter = AuditRoutes.countByActor.request.parse(query);
    return { items: await this.events.countBy(reader, 'actorId', filter, AUDIT_STATS_TOP) };
  }

  @Get(AuditRoutes.countByTime.path)
  async byTime(@Query() query: RawQuery, @ReadBy() reader: Reader) {
    const { filter, bucket } = AuditRoutes.countByTime.request.parse(query);
    return { bucket, items: await this.events.countByBucket(reader, bucket, filter) };
  }

  /**
   * Streams straight from a MongoDB cursor, newest first: memory stays flat whatever the size of the range.
   * The first batch is read before any byte is sent, so an unavailable MongoDB (or Kafka, which must record the
   * read) is still a 503 problem, not a cut-off download. The `audit.read` counts the rows streamed and is
   * published when the stream ends.
   */
  @Get(AuditRoutes.export.path)
  async export(@Query() query: RawQuery, @Res() reply: FastifyReply, @ReadBy() reader: Reader) {
    const { filter, format, limit, bom } = AuditRoutes.export.request.parse(query);
    const cursor = await startedIteration(await this.events.stream(reader, filter, limit));
    const lines = format === 'csv' ? toCsv(cursor, { bom }) : toNdjson(cursor);
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
