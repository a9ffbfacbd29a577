/** The entity kinds an event is about; also the `entityType` field of the envelope and the prefix of its type. */
export const ENTITY_TYPES = ['task', 'user', 'system', 'audit'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];
