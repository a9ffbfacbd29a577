import { isTaskOverdue } from './task-rules';

describe('task rules', () => {
  const now = new Date('2026-01-10T00:00:00Z');

  it('should call a task overdue only when its due date passed and it is not done', () => {
    const past = new Date('2026-01-01T00:00:00Z');
    expect(isTaskOverdue({ dueDate: past, status: 'todo' }, now)).toBe(true);
    expect(isTaskOverdue({ dueDate: past, status: 'done' }, now)).toBe(false);
    expect(isTaskOverdue({ dueDate: null, status: 'todo' }, now)).toBe(false);
  });
});
