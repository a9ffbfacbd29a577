import type { Task } from '../../domain/task';

/** A `tasks` row as the pg driver returns it (timestamptz → Date). */
export interface TaskRow {
  id: string;
  title: string;
  description: string | null;
  status: Task['status'];
  priority: Task['priority'];
  assignee_id: string | null;
  creator_id: string;
  created_at: Date;
  updated_at: Date;
  completed_at: Date | null;
  due_date: Date | null;
  deleted_at: Date | null;
  version: number;
}

/** The domain task of a `tasks` row (snake_case column → camelCase field). */
export function toTask(row: TaskRow): Task {
  return {
    id: row.id,
    title: row.title,
    description: row.description,
    status: row.status,
    priority: row.priority,
    assigneeId: row.assignee_id,
    creatorId: row.creator_id,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
    completedAt: row.completed_at,
    dueDate: row.due_date,
    deletedAt: row.deleted_at,
    version: row.version,
  };
}
