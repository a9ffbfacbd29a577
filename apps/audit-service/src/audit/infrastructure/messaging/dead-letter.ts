import { IHeaders, KafkaMessage } from 'kafkajs';

/**
 * Why a message was dead-lettered: the `x-dlq-error-code` header and the `code` label of
 * `taskflow_audit_dead_lettered_total`. The README of audit-service lists them.
 */
export type DeadLetterCode =
  /** No `x-signature-key-id`/`x-signature` headers: not from a TaskFlow producer. */
  | 'unsigned'
  /** Signed by a key id that EVENT_VERIFY_KEYS does not publish (a forger's key, or a retired one). */
  | 'unknown-key'
  /** The signature does not match the bytes received (edited in transit or forged), or is malformed. */
  | 'bad-signature'
  /** A genuine signature by a key not allowed on this topic (e.g. task-service's key on the user topic). */
  | 'key-not-allowed'
  /** Authentic, but its `type`/`entityType` belongs to another topic than the one it arrived on. */
  | 'wrong-topic'
  /** Decoding or validating threw (a bug the contract checks did not foresee). */
  | 'undecodable'
  /** Not JSON, nested deeper than MAX_ENVELOPE_DEPTH, or the envelope or payload breaks its contract. */
  | 'invalid-envelope'
  /** MongoDB refused this one document (not a duplicate, not an outage). */
  | 'rejected-by-store'
  /** The driver could not serialise the document for MongoDB. */
  | 'unstorable';

export interface DeadLetter {
  message: KafkaMessage;
  code: DeadLetterCode;
  reason: string;
}

/** Longest `x-dlq-reason` header, in UTF-16 units: a reason quoting a huge value stays a header. */
const MAX_REASON = 1000;

/**
 * The dead-letter record of `message` from `topic`/`partition`: its original key, bytes and headers,
 * plus where it came from and why (`x-dlq-*` headers). Goes to `<topic>.dlq`.
 */
export function toDeadLetterRecord(topic: string, partition: number, groupId: string, dead: DeadLetter) {
  const { message, code, reason } = dead;
  return {
    key: message.key,
    value: message.value,
    headers: {
      ...(message.headers as IHeaders),
      'x-dlq-error-code': code,
      'x-dlq-reason': reason.slice(0, MAX_REASON),
      'x-dlq-original-topic': topic,
      'x-dlq-original-partition': String(partition),
      'x-dlq-original-offset': message.offset,
      'x-dlq-original-timestamp': message.timestamp,
      'x-dlq-consumer-group': groupId,
    },
  };
}
