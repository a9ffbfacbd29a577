import { Body, Controller, HttpCode, Inject, Post, Req, UseGuards } from '@nestjs/common';
import { createEnvelope, defineField, EventType, IsDateTime, IsText } from '@taskflow/contracts';
import { currentCorrelationId } from '@taskflow/nest-kit';
import { randomUUID } from 'node:crypto';
import { AuditConfig } from '../../../config/audit.config';
import { EventLogRepository } from '../../infrastructure/persistence/event-log.repository';
import { KafkaClients } from '../../infrastructure/messaging/kafka-clients';
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
    private readonly kafka: KafkaClients,
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
    const envelope = createEnvelope({
      type: EventType.SystemMaintenanceStarted,
      actorId: request.principal.sub,
      entityId: randomUUID(),
      correlationId: currentCorrelationId(),
      payload: { reason: body.reason, ...(body.expectedEndAt && { expectedEndAt: body.expectedEndAt }) },
    });
    await this.kafka.producer.send({
      topic: this.config.kafka.systemTopic,
      acks: -1,
      messages: [{ key: envelope.entityId, value: JSON.stringify(envelope) }],
    });
    return { eventId: envelope.eventId };
  }
}
