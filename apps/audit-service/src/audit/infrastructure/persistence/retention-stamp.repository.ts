import { Injectable } from '@nestjs/common';
import { InjectModel } from '@nestjs/mongoose';
import { Model } from 'mongoose';
import { RetentionStampStore } from '../../application/ports';
import { EventLog } from '../../domain/event-log';
import { RetentionRules } from '../../domain/retention-policy';
import { EVENT_LOG_MODEL, RETENTION_STAMPS } from './event-log.schema';

interface StampDocument {
  _id: 'event_logs';
  rules: RetentionRules;
  stampedAt: Date;
  /** Verified actor who applied it. */
  stampedBy: string;
  /** The `audit.retention.changed` event that recorded it. */
  eventId: string;
}

/** `retention_stamps`: the rules the stored records were last re-stamped with (the "old" of the next change). */
@Injectable()
export class RetentionStampRepository implements RetentionStampStore {
  constructor(@InjectModel(EVENT_LOG_MODEL) private readonly events: Model<EventLog>) {}

  private get stamps() {
    return this.events.db.collection<StampDocument>(RETENTION_STAMPS);
  }

  /** The rules of the last recorded re-stamp, or `null` when none was recorded. */
  async lastRules(): Promise<RetentionRules | null> {
    return (await this.stamps.findOne({ _id: 'event_logs' }))?.rules ?? null;
  }

  async save(rules: RetentionRules, stampedBy: string, eventId: string): Promise<void> {
    await this.stamps.replaceOne(
      { _id: 'event_logs' },
      { rules, stampedAt: new Date(), stampedBy, eventId },
      { upsert: true },
    );
  }
}
