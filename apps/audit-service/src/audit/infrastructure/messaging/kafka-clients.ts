import { Kafka, logLevel, Producer } from 'kafkajs';

/** One kafkajs client per process: the ingest consumer and one producer (dead letters, system events). */
export class KafkaClients {
  readonly producer: Producer;

  private constructor(readonly kafka: Kafka) {
    this.producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  }

  static async connect(brokers: string[], clientId: string): Promise<KafkaClients> {
    const clients = new KafkaClients(new Kafka({ clientId, brokers, logLevel: logLevel.WARN }));
    await clients.producer.connect();
    return clients;
  }

  close(): Promise<void> {
    return this.producer.disconnect();
  }
}
