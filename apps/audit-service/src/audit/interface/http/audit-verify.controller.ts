import { Controller, Get, Inject, Query, UseGuards } from '@nestjs/common';
import { AuditRoutes, RawQuery, VerifyReport } from '@taskflow/contracts';
import { AuditedReads, Reader } from '../../application/audited-reads';
import { AuditConfig } from '../../../config/audit.config';
import { verifyChains } from '../../application/verify-chains';
import { ChainRepository } from '../../infrastructure/persistence/chain.repository';
import { AUDIT_CONFIG } from '../../tokens';
import { JwtAuthGuard } from './jwt-auth.guard';
import { ReadBy } from './reader.decorator';

/**
 * Tamper evidence for analysts (permission `audit:read`): `GET /api/v1/audit/verify?from&to` (contract
 * `VerifyReport`).
 */
@Controller('api/v1/audit')
@UseGuards(JwtAuthGuard)
export class AuditVerifyController {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly chains: ChainRepository,
    private readonly reads: AuditedReads,
  ) {}

  /**
   * Verifies what was ingested in [from, to) (RFC 3339 with offset; default: everything up to now). 200 with
   * `intact: true` or the first break; a bad range is 400 AUDIT.INVALID_FILTER naming the field.
   */
  @Get(AuditRoutes.verify.path)
  async verify(@Query() query: RawQuery, @ReadBy() reader: Reader): Promise<VerifyReport> {
    const { from = new Date(0), to = new Date() } = AuditRoutes.verify.request.parse(query);
    const report = await verifyChains(this.chains, from, to, {
      key: this.config.chain.checkpointKey,
      policy: this.config.retention,
    });
    await this.reads.recordRead(reader, { from: from.toISOString(), to: to.toISOString() }, report.checked);
    return report;
  }
}
