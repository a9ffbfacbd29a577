/**
 * Write benchmark: creates tasks through the service's TCP request/reply API at full speed (BENCH_CONCURRENCY
 * requests in flight for BENCH_SECONDS), with the outbox relay publishing to the real Kafka, and prints
 * writes/s, RPC latency and the outbox publish lag (row insert in the write transaction → Kafka ack, p50/p99).
 * Runs in a scratch database; a trigger there points the events at a bench topic of their own, so the shared
 * task topic gets no bench traffic. Service level, without the gateway; the whole-system report is `npm run bench`.
 * Usage: npx nx run task-service:bench-writes
 */
import 'reflect-metadata';
import { outboxLag, percentile } from '@taskflow/bench';
import { RpcContext, TaskRpc } from '@taskflow/contracts';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { OutboxRelay, wakeAfterOutboxCommit } from '@taskflow/outbox';
import { Kafka, logLevel } from 'kafkajs';
import { TASK_OUTBOX_TABLE } from '../src/migrations';
import { createScratchDatabase, insertUser, openDataSource, testConfig } from '../test/fixtures/database';
import { KAFKA_BROKERS, logger, startService } from '../test/fixtures/service';
import { testEventSigningKey } from '@taskflow/testing';

const SECONDS = Number(process.env.BENCH_SECONDS ?? 15);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 32);

async function main(): Promise<void> {
  const scratch = await createScratchDatabase('task_bench');
  const config = testConfig(scratch.url, { DB_POOL_MAX: '20' });
  const dataSource = await openDataSource(config);
  const topic = `taskflow.bench.task-events.${Date.now()}`;
  const admin = new Kafka({ clientId: 'task-bench', brokers: KAFKA_BROKERS, logLevel: logLevel.NOTHING }).admin();
  await admin.connect();
  await admin.createTopics({ waitForLeaders: true, topics: [{ topic, numPartitions: 3 }] });
  const publisher = new KafkaPublisher({
    brokers: KAFKA_BROKERS,
    clientId: 'task-bench',
    logger,
    signingKey: testEventSigningKey(),
  });
  const relay = new OutboxRelay({ dataSource, table: TASK_OUTBOX_TABLE, publisher, logger, pollIntervalMs: 50 });
  wakeAfterOutboxCommit(dataSource, () => relay.wake());
  const service = await startService(config, dataSource, KAFKA_BROKERS);
  try {
    await dataSource.runMigrations({ transaction: 'each' });
    await dataSource.query(`
      CREATE FUNCTION bench_topic() RETURNS trigger AS $$ BEGIN NEW.topic := '${topic}'; RETURN NEW; END $$ LANGUAGE plpgsql;
      CREATE TRIGGER bench_topic BEFORE INSERT ON ${TASK_OUTBOX_TABLE} FOR EACH ROW EXECUTE FUNCTION bench_topic();`);
    const actor: RpcContext = { actor: { id: await insertUser(dataSource), role: 'user' }, correlationId: 'bench' };
    await publisher.connect();
    relay.start();

    const latencies: number[] = [];
    const deadline = Date.now() + SECONDS * 1000;
    let n = 0;
    const started = performance.now();
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        while (Date.now() < deadline) {
          const t0 = performance.now();
          await service.send(TaskRpc.create.pattern, actor, { title: `bench ${n++}`, priority: 'high' });
          latencies.push(performance.now() - t0);
        }
      }),
    );
    const elapsed = (performance.now() - started) / 1000;

    const drainDeadline = Date.now() + 60_000;
    while ((await relay.stats()).pending > 0 && Date.now() < drainDeadline)
      await new Promise((r) => setTimeout(r, 100));
    const lag = await outboxLag((sql, params) => dataSource.query(sql, params), TASK_OUTBOX_TABLE);
    latencies.sort((a, b) => a - b);
    console.log(`concurrency ${CONCURRENCY}, ${SECONDS}s, pool ${config.db.poolMax}`);
    console.log(
      `writes: ${latencies.length} in ${elapsed.toFixed(1)} s = ${(latencies.length / elapsed).toFixed(0)} writes/s`,
    );
    console.log(
      `rpc latency ms: p50 ${percentile(latencies, 0.5).toFixed(1)}, p99 ${percentile(latencies, 0.99).toFixed(1)}`,
    );
    console.log(
      `outbox publish lag ms (insert → Kafka ack, ${lag.sent} events): p50 ${lag.p50Ms.toFixed(1)}, ` +
        `p99 ${lag.p99Ms.toFixed(1)}, max ${lag.maxMs.toFixed(1)}`,
    );
  } finally {
    await relay.stop();
    await service.close();
    await publisher.disconnect();
    await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
    await admin.disconnect();
    await dataSource.destroy();
    await scratch.drop();
  }
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
