import { Topics } from '@taskflow/contracts';
import { TaskflowSystem, uniqueName, waitFor } from '@taskflow/testing';
import { Kafka, logLevel } from 'kafkajs';
import { runScenario, ScenarioResult, storesOf } from './scenario';

export interface TwoRelaysResult extends ScenarioResult {
  /** Outbox rows pending when Kafka came back (the backlog both relays then worked on). */
  backlog: number;
  /** task.created outbox rows of the scenario's user. */
  outboxRows: number;
  /** Distinct events of the scenario found on the Kafka topic. */
  publishedByKafka: number;
  /** event ids found on the topic more than once. */
  sentTwice: string[];
}

/** How often each of `eventIds` is on the task topic (read from the beginning by a throwaway group). */
async function countOnTopic(brokers: string, eventIds: string[]): Promise<Map<string, number>> {
  const wanted = new Set(eventIds);
  const counts = new Map<string, number>();
  const kafka = new Kafka({ clientId: 'faults-reader', brokers: [brokers], logLevel: logLevel.NOTHING });
  const consumer = kafka.consumer({ groupId: uniqueName('faults-reader') });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic: Topics.task, fromBeginning: true });
    await consumer.run({
      eachMessage: async ({ message }) => {
        const { eventId } = JSON.parse(message.value!.toString()) as { eventId: string };
        if (wanted.has(eventId)) counts.set(eventId, (counts.get(eventId) ?? 0) + 1);
      },
    });
    await waitFor(() => counts.size === wanted.size, { timeoutMs: 60_000, description: 'every event on the topic' });
    // Everything was published before we started reading: a second copy would sit in the log already.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
  } finally {
    await consumer.disconnect();
  }
  return counts;
}

/**
 * Two task-service processes on one database: Kafka is killed, the load builds an outbox backlog, a second
 * task-service (with its own relay) starts, then Kafka comes back and both relays work on the backlog.
 */
export async function runTwoRelays(system: TaskflowSystem, faultMs: number): Promise<TwoRelaysResult> {
  const { kafka } = system.backends;
  const stores = storesOf(system);
  const second = await system.extraTaskService();
  let backlog = 0;
  try {
    const result = await runScenario(system, 'two relays, one backlog', {
      inject: async () => {
        await kafka.kill('SIGKILL');
        await second.start();
      },
      durationMs: faultMs,
      remove: async () => {
        backlog = await stores.outboxPending();
        await kafka.start();
      },
    });
    const eventIds = await stores.outboxEventIds(result.userId);
    const counts = await countOnTopic(kafka.url, eventIds);
    return {
      ...result,
      backlog,
      outboxRows: eventIds.length,
      publishedByKafka: counts.size,
      sentTwice: [...counts].filter(([, n]) => n > 1).map(([id]) => id),
    };
  } finally {
    await second.stop();
  }
}
