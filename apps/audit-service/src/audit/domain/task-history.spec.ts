import { EventType, TaskSnapshotV1 } from '@taskflow/contracts';
import { EventLog } from './event-log';
import { fieldChanges, foldTaskHistory, taskAsOf } from './task-history';

const TASK = '0190a1b2-0000-7000-8000-000000000001';
const ALICE = '0190a1b2-0000-7000-8000-0000000000a1';
const BOB = '0190a1b2-0000-7000-8000-0000000000b0';
const T0 = Date.parse('2026-03-01T10:00:00Z');

const snapshot = (over: Partial<TaskSnapshotV1>): TaskSnapshotV1 => ({
  id: TASK,
  title: 'Write report',
  description: null,
  status: 'todo',
  priority: 'medium',
  assigneeId: null,
  creatorId: ALICE,
  dueDate: null,
  completedAt: null,
  deletedAt: null,
  version: 1,
  ...over,
});

let n = 0;
const event = (type: string, minutes: number, payload: object, actorId = ALICE): EventLog => ({
  eventId: `e${++n}`,
  type,
  schemaVersion: 1,
  actorId,
  entityId: TASK,
  entityType: 'task',
  payload: payload as Record<string, unknown>,
  metadata: { timestamp: new Date(T0 + minutes * 60_000) },
  createdAt: new Date(T0 + minutes * 60_000),
  updatedAt: new Date(T0 + minutes * 60_000),
  expiresAt: new Date(T0 + 1e12),
});

const history = [
  event(EventType.TaskCreated, 0, { task: snapshot({}) }),
  event(EventType.TaskAssigned, 5, { taskId: TASK, assigneeId: BOB, previousAssigneeId: null, version: 2 }),
  event(
    EventType.TaskStatusChanged,
    10,
    { taskId: TASK, from: 'todo', to: 'done', version: 3, completedAt: '2026-03-01T10:10:00.000Z' },
    BOB,
  ),
  event(EventType.TaskUpdated, 20, {
    task: snapshot({
      title: 'Write the report',
      assigneeId: BOB,
      status: 'done',
      completedAt: '2026-03-01T10:10:00.000Z',
      version: 4,
    }),
    changedFields: ['title'],
  }),
  event(EventType.TaskDeleted, 30, { taskId: TASK, deletedAt: '2026-03-01T10:30:00.000Z', version: 5 }),
  event(EventType.TaskRestored, 40, { taskId: TASK, version: 6 }),
];

describe('task history (as-of reads and field timeline)', () => {
  it('should give the state at any instant, whatever order the events were stored in', () => {
    const states = foldTaskHistory(TASK, [...history].reverse());
    expect(taskAsOf(states, new Date(T0 - 1))).toBeNull();
    expect(taskAsOf(states, new Date(T0 + 7 * 60_000))!.task).toMatchObject({
      assigneeId: BOB,
      status: 'todo',
      version: 2,
    });
    expect(taskAsOf(states, new Date(T0 + 25 * 60_000))!.task).toMatchObject({
      title: 'Write the report',
      status: 'done',
    });
    expect(taskAsOf(states, new Date(T0 + 35 * 60_000))!.task.deletedAt).toBe('2026-03-01T10:30:00.000Z');
    const last = taskAsOf(states, new Date(T0 + 60 * 60_000))!;
    expect(last).toMatchObject({ complete: true, task: { deletedAt: null, version: 6 } });
  });

  it('should report who changed which field, from what to what', () => {
    const changes = fieldChanges(foldTaskHistory(TASK, history)).map((c) => [c.event.actorId, c.field, c.from, c.to]);
    expect(changes).toEqual([
      [ALICE, 'title', null, 'Write report'],
      [ALICE, 'status', null, 'todo'],
      [ALICE, 'priority', null, 'medium'],
      [ALICE, 'creatorId', null, ALICE],
      [ALICE, 'assigneeId', null, BOB],
      [BOB, 'status', 'todo', 'done'],
      [BOB, 'completedAt', null, '2026-03-01T10:10:00.000Z'],
      [ALICE, 'title', 'Write report', 'Write the report'],
      [ALICE, 'deletedAt', null, '2026-03-01T10:30:00.000Z'],
      [ALICE, 'deletedAt', '2026-03-01T10:30:00.000Z', null],
    ]);
  });

  it('should apply the completedAt rule to status events written before the payload carried it', () => {
    const legacy = event(EventType.TaskStatusChanged, 10, { taskId: TASK, from: 'todo', to: 'done', version: 2 });
    const [, done] = foldTaskHistory(TASK, [history[0], legacy]);
    expect(done.task.completedAt).toBe(legacy.createdAt.toISOString());
  });

  it('should mark a history without its task.created record as incomplete, and ignore a repeated version', () => {
    const states = foldTaskHistory(TASK, [history[1], history[2], { ...history[2], eventId: 'dup' }]);
    expect(states).toHaveLength(2);
    expect(states.every((s) => !s.complete)).toBe(true);
    expect(states[1].task).toMatchObject({ assigneeId: BOB, status: 'done', title: null });
  });
});
