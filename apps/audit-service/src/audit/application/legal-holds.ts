import { Inject, Injectable, OnApplicationShutdown } from '@nestjs/common';
import { AuditLegalHoldPlacedV1, AuditLegalHoldReleasedV1, Events } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { AuditConfig } from '../../config/audit.config';
import { LegalHold, LegalHoldScope } from '../domain/legal-hold';
import { AUDIT_CONFIG, LOGGER } from '../tokens';
import { AuditActs, LegalHoldStore } from './ports';
import { recorded } from './recorded';

const NOT_RECORDED = 'AUDIT.LEGAL_HOLD_NOT_RECORDED';

/**
 * Places and releases legal holds (issue 13 part 5), each act recorded as an `audit.legal_hold.*` event with the
 * verified admin as actor. An act is recorded before it takes effect (fail closed: 503 and no change when Kafka
 * does not take the event); a failure after that is a 503 too, and retrying completes it.
 *
 * Records stored later are held by the ingest, which reads the active holds once per chunk just before its
 * insert. A chunk that read them just before a hold was inserted and wrote just after the first sweep would
 * escape it, so each placement sweeps once more after twice the socket timeout (no insert outlives that).
 */
@Injectable()
export class LegalHolds implements OnApplicationShutdown {
  private readonly deadlineMs: number;
  private readonly resweepAfterMs: number;
  private readonly resweeps = new Set<NodeJS.Timeout>();

  constructor(
    private readonly holds: LegalHoldStore,
    private readonly publisher: AuditActs,
    @Inject(AUDIT_CONFIG) config: AuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {
    this.deadlineMs = config.kafka.requestTimeoutMs;
    this.resweepAfterMs = 2 * config.mongo.socketTimeoutMs;
  }

  /** Places a hold on every record of `scope`, stored or to come; `heldCount` = stored records it covers. */
  async place(scope: LegalHoldScope, reason: string, actorId: string): Promise<LegalHold & { heldCount: number }> {
    const hold: LegalHold = { id: randomUUID(), scope, reason, placedBy: actorId, placedAt: new Date() };
    const heldCount = await this.holds.countCovered(scope);
    const payload: AuditLegalHoldPlacedV1 = { holdId: hold.id, scope, reason, heldCount };
    await recorded(
      this.publisher.publish(Events.AuditLegalHoldPlaced, { actorId, entityId: hold.id, payload }),
      this.deadlineMs,
      NOT_RECORDED,
      'The legal hold',
    );
    await this.holds.insert(hold);
    await this.holds.holdRecords(hold);
    this.scheduleResweep(hold);
    return { ...hold, heldCount };
  }

  list(active?: boolean): Promise<LegalHold[]> {
    return this.holds.list(active);
  }

  /**
   * Releases the hold: its records get their retention back unless another hold covers them. Releasing a
   * released hold again finishes a release that failed half-way and records nothing new. 404 for an unknown id.
   */
  async release(id: string, actorId: string): Promise<LegalHold & { restoredCount: number }> {
    const hold = await this.holds.find(id);
    if (!hold) throw new AppError('not_found', 'AUDIT.LEGAL_HOLD_NOT_FOUND', `No legal hold ${id}.`);
    if (!hold.releasedAt) {
      const restoredCount = await this.holds.countOnlyHeldBy(id);
      const payload: AuditLegalHoldReleasedV1 = { holdId: id, scope: hold.scope, restoredCount };
      await recorded(
        this.publisher.publish(Events.AuditLegalHoldReleased, { actorId, entityId: id, payload }),
        this.deadlineMs,
        NOT_RECORDED,
        'The release',
      );
      const releasedAt = new Date();
      if (await this.holds.markReleased(id, actorId, releasedAt))
        Object.assign(hold, { releasedBy: actorId, releasedAt });
    }
    const restoredCount = await this.holds.releaseRecords(hold);
    return { ...(await this.holds.find(id))!, restoredCount };
  }

  private scheduleResweep(hold: LegalHold): void {
    const timer = setTimeout(() => {
      this.resweeps.delete(timer);
      this.holds
        .find(hold.id)
        .then((current) => (current && !current.releasedAt ? this.holds.holdRecords(current) : 0))
        .catch((error: Error) =>
          this.logger.error({ holdId: hold.id, err: error.message }, 'legal hold re-sweep failed'),
        );
    }, this.resweepAfterMs);
    timer.unref();
    this.resweeps.add(timer);
  }

  onApplicationShutdown(): void {
    for (const timer of this.resweeps) clearTimeout(timer);
  }
}
