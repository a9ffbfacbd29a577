import type { TaskSnapshotV1, TaskView } from '@taskflow/contracts';
import type { Task } from '../domain/task';

const iso = (date: Date | null) => (date ? date.toISOString() : null);

/** The RPC answer for a task: every field, date-times as ISO 8601 UTC strings (`null` where the task has none). */
export function toTaskView(task: Task): TaskView {
  return {
    id: task.id,
    title: task.title,
    description: task.description,
    status: task.status,
    priority: task.priority,
    assigneeId: task.assigneeId,
    creatorId: task.creatorId,
    dueDate: iso(task.dueDate),
    completedAt: iso(task.completedAt),
    deletedAt: iso(task.deletedAt),
    createdAt: task.createdAt.toISOString(),
    updatedAt: task.updatedAt.toISOString(),
    version: task.version,
  };
}

/** The task as its events carry it (`TaskSnapshotV1`): the view without `createdAt`/`updatedAt`. */
export function toSnapshot(task: Task): TaskSnapshotV1 {
  const { createdAt: _created, updatedAt: _updated, ...snapshot } = toTaskView(task);
  return snapshot;
}
