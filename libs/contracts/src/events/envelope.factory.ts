import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { v7 as uuidv7 } from 'uuid';
import { EventEnvelope, EventMetadata } from './envelope';
import { entityTypeOf, EventType, isEventType } from './event-types';
import { EVENT_PAYLOADS } from './payloads';

export interface NewEvent<P extends object> {
  type: EventType;
  actorId: string;
  entityId: string;
  payload: P;
  correlationId?: string;
  causationId?: string;
  metadata?: Partial<EventMetadata>;
  occurredAt?: Date;
}

/** Builds a validated envelope; throws if the event would be rejected by consumers. */
export function createEnvelope<P extends object>(event: NewEvent<P>): EventEnvelope<P> {
  const occurredAt = (event.occurredAt ?? new Date()).toISOString();
  const envelope: EventEnvelope<P> = {
    eventId: uuidv7(),
    type: event.type,
    schemaVersion: EVENT_PAYLOADS[event.type].version,
    occurredAt,
    actorId: event.actorId,
    entityId: event.entityId,
    entityType: entityTypeOf(event.type),
    correlationId: event.correlationId,
    causationId: event.causationId,
    metadata: { timestamp: occurredAt, ...event.metadata },
    payload: event.payload,
  };
  const result = parseEnvelope(envelope);
  if (!result.ok) throw new Error(`invalid ${event.type} event: ${result.reason}`);
  return envelope;
}

export type ParseResult = { ok: true; envelope: EventEnvelope } | { ok: false; reason: string };

/**
 * Deepest nesting of objects and arrays an envelope may have (the envelope itself is level 1; a task snapshot
 * payload reaches 3). The validators recurse, so whether a deeper value threw a RangeError or was accepted
 * depended on the JIT state of the process (a payload 3,000 levels deep decoded once warm, and the stored document
 * then broke the MongoDB stand-in); MongoDB itself refuses documents nested beyond 100 levels.
 */
export const MAX_ENVELOPE_DEPTH = 32;

/** Whether `value` nests objects/arrays deeper than `limit` levels; iterative, so any depth is safe to check. */
function nestsDeeperThan(value: unknown, limit: number): boolean {
  const stack: [unknown, number][] = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop()!;
    if (typeof current !== 'object' || current === null) continue;
    if (depth > limit) return true;
    for (const child of Object.values(current)) stack.push([child, depth + 1]);
  }
  return false;
}

/** Validates an envelope and its payload against the contract of its type and version. */
export function parseEnvelope(raw: unknown): ParseResult {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, reason: 'envelope is not a JSON object' };
  }
  if (nestsDeeperThan(raw, MAX_ENVELOPE_DEPTH)) {
    return { ok: false, reason: `envelope nests deeper than ${MAX_ENVELOPE_DEPTH} levels` };
  }
  const type = (raw as { type?: unknown }).type;
  if (!isEventType(type)) return { ok: false, reason: `unknown event type ${JSON.stringify(type)}` };

  const envelope = plainToInstance(EventEnvelope, raw);
  const envelopeErrors = validateSync(envelope, { forbidUnknownValues: false });
  if (envelopeErrors.length > 0) return { ok: false, reason: describe(envelopeErrors) };

  const contract = EVENT_PAYLOADS[type];
  if (envelope.schemaVersion !== contract.version) {
    return { ok: false, reason: `unsupported schemaVersion ${envelope.schemaVersion} for ${type}` };
  }
  const payloadErrors = validateSync(plainToInstance(contract.payload, envelope.payload));
  if (payloadErrors.length > 0) return { ok: false, reason: `payload: ${describe(payloadErrors)}` };
  // The canonical (lower-case) eventId: consumers deduplicate on it.
  return { ok: true, envelope: { ...(raw as EventEnvelope), eventId: envelope.eventId } };
}

/** Decodes a Kafka message value (JSON bytes) into a validated envelope. */
export function decodeEnvelope(value: Buffer | string | null | undefined): ParseResult {
  if (value === null || value === undefined) return { ok: false, reason: 'empty message value' };
  let parsed: unknown;
  try {
    parsed = JSON.parse(value.toString());
  } catch (error) {
    return { ok: false, reason: `value is not JSON: ${(error as Error).message}` };
  }
  return parseEnvelope(parsed);
}

function describe(errors: ValidationError[], prefix = ''): string {
  return errors
    .flatMap((error) => {
      const path = `${prefix}${error.property}`;
      const own = Object.values(error.constraints ?? {}).map((message) => `${path}: ${message}`);
      return [...own, ...(error.children?.length ? [describe(error.children, `${path}.`)] : [])];
    })
    .join('; ');
}
