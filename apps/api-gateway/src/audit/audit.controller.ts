import { Body, Controller, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiTags } from '@nestjs/swagger';
import {
  AuditRoute,
  AuditRoutes,
  BucketCounts,
  DeadLetterPage,
  EventLogPage,
  EventTrail,
  KeyCounts,
  LegalHoldListResponse,
  ListDeadLettersQuery,
  MaintenanceStarted,
  PlaceLegalHoldRequest,
  PlaceLegalHoldResponse,
  PurgeDeadLettersRequest,
  PurgeDeadLettersResponse,
  RawQuery,
  RedriveDeadLettersRequest,
  RedriveDeadLettersResponse,
  ReleaseLegalHoldResponse,
  ReplayProgress,
  RetentionRestampResponse,
  StartMaintenanceRequest,
  StartReplayRequest,
  TaskAsOfView,
  TaskTimelineView,
  VerifyReport,
} from '@taskflow/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Idempotent, NoIdempotency } from '../http/idempotency.interceptor';
import { AuditCall, AuditClient } from './audit.client';
import { AuditOperation } from './audit-operation.decorator';

/**
 * audit-service's analyst API through the gateway: one explicit route per `AuditRoutes` descriptor, each validated
 * here with the contract's own rules (a bad query is the same 400 audit-service gives) and forwarded with the
 * caller's bearer token, which audit-service verifies again. Anything else under /audit is a 404.
 */
@ApiTags('audit')
@ApiBearerAuth()
@Controller('audit')
export class AuditController {
  constructor(private readonly audit: AuditClient) {}

  @AuditOperation(AuditRoutes.events)
  events(@Req() request: FastifyRequest): Promise<EventLogPage> {
    return this.audit.json(AuditRoutes.events, validated(AuditRoutes.events, request));
  }

  @AuditOperation(AuditRoutes.entityHistory)
  entityHistory(@Req() request: FastifyRequest): Promise<EventLogPage> {
    return this.audit.json(AuditRoutes.entityHistory, validated(AuditRoutes.entityHistory, request));
  }

  @AuditOperation(AuditRoutes.correlationTrail)
  correlationTrail(@Req() request: FastifyRequest): Promise<EventTrail> {
    return this.audit.json(AuditRoutes.correlationTrail, validated(AuditRoutes.correlationTrail, request));
  }

  @AuditOperation(AuditRoutes.countByType)
  countByType(@Req() request: FastifyRequest): Promise<KeyCounts> {
    return this.audit.json(AuditRoutes.countByType, validated(AuditRoutes.countByType, request));
  }

  @AuditOperation(AuditRoutes.countByActor)
  countByActor(@Req() request: FastifyRequest): Promise<KeyCounts> {
    return this.audit.json(AuditRoutes.countByActor, validated(AuditRoutes.countByActor, request));
  }

  @AuditOperation(AuditRoutes.countByTime)
  countByTime(@Req() request: FastifyRequest): Promise<BucketCounts> {
    return this.audit.json(AuditRoutes.countByTime, validated(AuditRoutes.countByTime, request));
  }

  /** Piped from audit-service to the caller chunk by chunk: the gateway never holds the export. */
  @AuditOperation(AuditRoutes.export)
  async export(@Req() request: FastifyRequest, @Res() reply: FastifyReply): Promise<void> {
    const { headers, body } = await this.audit.stream(AuditRoutes.export, validated(AuditRoutes.export, request));
    await reply.headers(headers).send(body);
  }

  // Admin actions are not idempotent-replayed: a repeated restamp is harmless, and each maintenance notice
  // is its own event.
  @AuditOperation(AuditRoutes.restampRetention)
  @NoIdempotency()
  restampRetention(@Req() request: FastifyRequest): Promise<RetentionRestampResponse> {
    return this.audit.json(AuditRoutes.restampRetention, validated(AuditRoutes.restampRetention, request));
  }

  @AuditOperation(AuditRoutes.startMaintenance)
  @NoIdempotency()
  startMaintenance(@Req() request: FastifyRequest, @Body() body: StartMaintenanceRequest): Promise<MaintenanceStarted> {
    return this.audit.json(AuditRoutes.startMaintenance, { ...validated(AuditRoutes.startMaintenance, request), body });
  }

