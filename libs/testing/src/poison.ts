import { createEnvelope, EventEnvelope, Events } from '@taskflow/contracts';
import { randomUUID } from 'node:crypto';

/**
 * The poison message of issue 13: a well-formed `task.status_changed` envelope (≈18 kB for the default depth)
 * whose payload carries an object nested `depth` levels deep. It made decoding throw a RangeError in a cold
 * process and decode (then break the store) in a warm one; it is now refused for its depth (MAX_ENVELOPE_DEPTH).
 * Returns the envelope (for its eventId and entityId) and the JSON to publish.
 */
export function deeplyNestedEvent(
  taskId: string = randomUUID(),
  depth = 3000,
): { envelope: EventEnvelope; json: string } {
  const envelope = createEnvelope(Events.TaskStatusChanged, {
    actorId: randomUUID(),
    entityId: taskId,
    payload: { taskId, from: 'todo', to: 'in_progress', version: 2 },
  });
  let nested: Record<string, unknown> = {};
  for (let level = 0; level < depth; level += 1) nested = { a: nested };
  return { envelope, json: JSON.stringify({ ...envelope, payload: { ...envelope.payload, nested } }) };
}
