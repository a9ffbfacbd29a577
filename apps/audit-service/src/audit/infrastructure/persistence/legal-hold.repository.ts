import { Inject, Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model, mongo } from 'mongoose';
import { LegalHoldStore } from '../../application/ports';
import { AuditConfig } from '../../../config/audit.config';
import { EventLog } from '../../domain/event-log';
import { LegalHold, LegalHoldScope } from '../../domain/legal-hold';
import { AUDIT_CONFIG } from '../../tokens';
import { EVENT_LOG_MODEL, EVENT_LOGS, LEGAL_HOLDS } from './event-log.schema';

/**
 * `resweepAt` / `resweptAt`: when the second sweep after placement is due and when it ran (application/
 * legal-holds.ts; holds stored before it have neither); not part of the hold's view.
 */
type HoldDocument = Omit<LegalHold, 'id'> & { _id: string; resweepAt?: Date; resweptAt?: Date };
const LIST_CAP = 1000;

/**
 * `legal_holds` and the hold state of `event_logs` records (domain/legal-hold.ts). Holding a record renames
 * its `expiresAt` to `retentionExpiresAt` (the TTL monitor then ignores it) and adds the hold's id to
 * `legalHoldIds`; releasing removes the id and renames the deadline back once no hold is left. Both are
 * `updateMany` calls, idempotent, so a retried or repeated sweep changes nothing twice.
 */
@Injectable()
export class LegalHoldRepository implements LegalHoldStore {
  private readonly maxTimeMS: number;

  constructor(
    @InjectModel(EVENT_LOG_MODEL) private readonly events: Model<EventLog>,
    @Inject(AUDIT_CONFIG) config: AuditConfig,
  ) {
    this.maxTimeMS = config.mongo.queryTimeoutMs;
  }

  private get holds() {
    return this.events.db.collection<HoldDocument>(LEGAL_HOLDS);
  }

  /** The holds not released; the ingest asks once per chunk, so records stored later are held too. */
  async active(): Promise<LegalHold[]> {
    const docs = await this.holds.find({ releasedAt: { $exists: false } }, { maxTimeMS: this.maxTimeMS }).toArray();
    return docs.map(toHold);
  }

  /** Newest first, at most 1000; `active` narrows to holds not released (true) or released (false). */
  async list(active?: boolean): Promise<LegalHold[]> {
    const filter = active === undefined ? {} : { releasedAt: { $exists: !active } };
    const docs = await this.holds
      .find(filter, { maxTimeMS: this.maxTimeMS })
      .sort({ placedAt: -1 })
      .limit(LIST_CAP)
      .toArray();
    return docs.map(toHold);
  }

  async find(id: string): Promise<LegalHold | undefined> {
    const doc = await this.holds.findOne({ _id: id }, { maxTimeMS: this.maxTimeMS });
    return doc ? toHold(doc) : undefined;
  }

  /** Stored records the scope covers (whether already held by another hold or not). */
  countCovered(scope: LegalHoldScope): Promise<number> {
    return this.events.collection.countDocuments(scopeQuery(scope), { maxTimeMS: this.maxTimeMS });
  }

  /** Records only this hold covers: its release gives them their deadline back. */
  countOnlyHeldBy(id: string): Promise<number> {
    return this.events.collection.countDocuments({ legalHoldIds: [id] }, { maxTimeMS: this.maxTimeMS });
  }

  async insert(hold: LegalHold, resweepAt: Date): Promise<void> {
    const { id, ...rest } = hold;
    await this.holds.insertOne({ _id: id, ...rest, resweepAt });
  }

  /**
   * Holds every stored record the hold covers: moves `expiresAt` aside and adds the hold id. Returns how many
   * records this call added the hold to (0 when repeated).
   */
  async holdRecords(hold: LegalHold): Promise<number> {
    const scope = scopeQuery(hold.scope);
    const setAside = await this.events.collection.updateMany(
      { ...scope, expiresAt: { $exists: true } },
      { $rename: { expiresAt: 'retentionExpiresAt' }, $addToSet: { legalHoldIds: hold.id } },
    );
    // Records held by another hold already have no expiresAt: only the id is added.
    const joined = await this.events.collection.updateMany(
      { ...scope, legalHoldIds: { $ne: hold.id } },
      { $addToSet: { legalHoldIds: hold.id } },
    );
    return setAside.modifiedCount + joined.modifiedCount;
  }

  async dueForResweep(now: Date): Promise<LegalHold[]> {
    const docs = await this.holds
      .find(
        { resweptAt: { $exists: false }, $or: [{ resweepAt: { $lte: now } }, { resweepAt: { $exists: false } }] },
        { maxTimeMS: this.maxTimeMS },
      )
      .toArray();
    return docs.map(toHold);
  }

  async markResweept(id: string, at: Date): Promise<void> {
    await this.holds.updateOne({ _id: id }, { $set: { resweptAt: at } });
  }

  /** Marks the hold released; false when it was released already (a retried release). */
  async markReleased(id: string, releasedBy: string, releasedAt: Date): Promise<boolean> {
    const result = await this.holds.updateOne(
      { _id: id, releasedAt: { $exists: false } },
      { $set: { releasedBy, releasedAt } },
    );
    return result.modifiedCount === 1;
  }

  /**
   * Removes the hold from its records and gives those no other hold covers their `expiresAt` back (an overdue
   * one expires on the next TTL pass). Returns how many records got their deadline back.
   */
  async releaseRecords(hold: LegalHold): Promise<number> {
    await this.events.db
      .collection<Pick<EventLog, 'legalHoldIds'>>(EVENT_LOGS)
      .updateMany({ legalHoldIds: hold.id }, { $pull: { legalHoldIds: hold.id } });
    const restored = await this.events.collection.updateMany(
      { ...scopeQuery(hold.scope), legalHoldIds: { $size: 0 } },
      { $rename: { retentionExpiresAt: 'expiresAt' }, $unset: { legalHoldIds: '' } },
    );
    return restored.modifiedCount;
  }
}

/** The event_logs filter of a scope; each is served by a seed index (entity, actor, correlation id). */
function scopeQuery(scope: LegalHoldScope): mongo.Filter<mongo.Document> {
  if ('actorId' in scope) return { actorId: scope.actorId };
  if ('correlationId' in scope) return { correlationId: scope.correlationId };
  return { entityId: scope.entityId, entityType: scope.entityType };
}

function toHold({ _id, resweepAt: _resweepAt, resweptAt: _resweptAt, ...rest }: HoldDocument): LegalHold {
  return { id: _id, ...rest };
}