  @AuditOperation(AuditRoutes.verify)
  verify(@Req() request: FastifyRequest): Promise<VerifyReport> {
    return this.audit.json(AuditRoutes.verify, validated(AuditRoutes.verify, request));
  }

  @AuditOperation(AuditRoutes.taskAsOf)
  taskAsOf(@Req() request: FastifyRequest): Promise<TaskAsOfView> {
    return this.audit.json(AuditRoutes.taskAsOf, validated(AuditRoutes.taskAsOf, request));
  }

  @AuditOperation(AuditRoutes.taskTimeline)
  taskTimeline(@Req() request: FastifyRequest): Promise<TaskTimelineView> {
    return this.audit.json(AuditRoutes.taskTimeline, validated(AuditRoutes.taskTimeline, request));
  }

  @AuditOperation(AuditRoutes.placeLegalHold)
  @Idempotent()
  placeLegalHold(@Req() request: FastifyRequest, @Body() body: PlaceLegalHoldRequest): Promise<PlaceLegalHoldResponse> {
    return this.audit.json(AuditRoutes.placeLegalHold, { ...validated(AuditRoutes.placeLegalHold, request), body });
  }

  @AuditOperation(AuditRoutes.listLegalHolds)
  listLegalHolds(@Req() request: FastifyRequest): Promise<LegalHoldListResponse> {
    return this.audit.json(AuditRoutes.listLegalHolds, validated(AuditRoutes.listLegalHolds, request));
  }

  @AuditOperation(AuditRoutes.releaseLegalHold)
  releaseLegalHold(@Req() request: FastifyRequest): Promise<ReleaseLegalHoldResponse> {
    return this.audit.json(AuditRoutes.releaseLegalHold, validated(AuditRoutes.releaseLegalHold, request));
  }

  /** The query class is validated here by the ValidationPipe, as in audit-service. */
  @AuditOperation(AuditRoutes.listDeadLetters)
  listDeadLetters(@Req() request: FastifyRequest, @Query() _query: ListDeadLettersQuery): Promise<DeadLetterPage> {
    return this.audit.json(AuditRoutes.listDeadLetters, validated(AuditRoutes.listDeadLetters, request));
  }

  @AuditOperation(AuditRoutes.redriveDeadLetters)
  @Idempotent()
  redriveDeadLetters(
    @Req() request: FastifyRequest,
    @Body() body: RedriveDeadLettersRequest,
  ): Promise<RedriveDeadLettersResponse> {
    return this.audit.json(AuditRoutes.redriveDeadLetters, {
      ...validated(AuditRoutes.redriveDeadLetters, request),
      body,
    });
  }

  @AuditOperation(AuditRoutes.purgeDeadLetters)
  @Idempotent()
  purgeDeadLetters(
    @Req() request: FastifyRequest,
    @Body() body: PurgeDeadLettersRequest,
  ): Promise<PurgeDeadLettersResponse> {
    return this.audit.json(AuditRoutes.purgeDeadLetters, { ...validated(AuditRoutes.purgeDeadLetters, request), body });
  }

  @AuditOperation(AuditRoutes.startReplay)
  @Idempotent()
  startReplay(@Req() request: FastifyRequest, @Body() body: StartReplayRequest): Promise<ReplayProgress> {
    return this.audit.json(AuditRoutes.startReplay, { ...validated(AuditRoutes.startReplay, request), body });
  }

  @AuditOperation(AuditRoutes.replayProgress)
  replayProgress(@Req() request: FastifyRequest): Promise<ReplayProgress> {
    return this.audit.json(AuditRoutes.replayProgress, validated(AuditRoutes.replayProgress, request));
  }
}

/**
 * Applies the route's contract to the request (throws its 400 InvalidAuditQuery) and returns what to forward:
 * the query string as received (it passed the rules), the path parameters, the caller's token and correlation id.
 */
function validated(route: AuditRoute, request: FastifyRequest): AuditCall {
  const path = request.params as Record<string, string>;
  route.request.parse(request.query as RawQuery, path);
  const queryAt = request.url.indexOf('?');
  return {
    path,
    search: queryAt === -1 ? '' : request.url.slice(queryAt),
    authorization: request.headers.authorization ?? '',
    correlationId: request.headers['x-correlation-id'] as string | undefined,
  };
}
