import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { VerifyReport } from '@taskflow/contracts';
import { AuditConfig } from '../../../config/audit.config';
import { parseEventFilter } from '../../application/event-filter';
import { verifyChains } from '../../application/verify-chains';
import { ChainRepository } from '../../infrastructure/persistence/chain.repository';
import { AUDIT_CONFIG } from '../../tokens';
import { JwtAuthGuard } from './jwt-auth.guard';

type QueryParams = Record<string, string | string[] | undefined>;
const RANGE_KEYS = ['from', 'to'];

/** Tamper evidence for analysts (admin or auditor): `GET /api/v1/audit/verify?from&to` (contract `VerifyReport`). */
@Controller('api/v1/audit')
@UseGuards(JwtAuthGuard)
export class AuditVerifyController {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly chains: ChainRepository,
  ) {}

  /**
   * Verifies what was ingested in [from, to) (RFC 3339 with offset; default: everything up to now). 200 with
   * `intact: true` or the first break; a bad range is 400 AUDIT.INVALID_FILTER naming the field.
   */
  @Get('verify')
  verify(@Query() query: QueryParams): Promise<VerifyReport> {
    const { from = new Date(0), to = new Date() } = parseEventFilter(query, RANGE_KEYS);
    return verifyChains(this.chains, from, to, {
      key: this.config.chain.checkpointKey,
      policy: this.config.retention,
    });
  }
}
