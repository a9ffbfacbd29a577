/**
 * Emits `system.backup.started` / `system.backup.completed` to taskflow.system.events.v1.
 * Each is signed with the backup producer's key (EVENT_SIGNING_KEY, EVENT_SIGNING_KEY_ID; audit-service allows it
 * on the system topic only). A backup never fails because of this: when Kafka is unreachable or the key is missing
 * the event is reported as not sent (exit code stays 0) and the backup carries on.
 *
 *   node dist/libs/ops/src/backup/backup-events.js started   --backup-id ID --target postgres
 *   node dist/libs/ops/src/backup/backup-events.js completed --backup-id ID --target postgres \
 *        --outcome succeeded --size-bytes 1234 --sha256 abc…   (or --outcome failed --error "…")
 */
import 'reflect-metadata';
import {
  EventSigningKey,
  kafkaSecurityOptions,
  kafkaSecuritySpec,
  loadConfig,
  loadEventSigningKey,
} from '@taskflow/config';
import { createEnvelope, Events, SystemBackupCompletedV1, SystemBackupStartedV1, Topics } from '@taskflow/contracts';
import { signEnvelope } from '@taskflow/messaging-kafka';
import { Kafka, logLevel } from 'kafkajs';

export type BackupEvent =
  { kind: 'started'; payload: SystemBackupStartedV1 } | { kind: 'completed'; payload: SystemBackupCompletedV1 };

export interface SendResult {
  sent: boolean;
  eventId?: string;
  error?: string;
}

export function buildBackupEnvelope(event: BackupEvent) {
  const common = { actorId: 'system', entityId: event.payload.backupId };
  return event.kind === 'started'
    ? createEnvelope(Events.SystemBackupStarted, { ...common, payload: event.payload })
    : createEnvelope(Events.SystemBackupCompleted, { ...common, payload: event.payload });
}

/** kafkajs `ssl`/`sasl` from KAFKA_SSL* and KAFKA_SASL_* (libs/config), as the apps read them; throws ConfigError. */
export function backupKafkaSecurity(source: NodeJS.ProcessEnv = process.env): ReturnType<typeof kafkaSecurityOptions> {
  const { tls, sasl } = loadConfig(kafkaSecuritySpec(), source);
  return kafkaSecurityOptions(tls, sasl);
}

/**
 * Sends one backup event signed with `signingKey`; resolves (never rejects) with whether it was sent, within
 * `timeoutMs`. `signingKey` defaults to EVENT_SIGNING_KEY of the environment (not sent when it is missing).
 * `security`: TLS and SASL client options (see {@link backupKafkaSecurity}); none by default.
 */
export async function sendBackupEvent(
  event: BackupEvent,
  brokers: string[],
  timeoutMs = 10_000,
  security: ReturnType<typeof kafkaSecurityOptions> = {},
  signingKey?: EventSigningKey,
): Promise<SendResult> {
  let envelope;
  let message;
  try {
    envelope = buildBackupEnvelope(event);
    message = signEnvelope(envelope, signingKey ?? loadEventSigningKey(process.env));
  } catch (error) {
    return { sent: false, eventId: envelope?.eventId, error: (error as Error).message };
  }
  if (brokers.length === 0) return { sent: false, eventId: envelope.eventId, error: 'KAFKA_BROKERS is not set' };

  const kafka = new Kafka({
    clientId: 'taskflow-backup',
    brokers,
    logLevel: logLevel.NOTHING,
    connectionTimeout: 3_000,
    requestTimeout: 5_000,
    retry: { retries: 1, initialRetryTime: 300 },
    ...security,
  });
  const producer = kafka.producer({ allowAutoTopicCreation: false, idempotent: true, maxInFlightRequests: 1 });
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    await Promise.race([
      (async () => {
        await producer.connect();
        await producer.send({
          topic: Topics.system,
          acks: -1,
          messages: [{ key: envelope.entityId, ...message }],
        });
      })(),
      timeout,
    ]);
    return { sent: true, eventId: envelope.eventId };
  } catch (error) {
    return { sent: false, eventId: envelope.eventId, error: (error as Error).message };
  } finally {
    clearTimeout(timer);
    await producer.disconnect().catch(() => undefined);
  }
}

function parseArgs(argv: string[]): Record<string, string> {
  const args: Record<string, string> = {};
  for (let i = 0; i < argv.length; i += 1) {
    const key = argv[i];
    if (key.startsWith('--')) {
      args[key.slice(2)] = argv[i + 1] ?? '';
      i += 1;
    }
  }
  return args;
}

export function eventFromArgs(kind: string, args: Record<string, string>): BackupEvent {
  const backupId = args['backup-id'];
  const target = args.target;
  if (!backupId || !target) throw new Error('--backup-id and --target are required');
  if (kind === 'started') return { kind, payload: { backupId, target } };
  if (kind !== 'completed') throw new Error(`unknown event kind ${JSON.stringify(kind)} (started|completed)`);
  const outcome = args.outcome === 'succeeded' ? 'succeeded' : 'failed';
  const payload: SystemBackupCompletedV1 = { backupId, target, outcome };
  if (args['size-bytes']) payload.sizeBytes = Number(args['size-bytes']);
  if (args.sha256) payload.sha256 = args.sha256;
  if (args.error) payload.error = args.error.slice(0, 2000);
  return { kind, payload };
}

async function main(): Promise<void> {
  const [kind, ...rest] = process.argv.slice(2);
  const event = eventFromArgs(kind, parseArgs(rest));
  const brokers = (process.env.KAFKA_BROKERS ?? '')
    .split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  const type = (event.kind === 'started' ? Events.SystemBackupStarted : Events.SystemBackupCompleted).type;
  const result = await sendBackupEvent(
    event,
    brokers,
    Number(process.env.BACKUP_EVENT_TIMEOUT_MS ?? 10_000),
    backupKafkaSecurity(),
  );
  if (result.sent) {
    console.log(`backup event ${type} sent to ${Topics.system} (eventId ${result.eventId})`);
  } else {
    console.log(`WARNING: backup event ${type} could not be sent to Kafka (${result.error}); the backup continues`);
  }
}

if (require.main === module) {
  main().catch((error: Error) => {
    // Bad arguments are a bug in the calling script, but still must not fail a backup.
    console.log(`WARNING: backup event not sent: ${error.message}`);
  });
}
