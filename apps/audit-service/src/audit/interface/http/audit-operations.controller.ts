import { Body, Controller, Get, HttpCode, Param, Post, Query, Req, UseGuards } from '@nestjs/common';
import {
  CommonErrorCodes,
  DeadLetterPage,
  ListDeadLettersQuery,
  PurgeDeadLettersRequest,
  PurgeDeadLettersResponse,
  RedriveDeadLettersRequest,
  RedriveDeadLettersResponse,
  ReplayProgress,
  StartReplayRequest,
} from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { isUUID } from 'class-validator';
import { DeadLetterOperations } from '../../infrastructure/messaging/dead-letter-operations';
import { ReplayRunner } from '../../infrastructure/messaging/replay';
import { JwtAuthGuard, Principal, RequirePermission } from './jwt-auth.guard';

/**
 * Operator recovery (permission `audit:admin`): dead letters (list, redrive, purge) and replay from a point in
 * time. The actor of each audited action is the verified token's subject, never a body field.
 */
@Controller('api/v1/audit/admin')
@UseGuards(JwtAuthGuard)
@RequirePermission('audit:admin')
export class AuditOperationsController {
  constructor(
    private readonly deadLetters: DeadLetterOperations,
    private readonly replays: ReplayRunner,
  ) {}

  @Get('dead-letters')
  list(@Query() query: ListDeadLettersQuery): Promise<DeadLetterPage> {
    return this.deadLetters.list(query);
  }

  @Post('dead-letters/redrive')
  @HttpCode(200)
  redrive(
    @Body() body: RedriveDeadLettersRequest,
    @Req() request: { principal: Principal },
  ): Promise<RedriveDeadLettersResponse> {
    return this.deadLetters.redrive(body.records, request.principal.sub);
  }

  @Post('dead-letters/purge')
  @HttpCode(200)
  purge(
    @Body() body: PurgeDeadLettersRequest,
    @Req() request: { principal: Principal },
  ): Promise<PurgeDeadLettersResponse> {
    return this.deadLetters.purge(body, request.principal.sub);
  }

  /** 202: the replay runs in the background; poll `GET replay/{replayId}`. */
  @Post('replay')
  @HttpCode(202)
  startReplay(@Body() body: StartReplayRequest, @Req() request: { principal: Principal }): Promise<ReplayProgress> {
    return this.replays.start(body, request.principal.sub);
  }

  @Get('replay/:replayId')
  replay(@Param('replayId') replayId: string): Promise<ReplayProgress> {
    if (!isUUID(replayId)) {
      throw new AppError('validation', CommonErrorCodes.validation, 'The request is invalid.', [
        { field: 'replayId', reason: 'must be a UUID' },
      ]);
    }
    return this.replays.progress(replayId.toLowerCase());
  }
}
