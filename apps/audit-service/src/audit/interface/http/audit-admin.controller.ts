import { Body, Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { defineField, EventType, IsDateTime, IsText } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';
import { AuditConfig } from '../../../config/audit.config';
import { EventLogRepository } from '../../infrastructure/persistence/event-log.repository';
import { AuditEventPublisher } from '../../infrastructure/messaging/audit-event-publisher';
import { AUDIT_CONFIG } from '../../tokens';
import { JwtAuthGuard, Principal, Roles } from './jwt-auth.guard';

/** The rules of the `system.maintenance.started` payload it becomes, so an accepted body is a valid event. */
const REASON = defineField(false, () => IsText({ min: 3, max: 500 }));
const EXPECTED_END = defineField(false, IsDateTime);

export class StartMaintenanceRequestDto {
  @REASON.required() reason!: string;
  @EXPECTED_END.optional() expectedEndAt?: string;
}

@Controller('api/v1/audit/admin')
@UseGuards(JwtAuthGuard)
@Roles('admin')
export class AuditAdminController {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly events: EventLogRepository,
    private readonly publisher: AuditEventPublisher,
  ) {}

  /** Applies the retention policy in force to events already stored (after AUDIT_RETENTION_JSON changed). */
  @Post('retention/restamp')
  @HttpCode(200)
  async restamp() {
    return { updated: await this.events.restamp(this.config.retention), rules: this.config.retention.rules };
  }

  @Post('maintenance')
  @HttpCode(202)
  async startMaintenance(@Body() body: StartMaintenanceRequestDto, @Req() request: { principal: Principal }) {
    const eventId = await this.publisher.publish({
      type: EventType.SystemMaintenanceStarted,
      actorId: request.principal.sub,
      entityId: randomUUID(),
      payload: { reason: body.reason, ...(body.expectedEndAt && { expectedEndAt: body.expectedEndAt }) },
    });
    return { eventId };
  }
}
