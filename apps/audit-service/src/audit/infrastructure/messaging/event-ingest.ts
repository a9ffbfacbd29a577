import { Inject, Injectable } from '@nestjs/common';
import { belongsOnTopic, decodeEnvelope, deadLetterTopic, entityTypeOf } from '@taskflow/contracts';
import { verifyEventSignature } from '@taskflow/messaging-kafka';
import { KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { toEventLog } from '../../application/to-event-log';
import { EventLog } from '../../domain/event-log';
import { applyHolds } from '../../domain/legal-hold';
import { chainOf } from '../../domain/record-chain';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { AuditMetrics } from '../audit.metrics';
import { EventLogRepository, InsertResult, isStorageFailure } from '../persistence/event-log.repository';
import { LegalHoldRepository } from '../persistence/legal-hold.repository';
import { MongoConnector } from '../persistence/mongo-connector';
import { DeadLetter, toDeadLetterRecord } from './dead-letter';
import { KafkaClients } from './kafka-clients';

/** What one `ingest` call did with its chunk, message by message. */
export interface IngestResult {
  stored: number;
  /** Already stored with the same content (the unique eventId index absorbed them). */
  duplicates: number;
  /** eventId already stored with other content (both kept in event_log_conflicts). */
  conflicts: number;
  deadLettered: number;
}

type Admission = { ok: true; doc: EventLog } | ({ ok: false } & Omit<DeadLetter, 'message'>);

/** What one bulk insert did; `rejected` indexes the inserted documents. */
interface Stored extends Omit<InsertResult, 'rejected'> {
  rejected: ({ index: number } & Omit<DeadLetter, 'message'>)[];
}

/**
 * One chunk of Kafka messages → event_logs: verify the producer's signature, decode, check the topic, one ordered
 * bulk insert linked into the hash chains of (topic, partition, type) and sealed by a checkpoint, dead-letter the
 * rest. Nothing unsigned, forged or misplaced is ever stored.
 *
 * Only storage failures (MongoDB unreachable, no primary) and a failing dead-letter send reject: the
 * transport then retries the same chunk. Anything wrong with one message (undecodable, invalid, refused
 * by MongoDB) dead-letters that message and the chunk goes on, so one message can never hold a partition.
 * Safe to call again with the same chunk: the insert comes first, so a failed insert has dead-lettered
 * nothing yet, and repeated events are counted duplicates.
 */
@Injectable()
export class EventIngest {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly kafka: KafkaClients,
    private readonly events: EventLogRepository,
    private readonly holds: LegalHoldRepository,
    private readonly store: MongoConnector,
    private readonly metrics: AuditMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ingest(topic: string, partition: number, chunk: KafkaMessage[]): Promise<IngestResult> {
    const docs: EventLog[] = [];
    const sources: KafkaMessage[] = [];
    const dead: DeadLetter[] = [];
    const now = new Date();
    for (const message of chunk) {
      const admission = this.admit(topic, message, now);
      if (admission.ok) {
        docs.push(admission.doc);
        sources.push(message);
      } else dead.push({ message, code: admission.code, reason: admission.reason });
    }
    const counts = { stored: 0, duplicates: 0, conflicts: 0 };
    if (docs.length > 0) {
      const result = await this.insert(docs, (doc) => chainOf(topic, partition, doc.type));
      Object.assign(counts, { stored: result.inserted, duplicates: result.duplicates, conflicts: result.conflicts });
      this.metrics.ingested.inc(result.inserted);
      this.metrics.duplicates.inc(result.duplicates);
      if (result.conflicts > 0) {
        this.metrics.conflicts.inc(result.conflicts);
        this.logger.error(
          { topic, partition, count: result.conflicts },
          'eventId reused with other content: kept in event_log_conflicts',
        );
      }
      dead.push(...result.rejected.map(({ index, code, reason }) => ({ message: sources[index], code, reason })));
    }
    await this.deadLetter(topic, partition, dead);
    // Counted once handled, not per attempt: a retried chunk must not look like a consuming partition.
    this.metrics.consumed.inc({ topic }, chunk.length);
    return { ...counts, deadLettered: dead.length };
  }

  /**
   * Never throws: whatever goes wrong with this one message is its dead-letter reason. The signature is checked
   * on the raw bytes first (a cached KeyObject, one Ed25519 verify), so an unauthenticated value is never decoded.
   */
  private admit(topic: string, message: KafkaMessage, now: Date): Admission {
    try {
      const signature = verifyEventSignature(topic, message, this.config.events.verifyKeys);
      if (!signature.ok) return signature;
      const decoded = decodeEnvelope(message.value);
      if (!decoded.ok) return { ok: false, code: 'invalid-envelope', reason: decoded.reason };
      const { type, entityType } = decoded.envelope;
      if (entityTypeOf(type) !== entityType || !belongsOnTopic(entityType, topic)) {
        return { ok: false, code: 'wrong-topic', reason: `a ${type} event (entityType ${entityType}) on ${topic}` };
      }
      return { ok: true, doc: toEventLog(decoded.envelope, this.config.retention, now) };
    } catch (error) {
      return { ok: false, code: 'undecodable', reason: `cannot decode: ${String(error)}` };
    }
  }

  private async insert(received: EventLog[], chainOfDoc: (doc: EventLog) => string): Promise<Stored> {
    this.store.assertReady(); // not before the unique eventId index is known to exist: the chunk is retried
    const docs = await this.withActiveHolds(received);
    try {
      return withCode(await this.events.insertBatch(docs, chainOfDoc));
    } catch (error) {
      if (!isStorageFailure(error)) return this.insertOneByOne(docs, chainOfDoc);
      this.metrics.writeRetries.inc(); // the transport holds the partition and retries this chunk
      throw error;
    }
  }

  /**
   * One query per chunk, right before the insert: records an active legal hold covers are stored held. Failing to
   * read the holds is a storage failure like a failed insert (the chunk is retried; nothing is stored unheld).
   */
  private async withActiveHolds(docs: EventLog[]): Promise<EventLog[]> {
    try {
      const holds = await this.holds.active();
      return holds.length === 0 ? docs : docs.map((doc) => applyHolds(doc, holds));
    } catch (error) {
      this.metrics.writeRetries.inc();
      throw error;
    }
  }

  /**
   * The bulk insert failed before reaching MongoDB (the driver could not serialise a document): find the
   * culprits one by one and dead-letter them, so the others are stored and the partition moves on.
   */
  private async insertOneByOne(docs: EventLog[], chainOfDoc: (doc: EventLog) => string): Promise<Stored> {
    const total: Stored = { inserted: 0, duplicates: 0, conflicts: 0, rejected: [] };
    for (const [index, doc] of docs.entries()) {
      let result: InsertResult;
      try {
        result = await this.events.insertBatch([doc], chainOfDoc);
      } catch (error) {
        if (isStorageFailure(error)) {
          this.metrics.writeRetries.inc();
          throw error;
        }
        total.rejected.push({ index, code: 'unstorable', reason: `cannot store: ${String(error)}` });
        continue;
      }
      total.inserted += result.inserted;
      total.duplicates += result.duplicates;
      total.conflicts += result.conflicts;
      total.rejected.push(...withCode(result).rejected.map((rejected) => ({ ...rejected, index })));
    }
    return total;
  }

  /** Poison messages keep their original bytes and say why and where from; the partition moves on. */
  private async deadLetter(topic: string, partition: number, dead: DeadLetter[]): Promise<void> {
    if (dead.length === 0) return;
    const { groupId } = this.config.kafka;
    await this.kafka.producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: dead.map((letter) => toDeadLetterRecord(topic, partition, groupId, letter)),
    });
    const byCode: Record<string, number> = {};
    for (const { code } of dead) {
      this.metrics.deadLettered.inc({ topic, code });
      byCode[code] = (byCode[code] ?? 0) + 1;
    }
    // Every code with its count (a bad-signature attempt must not hide behind an unsigned one), one sample reason.
    this.logger.warn(
      { topic, partition, count: dead.length, byCode, reason: dead[0].reason.slice(0, 300) },
      'dead-lettered messages',
    );
  }
}

function withCode(result: InsertResult): Stored {
  return { ...result, rejected: result.rejected.map((r) => ({ ...r, code: 'rejected-by-store' as const })) };
}
