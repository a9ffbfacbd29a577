import { Catch, Controller, RpcExceptionFilter, Type, UseFilters } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { KafkaMessage } from 'kafkajs';
import { throwError } from 'rxjs';
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
    constructor(private readonly ingest: EventIngest) {}

    @EventPattern(topics, KAFKA_BATCH_TRANSPORT)
    async onEvents(@Payload() chunk: KafkaMessage[], @Ctx() context: KafkaBatchContext): Promise<void> {
      await this.ingest.ingest(context.getTopic(), context.getPartition(), chunk);
    }
  }
  return IngestController;
}
