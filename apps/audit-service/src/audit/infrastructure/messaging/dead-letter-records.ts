import {
  CommonErrorCodes,
  DeadLetterItem,
  FieldError,
  keysetCursor,
  MAX_LISTED_VALUE_LENGTH,
} from '@taskflow/contracts';
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

/** The dead-letter listing's keyset cursor: the next offset per `topic:partition`, offsets as decimal strings. */
const DeadLetterCursor = keysetCursor<Map<string, bigint>>({
  write: (positions) => Object.fromEntries([...positions].map(([key, offset]) => [key, offset.toString()])),
  read: (value) => {
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    const entries = Object.entries(value);
    if (!entries.every(([, offset]) => typeof offset === 'string' && /^\d{1,19}$/.test(offset))) return undefined;
    return new Map(entries.map(([key, offset]) => [key, BigInt(offset as string)]));
  },
});

/** The positions a cursor names (none: from the start); a malformed cursor is a 400 on `cursor`. */
export function decodeCursor(cursor: string | undefined): Map<string, bigint> {
  if (cursor === undefined) return new Map();
  const positions = DeadLetterCursor.decode(cursor);
  if (!positions) throw invalidRequest([{ field: 'cursor', reason: 'must be the nextCursor of a previous page' }]);
  return positions;
}

export const encodeCursor = DeadLetterCursor.encode;

/** 400 `REQUEST.VALIDATION_FAILED` naming each field, as the validation pipe answers. */
export function invalidRequest(problems: FieldError[]): AppError {
  return new AppError('validation', CommonErrorCodes.validation, 'The request is invalid.', problems);
}
