import { TASK_DATE_TIME_FIELDS, TaskDateTimeField, TaskSnapshotV1, TaskView } from '@taskflow/contracts';
import type { Task } from '../domain/task';

/** The RPC answer for a task: every field, date-times as ISO 8601 UTC strings (`null` where the task has none). */
export function toTaskView(task: Task): TaskView {
  return Object.fromEntries(
    Object.entries(task).map(([field, value]) => [field, value instanceof Date ? value.toISOString() : value]),
  ) as unknown as TaskView;
}

/** The task as its events carry it (`TaskSnapshotV1`): the view without `createdAt`/`updatedAt`. */
export function toSnapshot(task: Task): TaskSnapshotV1 {
  const { createdAt: _created, updatedAt: _updated, ...snapshot } = toTaskView(task);
  return snapshot;
}

type Parsed<T> = { [F in keyof T]: F extends TaskDateTimeField ? Exclude<T[F], string> | Date : T[F] };

/**
 * A validated request's task fields in domain form: each date-time (RFC 3339, checked by the contract) as the
 * instant it names; `null` (clear) stays, an absent field (also one present as `undefined`) is left out.
 */
export function parseTaskFields<T extends object>(data: T): Parsed<T> {
  const dateTimes: readonly string[] = TASK_DATE_TIME_FIELDS;
  return Object.fromEntries(
    Object.entries(data)
      .filter(([, value]) => value !== undefined)
      .map(([field, value]) => [
        field,
        dateTimes.includes(field) && typeof value === 'string' ? new Date(value) : value,
      ]),
  ) as Parsed<T>;
}
