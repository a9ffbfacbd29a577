import { Inject, Injectable } from '@nestjs/common';
import { decodeEnvelope, deadLetterTopic } from '@taskflow/contracts';
import { IHeaders, KafkaMessage } from 'kafkajs';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { toEventLog } from '../../application/to-event-log';
import { EventLog } from '../../domain/event-log';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { AuditMetrics } from '../audit.metrics';
import { EventLogRepository, InsertResult } from '../persistence/event-log.repository';
import { KafkaClients } from './kafka-clients';

interface DeadLetter {
  message: KafkaMessage;
  reason: string;
}

/**
 * One chunk of Kafka messages → event_logs: decode, one unordered bulk insert, dead-letter the rest.
 * Safe to call again with the same chunk after a failure (the transport retries it): the insert comes first,
 * so a failed insert has dead-lettered nothing yet, and repeated events are counted duplicates.
 */
@Injectable()
export class EventIngest {
  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    private readonly kafka: KafkaClients,
    private readonly events: EventLogRepository,
    private readonly metrics: AuditMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async ingest(topic: string, partition: number, chunk: KafkaMessage[]): Promise<void> {
    this.metrics.consumed.inc({ topic }, chunk.length);
    const docs: EventLog[] = [];
    const sources: KafkaMessage[] = [];
    const dead: DeadLetter[] = [];
    const now = new Date();
    for (const message of chunk) {
      const decoded = decodeEnvelope(message.value);
      if (decoded.ok) {
        docs.push(toEventLog(decoded.envelope, this.config.retention, now));
        sources.push(message);
      } else dead.push({ message, reason: decoded.reason });
    }
    if (docs.length > 0) {
      const result = await this.insert(docs);
      this.metrics.ingested.inc(result.inserted);
      this.metrics.duplicates.inc(result.duplicates);
      if (result.conflicts > 0) {
        this.metrics.conflicts.inc(result.conflicts);
        this.logger.error(
          { topic, partition, count: result.conflicts },
          'eventId reused with other content: kept in event_log_conflicts',
        );
      }
      dead.push(...result.rejected.map(({ index, reason }) => ({ message: sources[index], reason })));
    }
    await this.deadLetter(topic, partition, dead);
  }

  private async insert(docs: EventLog[]): Promise<InsertResult> {
    try {
      return await this.events.insertBatch(docs);
    } catch (error) {
      this.metrics.writeRetries.inc(); // the transport holds the partition and retries this chunk
      throw error;
    }
  }

  /** Poison messages keep their original bytes and say why and where from; the partition moves on. */
  private async deadLetter(topic: string, partition: number, dead: DeadLetter[]): Promise<void> {
    if (dead.length === 0) return;
    await this.kafka.producer.send({
      topic: deadLetterTopic(topic),
      acks: -1,
      messages: dead.map(({ message, reason }) => ({
        key: message.key,
        value: message.value,
        headers: {
          ...(message.headers as IHeaders),
          'x-dlq-reason': reason.slice(0, 1000),
          'x-dlq-original-topic': topic,
          'x-dlq-original-partition': String(partition),
          'x-dlq-original-offset': message.offset,
          'x-dlq-consumer-group': this.config.kafka.groupId,
        },
      })),
    });
    this.metrics.deadLettered.inc({ topic }, dead.length);
    this.logger.warn({ topic, partition, count: dead.length, reason: dead[0].reason }, 'dead-lettered messages');
  }
}
