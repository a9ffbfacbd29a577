import { Schema } from 'mongoose';
import { EventLog } from '../../domain/event-log';
import { ChainLink } from '../../domain/record-chain';

export const EVENT_LOGS = 'event_logs';
export const EVENT_LOG_MODEL = 'EventLog';
/** Events whose eventId was stored already with other content (see `EventLogRepository.insertBatch`). */
export const EVENT_LOG_CONFLICTS = 'event_log_conflicts';
/** Signed chain checkpoints, one per stored segment (domain `Checkpoint`); never expire. */
export const AUDIT_CHECKPOINTS = 'audit_checkpoints';

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
 * The `event_logs` document of seed 001 plus eventId, schemaVersion, causationId, expiresAt and the chain link.
 * No index is declared here: the versioned migrations own every index, so compiling the model creates
 * neither indexes nor the collection (autoIndex and autoCreate are off).
 */
export const EventLogSchema = new Schema<EventLog & Partial<ChainLink>>(
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
    expiresAt: { type: Date, required: true },
    // Tamper evidence (domain `ChainLink`); absent on records stored before migration 5.
    chain: String,
    seq: Number,
    prevHash: String,
    hash: String,
  },
  { collection: EVENT_LOGS, versionKey: false, autoIndex: false, autoCreate: false, minimize: false },
);
