import { Catch, Controller, RpcExceptionFilter, Type, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { throwError } from 'rxjs';
import { AuditMetrics } from '../../infrastructure/audit.metrics';
import { EventIngest } from '../../infrastructure/messaging/event-ingest';
import { KAFKA_BATCH_TRANSPORT, KafkaBatchContext } from '../../infrastructure/messaging/kafka-batch.server';

/** Hands the original error back to the transport, which retries the chunk (Nest's default filter would mask it). */
@Catch()
class RethrowToTransport implements RpcExceptionFilter<unknown> {
  catch(exception: unknown) {
    return throwError(() => exception);
  }
}

/**
 * The ingest entry point: one `@EventPattern` handler for every subscribed topic (the topics come from
 * config, so the controller is built per app). Each call gets one chunk of one partition; when it resolves,
 * the transport commits the chunk's offsets.
 */
export function createIngestController(topics: string[]): Type<unknown> {
  @Controller()
  @UseFilters(RethrowToTransport)
  class IngestController {
    constructor(
      private readonly ingest: EventIngest,
      private readonly metrics: AuditMetrics,
    ) {}

    @EventPattern(topics, KAFKA_BATCH_TRANSPORT)
    async onEvents(@Payload() chunk: KafkaMessage[], @Ctx() context: KafkaBatchContext): Promise<void> {
      const topic = context.getTopic();
      const partition = context.getPartition();
      await this.ingest.ingest(topic, partition, chunk);
      const last = Number(chunk[chunk.length - 1].offset);
      this.metrics.lag.set({ topic, partition: String(partition) }, Number(context.getHighWatermark()) - last - 1);
    }
  }
  return IngestController;
}
