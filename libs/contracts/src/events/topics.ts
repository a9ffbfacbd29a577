import { EntityType } from './entity-types';

/**
 * One topic per producing context, keyed by entity id so all events of one entity stay ordered
 * whatever their type. The event type lives in the envelope.
 */
export const Topics = {
  task: 'taskflow.task.events.v1',
  user: 'taskflow.user.events.v1',
  system: 'taskflow.system.events.v1',
  /** audit-service's own acts: reads of the audit store, dead-letter redrives, legal holds, retention changes. */
  audit: 'taskflow.audit.events.v1',
} as const satisfies Record<EntityType, string>;

export type Topic = (typeof Topics)[EntityType];

export const ALL_TOPICS: readonly Topic[] = Object.values(Topics);

/** Dead letters of `topic` go to `<topic>.dlq`, with the reason in the message headers. */
export function deadLetterTopic(topic: string): string {
  return `${topic}.dlq`;
}

export function topicForEntity(entityType: EntityType): Topic {
  return Topics[entityType];
}

/**
 * The canonical topic `topic` stands for: itself, or the canonical name it ends with (a test or bench run's
 * prefixed copy, `<prefix>taskflow.user.events.v1`); undefined for a topic that carries no TaskFlow events.
 */
export function canonicalTopic(topic: string): Topic | undefined {
  return ALL_TOPICS.find((name) => topic === name || topic.endsWith(name));
}

/** Whether an envelope of `entityType` belongs on `topic` (each entity type has its one topic). */
export function belongsOnTopic(entityType: EntityType, topic: string): boolean {
  return canonicalTopic(topic) === Topics[entityType];
}
