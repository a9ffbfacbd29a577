import { Body, Controller, HttpCode, Inject, Post, Query, Req, UseGuards } from '@nestjs/common';
import { AuditRoutes, EventType, RawQuery, StartMaintenanceRequest } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';
import { AuditConfig } from '../../../config/audit.config';
import { EventLogRepository } from '../../infrastructure/persistence/event-log.repository';
import { AuditEventPublisher } from '../../infrastructure/messaging/audit-event-publisher';
import { AUDIT_CONFIG } from '../../tokens';
import { JwtAuthGuard, Principal, Roles } from './jwt-auth.guard';

/** The admin routes of `AuditRoutes` (access `admin`). */
@Controller('api/v1/audit')
@UseGuards(JwtAuthGuard)
@Roles('admin')
export class AuditAdminController {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly events: EventLogRepository,
    private readonly publisher: AuditEventPublisher,
  ) {}

  /** Applies the retention policy in force to events already stored (after AUDIT_RETENTION_JSON changed). */
  @Post(AuditRoutes.restampRetention.path)
  @HttpCode(AuditRoutes.restampRetention.response.status)
  async restamp(@Query() query: RawQuery) {
    AuditRoutes.restampRetention.request.parse(query);
    return { updated: await this.events.restamp(this.config.retention), rules: this.config.retention.rules };
  }

  @Post(AuditRoutes.startMaintenance.path)
  @HttpCode(AuditRoutes.startMaintenance.response.status)
  async startMaintenance(
    @Query() query: RawQuery,
    @Body() body: StartMaintenanceRequest,
    @Req() request: { principal: Principal },
  ) {
    AuditRoutes.startMaintenance.request.parse(query);
    const eventId = await this.publisher.publish({
      type: EventType.SystemMaintenanceStarted,
      actorId: request.principal.sub,
      entityId: randomUUID(),
      payload: { reason: body.reason, ...(body.expectedEndAt && { expectedEndAt: body.expectedEndAt }) },
    });
    return { eventId };
  }
}
