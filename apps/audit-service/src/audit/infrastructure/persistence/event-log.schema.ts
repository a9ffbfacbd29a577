import { Schema } from 'mongoose';
import { EventLog } from '../../domain/event-log';

export const EVENT_LOGS = 'event_logs';
export const EVENT_LOG_MODEL = 'EventLog';
/** Legal holds (no TTL: a hold and its release are kept). */
export const LEGAL_HOLDS = 'legal_holds';
/** The retention rules the stored records were last re-stamped with (one document, `_id: 'event_logs'`). */
export const RETENTION_STAMPS = 'retention_stamps';
/** Events whose eventId was stored already with other content (see `EventLogRepository.insertBatch`). */
export const EVENT_LOG_CONFLICTS = 'event_log_conflicts';

const MetadataSchema = new Schema<EventLog['metadata']>(
  {
    userAgent: String,
    ipAddress: String,
    sessionId: String,
    timestamp: { type: Date, required: true },
  },
  { _id: false },
);

/**
 * The `event_logs` document of seed 001 plus eventId, schemaVersion, causationId, expiresAt and the legal-hold
 * fields (`legalHoldIds`, `retentionExpiresAt`: domain/legal-hold.ts).
 * No index is declared here: the versioned migrations own every index, so compiling the model creates
 * neither indexes nor the collection (autoIndex and autoCreate are off).
 */
export const EventLogSchema = new Schema<EventLog>(
  {
    eventId: { type: String, required: true },
    type: { type: String, required: true },
    schemaVersion: { type: Number, required: true },
    actorId: { type: String, required: true },
    entityId: { type: String, required: true },
    entityType: { type: String, required: true },
    payload: { type: Schema.Types.Mixed, required: true },
    metadata: { type: MetadataSchema, required: true },
    correlationId: String,
    causationId: String,
    createdAt: { type: Date, required: true },
    updatedAt: { type: Date, required: true },
    // Absent while a legal hold covers the record (the TTL index ignores documents without it).
    expiresAt: Date,
    legalHoldIds: { type: [String], default: undefined },
    retentionExpiresAt: Date,
  },
  { collection: EVENT_LOGS, versionKey: false, autoIndex: false, autoCreate: false, minimize: false },
);
