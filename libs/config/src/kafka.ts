import { env } from './env';

/**
 * Client-side deadlines of every kafkajs client (producers, the audit consumer, admin calls such as the health
 * probe's `describeCluster`): a broker that accepts TCP and never answers fails a request after
 * `KAFKA_REQUEST_TIMEOUT_MS` instead of kafkajs' 30 s default. Values in ms.
 */
export function kafkaDeadlinesSpec() {
  return {
    connectionTimeoutMs: env.int('KAFKA_CONNECTION_TIMEOUT_MS', 3000, { min: 100 }),
    requestTimeoutMs: env.int('KAFKA_REQUEST_TIMEOUT_MS', 10_000, { min: 100 }),
  };
}
