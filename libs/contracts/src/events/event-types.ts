import { defineEvent, EventDefinition, EventPayload } from './define-event';
import { EntityType } from './entity-types';
import {
  AuditDeadLetterPurgedV1,
  AuditDeadLetterRedrivenV1,
  AuditLegalHoldPlacedV1,
  AuditLegalHoldReleasedV1,
  AuditReadV1,
  AuditReplayCompletedV1,
  AuditReplayStartedV1,
  AuditRetentionChangedV1,
  SystemBackupCompletedV1,
  SystemBackupStartedV1,
  SystemMaintenanceStartedV1,
  TaskAssignedV1,
  TaskCreatedV1,
  TaskDeletedV1,
  TaskRestoredV1,
  TaskStatusChangedV1,
  TaskUpdatedV1,
  UserLoginV1,
  UserLogoutV1,
  UserProfileUpdatedV1,
  UserRegisteredV1,
  UserRegisteredV2,
  UserRoleChangedV1,
} from './payloads';

/**
 * Every event TaskFlow emits (seed 001 "Event Types", plus role changes, task restores and audit-service's own
 * acts), each version defined once: this object is the registry `parseEnvelope` validates against, and the source
 * of `EventType`. To add an event: write its payload class in payloads.ts and add its `defineEvent` here. A
 * breaking change is a new entry for the same type with the next version (key suffixed `V2`); consumers accept
 * both until producers stop emitting the old one.
 */
export const Events = {
  TaskCreated: defineEvent({ type: 'task.created', version: 1, payload: TaskCreatedV1 }),
  TaskUpdated: defineEvent({ type: 'task.updated', version: 1, payload: TaskUpdatedV1 }),
  TaskAssigned: defineEvent({ type: 'task.assigned', version: 1, payload: TaskAssignedV1 }),
  TaskDeleted: defineEvent({ type: 'task.deleted', version: 1, payload: TaskDeletedV1 }),
  TaskRestored: defineEvent({ type: 'task.restored', version: 1, payload: TaskRestoredV1 }),
  TaskStatusChanged: defineEvent({ type: 'task.status_changed', version: 1, payload: TaskStatusChangedV1 }),
  UserRegistered: defineEvent({ type: 'user.registered', version: 1, payload: UserRegisteredV1 }),
  UserRegisteredV2: defineEvent({ type: 'user.registered', version: 2, payload: UserRegisteredV2 }),
  UserLogin: defineEvent({ type: 'user.login', version: 1, payload: UserLoginV1 }),
  UserLogout: defineEvent({ type: 'user.logout', version: 1, payload: UserLogoutV1 }),
  UserProfileUpdated: defineEvent({ type: 'user.profile_updated', version: 1, payload: UserProfileUpdatedV1 }),
  UserRoleChanged: defineEvent({ type: 'user.role_changed', version: 1, payload: UserRoleChangedV1 }),
  SystemBackupStarted: defineEvent({ type: 'system.backup.started', version: 1, payload: SystemBackupStartedV1 }),
  SystemBackupCompleted: defineEvent({ type: 'system.backup.completed', version: 1, payload: SystemBackupCompletedV1 }),
  SystemMaintenanceStarted: defineEvent({
    type: 'system.maintenance.started',
    version: 1,
    payload: SystemMaintenanceStartedV1,
  }),
  // Retention governance and read auditing: audit-service's own acts (issue 13, parts 5 and 7).
  AuditRead: defineEvent({ type: 'audit.read', version: 1, payload: AuditReadV1 }),
  AuditLegalHoldPlaced: defineEvent({ type: 'audit.legal_hold.placed', version: 1, payload: AuditLegalHoldPlacedV1 }),
  AuditLegalHoldReleased: defineEvent({
    type: 'audit.legal_hold.released',
    version: 1,
    payload: AuditLegalHoldReleasedV1,
  }),
  AuditRetentionChanged: defineEvent({ type: 'audit.retention.changed', version: 1, payload: AuditRetentionChangedV1 }),
  // Operator recovery (audit-service admin): dead-letter redrive and purge, replay from a point in time.
  AuditDeadLetterRedriven: defineEvent({
    type: 'audit.dead_letter.redriven',
    version: 1,
    payload: AuditDeadLetterRedrivenV1,
  }),
  AuditDeadLetterPurged: defineEvent({
    type: 'audit.dead_letter.purged',
    version: 1,
    payload: AuditDeadLetterPurgedV1,
  }),
  AuditReplayStarted: defineEvent({ type: 'audit.replay.started', version: 1, payload: AuditReplayStartedV1 }),
  AuditReplayCompleted: defineEvent({ type: 'audit.replay.completed', version: 1, payload: AuditReplayCompletedV1 }),
} as const;

/** A registered event definition (any type, any version). */
export type RegisteredEvent = (typeof Events)[keyof typeof Events];

/** The type string of every registered event, by name: `EventType.TaskCreated === 'task.created'`. */
export const EventType = Object.freeze(
  Object.fromEntries(Object.entries(Events).map(([name, definition]) => [name, definition.type])),
) as { readonly [Name in keyof typeof Events]: (typeof Events)[Name]['type'] };

export type EventType = RegisteredEvent['type'];

/**
 * An event of one registered definition with its payload. A union over the definitions, so the compiler checks
 * an object literal's `payload` against the `definition` it names.
 */
export type DefinedEvent<D extends RegisteredEvent = RegisteredEvent> = D extends RegisteredEvent
  ? { readonly definition: D; readonly payload: EventPayload<D> }
  : never;

/** Event definitions by type and schema version: what `parseEnvelope` validates an envelope against. */
export class EventRegistry {
  private readonly byKey = new Map<string, EventDefinition>();

  /** Throws if two definitions share a type and version. */
  constructor(definitions: Iterable<EventDefinition>) {
    for (const definition of definitions) {
      const key = `${definition.type}@${definition.version}`;
      if (this.byKey.has(key)) throw new Error(`event ${key} is defined twice`);
      this.byKey.set(key, definition);
    }
  }

  /** The definition of `type` at schema `version`, or undefined (unknown type, or a version not defined). */
  find(type: string, version: number): EventDefinition | undefined {
    return this.byKey.get(`${type}@${version}`);
  }
}

/** Every registered TaskFlow event (`Events`). */
export const EVENT_REGISTRY = new EventRegistry(Object.values(Events));

export const ALL_EVENT_TYPES: readonly EventType[] = [...new Set(Object.values(EventType))];

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (ALL_EVENT_TYPES as readonly string[]).includes(value);
}

/** The entity type an event type is about (its prefix, as `defineEvent` derives it). */
export function entityTypeOf(type: EventType): EntityType {
  return type.split('.')[0] as EntityType;
}
