import { Body, Controller, Delete, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  invalid,
  LegalHoldListResponse,
  LegalHoldResponse,
  PlaceLegalHoldRequest,
  PlaceLegalHoldResponse,
  ReleaseLegalHoldResponse,
  RetentionRestampResponse,
  StartMaintenanceRequest,
  Events,
} from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { randomUUID } from 'node:crypto';
import { LegalHolds } from '../../application/legal-holds';
import { RetentionRestamp } from '../../application/retention-restamp';
import { LegalHold, parseScope } from '../../domain/legal-hold';
import { AuditEventPublisher } from '../../infrastructure/messaging/audit-event-publisher';
import { JwtAuthGuard, Principal, RequirePermission } from './jwt-auth.guard';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

type AdminRequest = { principal: Principal };

@Controller('api/v1/audit/admin')
@UseGuards(JwtAuthGuard)
@RequirePermission('audit:admin')
export class AuditAdminController {
  constructor(
    private readonly restamps: RetentionRestamp,
    private readonly holds: LegalHolds,
    private readonly publisher: AuditEventPublisher,
  ) {}

  /**
   * Applies the retention policy in force to the stored events (after AUDIT_RETENTION_JSON changed), recorded as
   * `audit.retention.changed`; `?dryRun=true` only reports what it would change.
   */
  @Post('retention/restamp')
  @HttpCode(200)
  restamp(
    @Query('dryRun') dryRun: string | undefined,
    @Req() request: AdminRequest,
  ): Promise<RetentionRestampResponse> {
    return this.restamps.restamp(parseFlag('dryRun', dryRun) ?? false, request.principal.sub);
  }

  /** Holds every record of one entity, actor or correlation id, stored or to come, until released. */
  @Post('legal-holds')
  @HttpCode(201)
  async placeHold(@Body() body: PlaceLegalHoldRequest, @Req() request: AdminRequest): Promise<PlaceLegalHoldResponse> {
    const parsed = parseScope(body);
    if ('problems' in parsed) {
      throw new AppError('validation', 'AUDIT.INVALID_LEGAL_HOLD', 'The legal hold is invalid.', parsed.problems);
    }
    const { heldCount, ...hold } = await this.holds.place(parsed.scope, body.reason, request.principal.sub);
    return { ...toResponse(hold), heldCount };
  }

  @Get('legal-holds')
  async listHolds(@Query('active') active: string | undefined): Promise<LegalHoldListResponse> {
    return { items: (await this.holds.list(parseFlag('active', active))).map(toResponse) };
  }

  /** Releases a hold: its records get their retention back unless another hold covers them. */
  @Delete('legal-holds/:holdId')
  @HttpCode(200)
  async releaseHold(@Param('holdId') holdId: string, @Req() request: AdminRequest): Promise<ReleaseLegalHoldResponse> {
    if (!UUID.test(holdId)) throw invalid('holdId', 'must be a UUID');
    const { restoredCount, ...hold } = await this.holds.release(holdId.toLowerCase(), request.principal.sub);
    return { ...toResponse(hold), restoredCount };
  }

  @Post('maintenance')
  @HttpCode(202)
  async startMaintenance(@Body() body: StartMaintenanceRequest, @Req() request: AdminRequest) {
    const eventId = await this.publisher.publish(Events.SystemMaintenanceStarted, {
      actorId: request.principal.sub,
      entityId: randomUUID(),
      payload: { reason: body.reason, ...(body.expectedEndAt && { expectedEndAt: body.expectedEndAt }) },
    });
    return { eventId };
  }
}

/** `true` / `false`, or undefined when absent; anything else is a 400 naming the parameter. */
function parseFlag(field: string, value: string | string[] | undefined): boolean | undefined {
  if (value === undefined) return undefined;
  if (value === 'true' || value === 'false') return value === 'true';
  throw invalid(field, 'must be true or false');
}

function toResponse(hold: LegalHold): LegalHoldResponse {
  return {
    id: hold.id,
    scope: hold.scope,
    reason: hold.reason,
    placedBy: hold.placedBy,
    placedAt: hold.placedAt.toISOString(),
    ...(hold.releasedBy && { releasedBy: hold.releasedBy }),
    ...(hold.releasedAt && { releasedAt: hold.releasedAt.toISOString() }),
  };
}
