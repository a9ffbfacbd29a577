import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
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
 * escape it, so every hold is swept once more when twice the socket timeout has passed since it was stored (no
 * insert outlives that). That second sweep is due in the store, not in a timer of the instance that placed the
 * hold: every instance looks for due ones every socket timeout, so a restart or a scale-down in between loses none.
 */
@Injectable()
export class LegalHolds implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly deadlineMs: number;
  private readonly resweepAfterMs: number;
  private resweepTimer?: NodeJS.Timeout;
  private resweeping?: Promise<void>;
  private stopping = false;

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
    await this.holds.insert(hold, new Date(Date.now() + this.resweepAfterMs));
    await this.holds.holdRecords(hold);
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

  onApplicationBootstrap(): void {
    this.resweepTimer = setInterval(() => void this.resweepDue(), this.resweepAfterMs / 2);
    this.resweepTimer.unref();
  }

  /**
   * Runs every due second sweep (the hold's records held once more), then records it done; a hold released by
   * then, or during it, has its records released again instead, so a release racing the sweep never leaves a
   * record held by it. Never rejects: a hold whose sweep fails is logged with its id and retried next round, and
   * the others go on; one round at a time; stops between holds on shutdown.
   */
  resweepDue(): Promise<void> {
    this.resweeping ??= (async () => {
      for (const hold of await this.holds.dueForResweep(new Date())) {
        if (this.stopping) return;
        try {
          if (!hold.releasedAt) await this.holds.holdRecords(hold);
          if (hold.releasedAt || (await this.holds.find(hold.id))?.releasedAt) await this.holds.releaseRecords(hold);
          await this.holds.markResweept(hold.id, new Date());
        } catch (error) {
          this.logger.error({ holdId: hold.id, err: (error as Error).message }, 'legal hold re-sweep failed');
        }
      }
    })()
      .catch((error: Error) => this.logger.error({ err: error.message }, 'legal hold re-sweeps not read'))
      .finally(() => (this.resweeping = undefined));
    return this.resweeping;
  }

  async onApplicationShutdown(): Promise<void> {
    this.stopping = true;
    clearInterval(this.resweepTimer);
    await this.resweeping;
  }
}
