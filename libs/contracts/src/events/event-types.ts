/** Every domain event type TaskFlow emits (seed 001 "Event Types", plus role changes and task restores). */
export const EventType = {
  TaskCreated: 'task.created',
  TaskUpdated: 'task.updated',
  TaskAssigned: 'task.assigned',
  TaskDeleted: 'task.deleted',
  TaskRestored: 'task.restored',
  TaskStatusChanged: 'task.status_changed',
  UserRegistered: 'user.registered',
  UserLogin: 'user.login',
  UserLogout: 'user.logout',
  UserProfileUpdated: 'user.profile_updated',
  UserRoleChanged: 'user.role_changed',
  SystemBackupStarted: 'system.backup.started',
  SystemBackupCompleted: 'system.backup.completed',
  SystemMaintenanceStarted: 'system.maintenance.started',
  // Retention governance and read auditing: audit-service's own acts (issue 13, parts 5 and 7).
  AuditRead: 'audit.read',
  AuditLegalHoldPlaced: 'audit.legal_hold.placed',
  AuditLegalHoldReleased: 'audit.legal_hold.released',
  AuditRetentionChanged: 'audit.retention.changed',
  // Operator recovery (audit-service admin): dead-letter redrive and purge, replay from a point in time.
  AuditDeadLetterRedriven: 'audit.dead_letter.redriven',
  AuditDeadLetterPurged: 'audit.dead_letter.purged',
  AuditReplayStarted: 'audit.replay.started',
  AuditReplayCompleted: 'audit.replay.completed',
} as const;

export type EventType = (typeof EventType)[keyof typeof EventType];

export const ALL_EVENT_TYPES: readonly EventType[] = Object.values(EventType);

export function isEventType(value: unknown): value is EventType {
  return typeof value === 'string' && (ALL_EVENT_TYPES as readonly string[]).includes(value);
}

/** The entity kinds an event is about; also the `entityType` field of the envelope and the prefix of its type. */
export const ENTITY_TYPES = ['task', 'user', 'system', 'audit'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export function entityTypeOf(type: EventType): EntityType {
  return type.split('.')[0] as EntityType;
}
