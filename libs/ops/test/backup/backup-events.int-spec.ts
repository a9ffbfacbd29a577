import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { eventVerifyKeysSpec, loadConfig } from '@taskflow/config';
import { decodeEnvelope, Topics } from '@taskflow/contracts';
import { verifyEventSignature } from '@taskflow/messaging-kafka';
import { Kafka, logLevel } from 'kafkajs';
import { sendBackupEvent } from '../../src/backup/backup-events';
import { repoPath } from '../../src/testing/repo';

const exec = promisify(execFile);
jest.setTimeout(60_000);

const brokers = (process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');

describe('backup events to Kafka (real broker)', () => {
  const kafka = new Kafka({ clientId: 'ops-test', brokers, logLevel: logLevel.NOTHING });

  beforeAll(async () => {
    const admin = kafka.admin();
    await admin.connect();
    await admin.createTopics({ topics: [{ topic: Topics.system, numPartitions: 3 }], waitForLeaders: true });
    await admin.disconnect();
  });

  it('publishes system.backup.started/completed envelopes keyed by backupId to taskflow.system.events.v1', async () => {
    const backupId = `postgres-test-${Date.now()}`;
    const consumer = kafka.consumer({ groupId: `ops-test-${Date.now()}` });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.system, fromBeginning: false });
    const seen: { key: string; type: string; payload: Record<string, unknown>; signed: boolean }[] = [];
    const { verifyKeys } = loadConfig({ verifyKeys: eventVerifyKeysSpec('EVENT_VERIFY_KEYS') }, process.env);
    await consumer.run({
      eachMessage: async ({ message }) => {
        const parsed = decodeEnvelope(message.value);
        if (parsed.ok && parsed.envelope.entityId === backupId) {
          seen.push({
            key: String(message.key),
            type: parsed.envelope.type,
            payload: parsed.envelope.payload,
            signed: verifyEventSignature(Topics.system, message, verifyKeys).ok,
          });
        }
      },
    });
    await new Promise((r) => setTimeout(r, 3000)); // let the group join before producing

    expect(
      await sendBackupEvent({ kind: 'started', payload: { backupId, target: 'postgres' } }, brokers),
    ).toMatchObject({
      sent: true,
    });
    // Through the CLI the backup scripts use.
    const cli = await exec(
      'bash',
      [
        '-c',
        `source "${repoPath('scripts/backup/lib.sh')}"; emit_event completed --backup-id ${backupId} --target postgres --outcome succeeded --size-bytes 42 --sha256 abc`,
      ],
      { env: { ...process.env, KAFKA_BROKERS: brokers.join(',') } },
    );
    expect(cli.stderr).toContain('system.backup.completed sent');

    const deadline = Date.now() + 20_000;
    while (seen.length < 2 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 200));
    await consumer.disconnect();
    expect(seen).toEqual([
      { key: backupId, type: 'system.backup.started', payload: { backupId, target: 'postgres' }, signed: true },
      {
        key: backupId,
        type: 'system.backup.completed',
        payload: { backupId, target: 'postgres', outcome: 'succeeded', sizeBytes: 42, sha256: 'abc' },
        signed: true,
      },
    ]);
  });

  it('does not send an unsigned event when EVENT_SIGNING_KEY is missing, and the CLI still exits 0', async () => {
    const { EVENT_SIGNING_KEY: _key, ...withoutKey } = process.env;
    const cli = await exec(
      'bash',
      ['-c', `source "${repoPath('scripts/backup/lib.sh')}"; emit_event started --backup-id b-nokey --target redis`],
      { env: { ...withoutKey, KAFKA_BROKERS: brokers.join(',') } },
    );
    expect(cli.stderr).toMatch(/could not be sent to Kafka \([\s\S]*EVENT_SIGNING_KEY: is required/);
  });

  it('reports (does not throw) when Kafka is unreachable, and the CLI still exits 0', async () => {
    const started = Date.now();
    const result = await sendBackupEvent(
      { kind: 'started', payload: { backupId: 'b-unreachable', target: 'redis' } },
      ['127.0.0.1:1'],
      8_000,
    );
    expect(result.sent).toBe(false);
    expect(result.error).toBeTruthy();
    expect(Date.now() - started).toBeLessThan(15_000);

    const cli = await exec(
      'bash',
      [
        '-c',
        `source "${repoPath('scripts/backup/lib.sh')}"; emit_event started --backup-id b-unreachable --target redis`,
      ],
      { env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', BACKUP_EVENT_TIMEOUT_MS: '5000' } },
    );
    expect(cli.stderr).toContain('could not be sent to Kafka');
  });
});
