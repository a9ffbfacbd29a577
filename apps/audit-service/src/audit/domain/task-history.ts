import {
  EventType,
  TASK_TIMELINE_FIELDS,
  TaskAssignedV1,
  TaskDeletedV1,
  TaskSnapshotV1,
  TaskStatusChangedV1,
  TaskTimelineField,
  TaskUpdatedV1,
} from '@taskflow/contracts';
import { EventLog } from './event-log';

/** A task's state after one of its events. `complete` is false until a full snapshot (created/updated) was seen. */
export interface TaskState {
  event: EventLog;
  task: TaskSnapshotV1;
  complete: boolean;
}

const versionOf = (event: EventLog): number => {
  const payload = event.payload as { version?: number; task?: { version?: number } };
  return payload.task?.version ?? payload.version ?? 0;
};

/**
 * Folds a task's stored events (any order) into its successive states, in version order (a task's versions
 * increase by one per change, so they order its events even when two share a millisecond). Payloads were
 * validated against their contract at ingest. A second event with an already-seen version is ignored.
 * `task.created`/`task.updated` carry the whole snapshot; the other types change the fields they name.
 */
export function foldTaskHistory(taskId: string, events: EventLog[]): TaskState[] {
  const ordered = [...events].sort(
    (a, b) => versionOf(a) - versionOf(b) || a.createdAt.getTime() - b.createdAt.getTime(),
  );
  const states: TaskState[] = [];
  let current: TaskSnapshotV1 | undefined;
  let complete = false;
  let lastVersion = 0;
  for (const event of ordered) {
    const version = versionOf(event);
    if (version <= lastVersion) continue;
    const next = apply(taskId, current, event);
    if (!next) continue;
    complete ||= event.type === EventType.TaskCreated;
    current = { ...next, version };
    lastVersion = version;
    states.push({ event, task: current, complete });
  }
  return states;
}

/** The state of `taskId` at instant `at` (the last state whose event occurred at or before it), or null. */
export function taskAsOf(states: TaskState[], at: Date): TaskState | null {
  let found: TaskState | null = null;
  for (const state of states) if (state.event.createdAt.getTime() <= at.getTime()) found = state;
  return found;
}

export interface FieldChange {
  event: EventLog;
  field: TaskTimelineField;
  from: unknown;
  to: unknown;
}

/** Every field that differs between consecutive states (a first state reports each field from null). */
export function fieldChanges(states: TaskState[]): FieldChange[] {
  const changes: FieldChange[] = [];
  let previous: TaskSnapshotV1 | undefined;
  for (const { event, task } of states) {
    for (const field of TASK_TIMELINE_FIELDS) {
      const from = previous ? previous[field] : null;
      if (from !== task[field] && !(previous === undefined && task[field] === null)) {
        changes.push({ event, field, from, to: task[field] });
      }
    }
    previous = task;
  }
  return changes;
}

function apply(taskId: string, current: TaskSnapshotV1 | undefined, event: EventLog): TaskSnapshotV1 | undefined {
  switch (event.type) {
    case EventType.TaskCreated:
    case EventType.TaskUpdated:
      return { ...(event.payload as unknown as TaskUpdatedV1).task };
  }
  // A partial change before any snapshot: the fields it names are known, the rest stay unknown (null).
  const base: TaskSnapshotV1 = current ?? unknownTask(taskId);
  switch (event.type) {
    case EventType.TaskStatusChanged: {
      const payload = event.payload as unknown as TaskStatusChangedV1;
      // Events written before `completedAt` was in the payload: the rule task-service applies at the change.
      const completedAt =
        payload.completedAt !== undefined
          ? payload.completedAt
          : payload.to === 'done'
            ? (base.completedAt ?? event.createdAt.toISOString())
            : null;
      return { ...base, status: payload.to, completedAt };
    }
    case EventType.TaskAssigned:
      return { ...base, assigneeId: (event.payload as unknown as TaskAssignedV1).assigneeId };
    case EventType.TaskDeleted:
      return { ...base, deletedAt: (event.payload as unknown as TaskDeletedV1).deletedAt };
    case EventType.TaskRestored:
      return { ...base, deletedAt: null };
    default:
      return undefined;
  }
}

/** A task none of whose fields is known yet (null) until an event carries it (`TaskStateView`). */
function unknownTask(taskId: string): TaskSnapshotV1 {
  const unknown = Object.fromEntries(TASK_TIMELINE_FIELDS.map((field) => [field, null]));
  return { ...unknown, id: taskId, version: 0 } as unknown as TaskSnapshotV1;
}
