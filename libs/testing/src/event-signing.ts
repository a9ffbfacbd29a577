import { EventSigningKey, loadEventSigningKey } from '@taskflow/config';
import type { EventEnvelope } from '@taskflow/contracts';
import { EVENT_PRODUCERS, generateEventKeysEnv, TEST_EVENT_PRODUCER } from '@taskflow/infra';
import { signEnvelope, signEventValue } from '@taskflow/messaging-kafka';

let testKey: EventSigningKey | undefined;

/**
 * The event variables of this run (EVENT_SIGNING_KEY, EVENT_SIGNING_KEY_ID: the test producer's key, allowed on
 * every topic; EVENT_VERIFY_KEYS), for apps started in-process. The Jest global setup sets them once per run; a
 * bench script outside Jest gets them generated here the same way, into process.env.
 */
export function eventKeyEnv(): { EVENT_SIGNING_KEY: string; EVENT_SIGNING_KEY_ID: string; EVENT_VERIFY_KEYS: string } {
  if (!process.env.EVENT_SIGNING_KEY || !process.env.EVENT_VERIFY_KEYS) {
    const { producers, EVENT_VERIFY_KEYS } = generateEventKeysEnv({ ...EVENT_PRODUCERS, ...TEST_EVENT_PRODUCER });
    Object.assign(process.env, producers['test-producer'], { EVENT_VERIFY_KEYS });
  }
  const { EVENT_SIGNING_KEY, EVENT_SIGNING_KEY_ID, EVENT_VERIFY_KEYS } = process.env as Record<string, string>;
  return { EVENT_SIGNING_KEY, EVENT_SIGNING_KEY_ID, EVENT_VERIFY_KEYS };
}

/** The test producer's signing key (see eventKeyEnv): what test publishers, bench scripts and in-process apps use. */
export function testEventSigningKey(): EventSigningKey {
  testKey ??= loadEventSigningKey(eventKeyEnv());
  return testKey;
}

/**
 * A kafkajs message as a genuine producer sends it: key = entityId, the canonical value and signature headers.
 * A string or Buffer is signed byte for byte (a genuine producer's malformed message, e.g. a poison message).
 */
export function signedMessage(
  event: EventEnvelope<object> | string | Buffer,
  key: EventSigningKey = testEventSigningKey(),
): { key?: string; value: Buffer; headers: Record<string, string> } {
  if (typeof event === 'string' || Buffer.isBuffer(event)) {
    return signEventValue(Buffer.isBuffer(event) ? event : Buffer.from(event), key);
  }
  return { key: event.entityId, ...signEnvelope(event, key) };
}
