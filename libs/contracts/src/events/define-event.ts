import { ENTITY_TYPES, EntityType } from './entity-types';
import { Topic, topicForEntity } from './topics';

/** An event type string: `<entity type>.<what happened, past tense>`, e.g. `task.status_changed`. */
export type EventTypeName = `${EntityType}.${string}`;

/**
 * One version of one event: its type string, schema version and payload class (class-validator rules, nested
 * objects validated), plus what follows from the type: the entity type (the type's prefix) and the topic its
 * envelopes travel on. `createEnvelope` and `TransactionalOutbox.append` take the definition, so the compiler
 * checks a payload against it; `parseEnvelope` validates against the registered definition of the envelope's
 * `type` and `schemaVersion`.
 */
export interface EventDefinition<T extends string = string, P extends object = object> {
  readonly type: T;
  /** The envelope's `schemaVersion` (integer ≥ 1). Within a version, changes are additive only. */
  readonly version: number;
  readonly payload: new () => P;
  readonly entityType: EntityType;
  readonly topic: Topic;
}

/**
 * Declares an event version (house style §5). Register the result in `Events` (event-types.ts), which is the
 * one list consumers validate against. Throws if `version` is not an integer ≥ 1 or the type's prefix is not an
 * entity type (the latter is also a compile error).
 */
export function defineEvent<T extends EventTypeName, P extends object>(spec: {
  type: T;
  version: number;
  payload: new () => P;
}): EventDefinition<T, P> {
  const entityType = spec.type.split('.')[0] as EntityType;
  if (!ENTITY_TYPES.includes(entityType)) throw new Error(`event type ${spec.type} names no entity type`);
  if (!Number.isInteger(spec.version) || spec.version < 1) {
    throw new Error(`event ${spec.type}: version must be an integer >= 1, got ${spec.version}`);
  }
  return Object.freeze({ ...spec, entityType, topic: topicForEntity(entityType) });
}

/** The payload type of a definition. */
export type EventPayload<D> = D extends EventDefinition<string, infer P> ? P : never;
