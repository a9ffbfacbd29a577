import { Inject, Injectable } from '@nestjs/common';
import { AuditRetentionChangedV1, RetentionRestampResponse, Events } from '@taskflow/contracts';
import { AuditConfig } from '../../config/audit.config';
import { AUDIT_CONFIG } from '../tokens';
import { AuditActs, EventStore, RetentionStampStore } from './ports';
import { recorded } from './recorded';

/** The entityId of `audit.retention.changed`: the one retention policy of the audit store. */
export const RETENTION_POLICY_ENTITY = 'retention-policy';

/**
 * Applies the retention policy in force (AUDIT_RETENTION_JSON over the defaults, read at start-up) to the stored
 * records (issue 13 part 5). The policy stays env-driven: a deploy changes it for new records, and this re-stamp,
 * called by a verified admin, is the change of the stored ones, recorded as `audit.retention.changed`
 * {previousRules (those of the last recorded re-stamp), rules, affected}. The dry run walks the same records the
 * same way and changes and records nothing. Held records keep no `expiresAt` (only their set-aside deadline).
 */
@Injectable()
export class RetentionRestamp {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly events: EventStore,
    private readonly stamps: RetentionStampStore,
    private readonly publisher: AuditActs,
  ) {}

  /**
   * Recorded before it takes effect (with the dry run's counts): 503 and no change when Kafka does not take the
   * event. The answer's counts are those of the change itself (records ingested meanwhile may add to them).
   */
  async restamp(dryRun: boolean, actorId: string): Promise<RetentionRestampResponse> {
    const { retention } = this.config;
    const previousRules = await this.stamps.lastRules();
    const preview = await this.events.restamp(retention, { dryRun: true });
    if (dryRun) return { dryRun, previousRules, rules: retention.rules, ...preview };
    const payload: AuditRetentionChangedV1 = { previousRules, rules: retention.rules, affected: preview.affected };
    const eventId = await recorded(
      this.publisher.publish(Events.AuditRetentionChanged, {
        actorId,
        entityId: RETENTION_POLICY_ENTITY,
        payload,
      }),
      this.config.kafka.requestTimeoutMs,
      'AUDIT.RETENTION_CHANGE_NOT_RECORDED',
      'The retention change',
    );
    const applied = await this.events.restamp(retention, { dryRun: false });
    await this.stamps.save(retention.rules, actorId, eventId);
    return { dryRun, previousRules, rules: retention.rules, ...applied, eventId };
  }
}
