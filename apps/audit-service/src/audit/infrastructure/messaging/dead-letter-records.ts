import { DeadLetterItem, FieldError, MAX_LISTED_VALUE_LENGTH } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { IHeaders, KafkaMessage } from 'kafkajs';

// How dead-letter records (`<topic>.dlq`, headers written by `toDeadLetterRecord`) are shown and redriven.

const DLQ_HEADER_PREFIX = 'x-dlq-';

/** The original headers, values untouched (Buffers stay the same bytes), without the `x-dlq-*` ones. */
export function withoutDeadLetterHeaders(headers: IHeaders | undefined): IHeaders {
  return Object.fromEntries(
    Object.entries(headers ?? {}).filter(([name]) => !name.toLowerCase().startsWith(DLQ_HEADER_PREFIX)),
  );
}

function header(message: KafkaMessage, name: string): string | null {
  const value = message.headers?.[name];
  if (value === undefined) return null;
  return (Array.isArray(value) ? value[0] : value)?.toString() ?? null;
}

/** `eventId` and `type` of a JSON value, when present; never throws. */
export function decodedIds(value: Buffer | null): { eventId?: string; eventType?: string } {
  if (!value || value.length > 1_000_000) return {};
  try {
    const parsed: unknown = JSON.parse(value.toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null) return {};
    const { eventId, type } = parsed as Record<string, unknown>;
    return {
      ...(typeof eventId === 'string' && { eventId: eventId.slice(0, 100) }),
      ...(typeof type === 'string' && { eventType: type.slice(0, 100) }),
    };
  } catch {
    return {};
  }
}

export function toDeadLetterItem(topic: string, partition: number, message: KafkaMessage): DeadLetterItem {
  const text = message.value?.toString('utf8') ?? null;
  const originalPartition = header(message, 'x-dlq-original-partition');
  const originalTimestamp = header(message, 'x-dlq-original-timestamp');
  return {
    topic,
    partition,
    offset: message.offset,
    timestamp: new Date(Number(message.timestamp)).toISOString(),
    key: message.key?.toString('utf8') ?? null,
    originalTopic: header(message, 'x-dlq-original-topic'),
    originalPartition: originalPartition === null ? null : Number(originalPartition),
    originalOffset: header(message, 'x-dlq-original-offset'),
    originalTimestamp:
      originalTimestamp && /^\d+$/.test(originalTimestamp) ? new Date(Number(originalTimestamp)).toISOString() : null,
    errorCode: header(message, 'x-dlq-error-code'),
    reason: header(message, 'x-dlq-reason'),
    consumerGroup: header(message, 'x-dlq-consumer-group'),
    ...decodedIds(message.value),
    value: text === null ? null : text.slice(0, MAX_LISTED_VALUE_LENGTH),
    valueBytes: message.value?.length ?? 0,
    valueTruncated: text !== null && text.length > MAX_LISTED_VALUE_LENGTH,
  };
}

/** The cursor is base64url JSON `{ "topic:partition": "offset" }`; a malformed one is a 400 on `cursor`. */
export function decodeCursor(cursor: string | undefined): Map<string, bigint> {
  if (cursor === undefined) return new Map();
  try {
    const parsed: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) throw new Error('not an object');
    return new Map(
      Object.entries(parsed).map(([key, offset]) => {
        if (typeof offset !== 'string' || !/^\d{1,19}$/.test(offset)) throw new Error('bad offset');
        return [key, BigInt(offset)];
      }),
    );
  } catch {
    throw invalidRequest([{ field: 'cursor', reason: 'must be the nextCursor of a previous page' }]);
  }
}

export function encodeCursor(positions: Map<string, bigint>): string {
  const plain = Object.fromEntries([...positions].map(([key, offset]) => [key, offset.toString()]));
  return Buffer.from(JSON.stringify(plain)).toString('base64url');
}

/** 400 `REQUEST.VALIDATION_FAILED` naming each field, as the validation pipe answers. */
export function invalidRequest(problems: FieldError[]): AppError {
  return new AppError('validation', 'REQUEST.VALIDATION_FAILED', 'The request is invalid.', problems);
}
