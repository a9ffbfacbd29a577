import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { v7 as uuidv7 } from 'uuid';
import type { RpcContext } from '../rpc/patterns';
import { EventPayload } from './define-event';
import { EventEnvelope, EventMetadata } from './envelope';
import { EVENT_REGISTRY, EventRegistry, isEventType, RegisteredEvent } from './event-types';

/**
 * Who caused an event and the request it came from: the envelope's `actorId`, `correlationId`, `causationId` and
 * request `metadata` (the metadata `timestamp` defaults to `occurredAt`).
 */
export interface EventContext {
  /** The user who caused the event, or one of `SystemActors`. */
  actorId: string;
  correlationId?: string;
  causationId?: string;
  metadata?: Partial<EventMetadata>;
}

/**
 * The event context of a use case called over RPC: `actorId` (the caller, or the `SystemActors` value the use
 * case acts as), the call's correlation id, and its request metadata (user agent, IP address, session id).
 */
export function eventContextOf(rpc: RpcContext, actorId: string): EventContext {
  const { userAgent, ipAddress, sessionId } = rpc;
  return { actorId, correlationId: rpc.correlationId, metadata: { userAgent, ipAddress, sessionId } };
}

/** What `createEnvelope` needs beside the definition; `occurredAt` defaults to now. */
export interface NewEvent<P extends object> extends EventContext {
  entityId: string;
  payload: P;
  occurredAt?: Date;
}

/** An envelope of `D`: its payload is the plain JSON object of the definition's payload shape. */
export type EnvelopeOf<D extends RegisteredEvent> = EventEnvelope<EventPayload<D> & Record<string, unknown>>;

/**
 * Builds a validated envelope of `definition` (type, schema version, entity type from the definition); the
 * compiler checks `payload` against the definition's payload class. Throws if consumers would reject the event.
 */
export function createEnvelope<D extends RegisteredEvent>(
  definition: D,
  event: NewEvent<EventPayload<D>>,
): EnvelopeOf<D> {
  const occurredAt = (event.occurredAt ?? new Date()).toISOString();
  const envelope: EnvelopeOf<D> = {
    eventId: uuidv7(),
    type: definition.type,
    schemaVersion: definition.version,
    occurredAt,
    actorId: event.actorId,
    entityId: event.entityId,
    entityType: definition.entityType,
    correlationId: event.correlationId,
    causationId: event.causationId,
    metadata: { timestamp: occurredAt, ...event.metadata },
    payload: event.payload as EventPayload<D> & Record<string, unknown>,
  };
  const result = parseEnvelope(envelope);
  if (!result.ok) throw new Error(`invalid ${definition.type} event: ${result.reason}`);
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

/**
 * Validates an envelope, and its payload against the definition of its type and schema version in `registry`
 * (default: every TaskFlow event, `Events`). An unknown type or version is refused with a reason.
 */
export function parseEnvelope(raw: unknown, registry: EventRegistry = EVENT_REGISTRY): ParseResult {
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

  const definition = registry.find(type, envelope.schemaVersion);
  if (!definition) return { ok: false, reason: `unsupported schemaVersion ${envelope.schemaVersion} for ${type}` };
  const payloadErrors = validateSync(plainToInstance(definition.payload, envelope.payload));
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
