import type { EventSigningKey, EventVerifyKeys } from '@taskflow/config';
import { canonicalTopic, type EventEnvelope } from '@taskflow/contracts';
import canonicalize from 'canonicalize';
import { sign, verify } from 'node:crypto';

/** Kafka header naming the key that signed the message (a `kid` of EVENT_VERIFY_KEYS). */
export const SIGNATURE_KEY_ID_HEADER = 'x-signature-key-id';
/** Kafka header carrying the Ed25519 signature (64 bytes, base64url without padding) of the message value. */
export const SIGNATURE_HEADER = 'x-signature';

/** A message value and its signature headers, ready for kafkajs `send`. */
export interface SignedEventMessage {
  value: Buffer;
  headers: { [SIGNATURE_KEY_ID_HEADER]: string; [SIGNATURE_HEADER]: string };
}

/**
 * Serialises `envelope` as its RFC 8785 (JCS) canonical JSON and signs those bytes with Ed25519 (RFC 8032).
 * The value sent is the canonical form itself, so a consumer verifies the bytes it received without
 * re-serialising, and anyone holding the envelope (the audit store) can rebuild exactly the signed bytes.
 * Throws when the envelope cannot be canonicalised (not JSON-serialisable).
 */
export function signEnvelope(envelope: EventEnvelope<object>, key: EventSigningKey): SignedEventMessage {
  const canonical = canonicalize(envelope);
  if (canonical === undefined) throw new Error('envelope is not JSON-serialisable');
  return signEventValue(Buffer.from(canonical, 'utf8'), key);
}

/**
 * Signs a message value as it will be sent, byte for byte (Ed25519 over `value`). Producers use signEnvelope;
 * this is for values that are not an envelope's canonical form (tests of what a buggy producer could send).
 */
export function signEventValue(value: Buffer, key: EventSigningKey): SignedEventMessage {
  return {
    value,
    headers: {
      [SIGNATURE_KEY_ID_HEADER]: key.keyId,
      [SIGNATURE_HEADER]: sign(null, value, key.privateKey).toString('base64url'),
    },
  };
}

/** Why a message's signature is not accepted: the dead-letter code and a reason naming the key. */
export type SignatureFailureCode = 'unsigned' | 'unknown-key' | 'bad-signature' | 'key-not-allowed';
export type SignatureCheck = { ok: true; keyId: string } | { ok: false; code: SignatureFailureCode; reason: string };

type HeaderValue = Buffer | string | (Buffer | string)[] | undefined;

function header(headers: Record<string, HeaderValue> | undefined, name: string): string | undefined {
  const value = headers?.[name];
  if (value === undefined) return undefined;
  if (Array.isArray(value)) return value.length === 1 ? value[0].toString() : undefined;
  return value.toString();
}

const BASE64URL = /^[A-Za-z0-9_-]{86}$/; // 64 bytes, unpadded

/**
 * Checks that `value` as received on `topic` was signed by a key of `keys` allowed on that topic: the
 * `x-signature-key-id` and `x-signature` headers (one each), an Ed25519 signature over exactly these bytes,
 * and the key's `topics` naming the canonical topic `topic` stands for. Never throws; never parses the value.
 */
export function verifyEventSignature(
  topic: string,
  message: { value: Buffer | null; headers?: Record<string, HeaderValue> },
  keys: EventVerifyKeys,
): SignatureCheck {
  const keyId = header(message.headers, SIGNATURE_KEY_ID_HEADER);
  const signature = header(message.headers, SIGNATURE_HEADER);
  if (!keyId || !signature) {
    return { ok: false, code: 'unsigned', reason: `no ${SIGNATURE_KEY_ID_HEADER} and ${SIGNATURE_HEADER} headers` };
  }
  const key = keys.get(keyId);
  if (!key) return { ok: false, code: 'unknown-key', reason: `signed by unknown key ${JSON.stringify(keyId)}` };
  if (!message.value || !BASE64URL.test(signature)) {
    return { ok: false, code: 'bad-signature', reason: `malformed signature or empty value (key ${keyId})` };
  }
  if (!verify(null, message.value, key.publicKey, Buffer.from(signature, 'base64url'))) {
    return { ok: false, code: 'bad-signature', reason: `signature does not match the value (key ${keyId})` };
  }
  const canonical = canonicalTopic(topic);
  if (!canonical || !key.topics.has(canonical)) {
    return { ok: false, code: 'key-not-allowed', reason: `key ${keyId} may not sign events on ${topic}` };
  }
  return { ok: true, keyId };
}
