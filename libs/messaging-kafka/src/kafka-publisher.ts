import type { EventSigningKey } from '@taskflow/config';
import type { EventEnvelope } from '@taskflow/contracts';
import { Admin, Kafka, KafkaConfig, logLevel, LogEntry, Partitioners, Producer } from 'kafkajs';
import type { Logger } from 'pino';
import { signEnvelope } from './event-signature';

export interface KafkaPublisherOptions {
  brokers: string[];
  clientId: string;
  logger: Logger;
  /** This producer's event-signing key (EVENT_SIGNING_KEY): every envelope is signed with it as it is sent. */
  signingKey: EventSigningKey;
  /** Socket connect timeout per broker, ms (default 3000). */
  connectionTimeoutMs?: number;
  /** How long one produce request may wait for acks, ms (default 10000). */
  requestTimeoutMs?: number;
  /** Retries of one send inside kafkajs before the caller sees the error (default 2, at least 1). */
  retries?: number;
  /** TLS and SASL (see kafkaSecurityOptions in @taskflow/config). */
  ssl?: KafkaConfig['ssl'];
  sasl?: KafkaConfig['sasl'];
}

/** One message of a batch: the envelope travels as JSON, keyed by its entity id. */
export interface OutgoingEnvelope {
  topic: string;
  key: string;
  envelope: EventEnvelope<object>;
}

/**
 * Typed Kafka producer for event envelopes: idempotent, `acks: -1`, key = entity id, value = the envelope's
 * RFC 8785 canonical JSON, headers `event-type`, `event-id`, `correlation-id` and the Ed25519 signature
 * (`x-signature-key-id`, `x-signature`; see signEnvelope). Signing happens here, at publish time, so outbox rows
 * stay plain JSONB and only the relay process holds the key. Connects lazily, so a broker that is down at start
 * only fails the sends (the outbox relay retries them), never the caller's start-up.
 */
export class KafkaPublisher {
  private readonly kafka: Kafka;
  private readonly producer: Producer;
  private admin?: Admin;
  private connected = false;
  private connecting?: Promise<void>;

  constructor(private readonly options: KafkaPublisherOptions) {
    // kafkajs retries an idempotent producer forever by default; the outbox relay owns retrying instead,
    // so a connect or send fails within seconds and the relay backs off. Duplicates this may cause are
    // deduped by consumers on eventId.
    const retry = { retries: Math.max(1, options.retries ?? 2), initialRetryTime: 200, maxRetryTime: 2000 };
    this.kafka = new Kafka({
      clientId: options.clientId,
      retry,
      brokers: options.brokers,
      ...(options.ssl ? { ssl: options.ssl } : {}),
      ...(options.sasl ? { sasl: options.sasl } : {}),
      connectionTimeout: options.connectionTimeoutMs ?? 3000,
      requestTimeout: options.requestTimeoutMs ?? 10_000,
      logLevel: logLevel.WARN,
      logCreator: () => (entry) => logKafka(options.logger, entry),
    });
    this.producer = this.kafka.producer({
      idempotent: true,
      // One in-flight request keeps per-key order across kafkajs' internal retries.
      maxInFlightRequests: 1,
      retry,
      createPartitioner: Partitioners.DefaultPartitioner,
    });
    this.producer.on(this.producer.events.DISCONNECT, () => {
      this.connected = false;
    });
  }

  get brokers(): string[] {
    return this.options.brokers;
  }

  isConnected(): boolean {
    return this.connected;
  }

  async connect(): Promise<void> {
    if (this.connected) return;
    this.connecting ??= this.producer
      .connect()
      .then(() => {
        this.connected = true;
      })
      .finally(() => {
        this.connecting = undefined;
      });
    return this.connecting;
  }

  async disconnect(): Promise<void> {
    await Promise.allSettled([this.producer.disconnect(), this.admin?.disconnect()]);
    this.connected = false;
  }

  /** Sends the batch and resolves once every message is acknowledged by all in-sync replicas. */
  async publishEnvelopes(batch: OutgoingEnvelope[]): Promise<void> {
    if (batch.length === 0) return;
    await this.connect();
    const byTopic = new Map<string, OutgoingEnvelope[]>();
    for (const item of batch) byTopic.set(item.topic, [...(byTopic.get(item.topic) ?? []), item]);
    await this.producer.sendBatch({
      acks: -1,
      topicMessages: [...byTopic].map(([topic, items]) => ({
        topic,
        messages: items.map(({ key, envelope }) => {
          const signed = signEnvelope(envelope, this.options.signingKey);
          return {
            key,
            value: signed.value,
            headers: {
              ...signed.headers,
              'event-type': envelope.type,
              'event-id': envelope.eventId,
              ...(envelope.correlationId ? { 'correlation-id': envelope.correlationId } : {}),
            },
          };
        }),
      })),
    });
  }

  /** Health probe: asks the cluster for its brokers (rejects when none answers). */
  async ping(): Promise<void> {
    this.admin ??= this.kafka.admin({ retry: { retries: 0 } });
    await this.admin.connect();
    await this.admin.describeCluster();
  }
}

function logKafka(logger: Logger, entry: LogEntry): void {
  const { message, ...rest } = entry.log;
  const fields = { kafka: { namespace: entry.namespace, ...rest } };
  if (entry.level === logLevel.ERROR) logger.warn(fields, `kafka: ${message}`);
  else if (entry.level === logLevel.WARN) logger.warn(fields, `kafka: ${message}`);
  else logger.debug(fields, `kafka: ${message}`);
}
