import { spawnSync } from 'node:child_process';
import { freePort } from '../free-port';
import { OwnedRecord } from '../types';

/**
 * Testcontainers providers (used when a Docker engine answers). With `detached` (the `infra up` CLI, which
 * exits while the containers must keep running) the Ryuk reaper is disabled and the container id recorded,
 * so `infra down` removes exactly these containers.
 */
export async function startContainer(
  name: OwnedRecord['name'],
  detached: boolean,
): Promise<{ url: string; containerId: string }> {
  if (detached) process.env.TESTCONTAINERS_RYUK_DISABLED = 'true';
  switch (name) {
    case 'postgres': {
      const { PostgreSqlContainer } = await import('@testcontainers/postgresql');
      const c = await new PostgreSqlContainer('postgres:16')
        .withDatabase(process.env.POSTGRES_DB || 'taskflow')
        .withUsername('postgres')
        .withPassword('postgres')
        .start();
      return { url: c.getConnectionUri(), containerId: c.getId() };
    }
    case 'redis': {
      const { RedisContainer } = await import('@testcontainers/redis');
      const c = await new RedisContainer('redis:7').start();
      return { url: c.getConnectionUrl(), containerId: c.getId() };
    }
    case 'mongo': {
      const { MongoDBContainer } = await import('@testcontainers/mongodb');
      const c = await new MongoDBContainer('mongo:7').start();
      const base = c.getConnectionString();
      return { url: `${base}${base.includes('?') ? '&' : '?'}directConnection=true`, containerId: c.getId() };
    }
    case 'kafka': {
      // apache/kafka (not Confluent): the advertised listener must carry the host port, so pick it first.
      const { GenericContainer, Wait } = await import('testcontainers');
      const port = await freePort();
      const c = await new GenericContainer(process.env.KAFKA_IMAGE || 'apache/kafka:3.9.1')
        .withEnvironment({
          KAFKA_NODE_ID: '1',
          KAFKA_PROCESS_ROLES: 'broker,controller',
          KAFKA_LISTENERS: `PLAINTEXT://0.0.0.0:${port},CONTROLLER://0.0.0.0:9093`,
          KAFKA_ADVERTISED_LISTENERS: `PLAINTEXT://127.0.0.1:${port}`,
          KAFKA_CONTROLLER_LISTENER_NAMES: 'CONTROLLER',
          KAFKA_LISTENER_SECURITY_PROTOCOL_MAP: 'PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT',
          KAFKA_CONTROLLER_QUORUM_VOTERS: '1@localhost:9093',
          KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_REPLICATION_FACTOR: '1',
          KAFKA_TRANSACTION_STATE_LOG_MIN_ISR: '1',
          KAFKA_GROUP_INITIAL_REBALANCE_DELAY_MS: '0',
          KAFKA_AUTO_CREATE_TOPICS_ENABLE: 'false',
        })
        .withExposedPorts({ container: port, host: port })
        .withWaitStrategy(Wait.forLogMessage(/Kafka Server started/))
        .withStartupTimeout(180_000)
        .start();
      return { url: `127.0.0.1:${port}`, containerId: c.getId() };
    }
  }
}

export function removeContainer(containerId: string): void {
  spawnSync('docker', ['rm', '-f', '-v', containerId], { stdio: 'ignore', timeout: 60_000 });
}
