import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, createLogger } from '@taskflow/nest-kit';
import { OutboxRelay } from '@taskflow/outbox';
import { DataSource } from 'typeorm';
import { ServiceResources } from './service-resources';

/** Resources whose parts record, in one list, what was done to them and when. */
function recordingResources(flush: () => Promise<number> = async () => 2) {
  const steps: string[] = [];
  const step =
    <T>(name: string, result?: () => Promise<T>) =>
    async () => {
      steps.push(name);
      return result?.();
    };
  const relay = { stop: step('relay.stop'), flush: () => (steps.push('relay.flush'), flush()), wake: () => undefined };
  const publisher = { disconnect: step('publisher.disconnect') };
  const dataSource = { destroy: step('dataSource.destroy') };
  const resources = new ServiceResources(
    'test-service',
    dataSource as unknown as DataSource,
    new AppMetrics('test-service'),
    publisher as unknown as KafkaPublisher,
    relay as unknown as OutboxRelay,
    createLogger('service-chassis-test', 'silent'),
  );
  return { resources, steps, step };
}

describe('ServiceResources.close (the shutdown order of a PostgreSQL service)', () => {
  it('should stop and flush the relay before the producer disconnects, and destroy the pool last', async () => {
    const { resources, steps, step } = recordingResources();
    resources.closeWith(step('redis.disconnect'));

    await resources.close();

    // The flush publishes through the producer and reads the outbox through the pool; the service's own
    // clients may still use the pool too.
    expect(steps).toEqual([
      'relay.stop',
      'relay.flush',
      'publisher.disconnect',
      'redis.disconnect',
      'dataSource.destroy',
    ]);
  });

  it('should still close the producer and the pool when the flush fails (the rows wait for the next relay)', async () => {
    const { resources, steps } = recordingResources(() => Promise.reject(new Error('broker down')));

    await resources.close();

    expect(steps).toEqual(['relay.stop', 'relay.flush', 'publisher.disconnect', 'dataSource.destroy']);
  });
});
