import { getMetadataArgsStorage } from 'typeorm';
import type { Task } from '../../domain/task';
import { TaskOrmEntity } from './task.orm-entity';

/** A `tasks` row as the pg driver returns it: column name → value (timestamptz → Date); extra columns ignored. */
export type TaskRow = Record<string, unknown>;

/** Column → field, read from `TaskOrmEntity`'s `@Column`s: the one field ↔ column mapping. */
const FIELD_OF_COLUMN = new Map(
  getMetadataArgsStorage()
    .filterColumns(TaskOrmEntity)
    .map((column) => [column.options.name ?? column.propertyName, column.propertyName]),
);

/** The domain task of a `tasks` row (each column under its entity field's name). */
export function toTask(row: TaskRow): Task {
  const task: Record<string, unknown> = {};
  for (const [column, field] of FIELD_OF_COLUMN) task[field] = row[column];
  return task as Task;
}
