import { createEnvelope, decodeEnvelope, MAX_ENVELOPE_DEPTH, parseEnvelope } from './envelope.factory';
import { EventPayload } from './define-event';
import { Events, RegisteredEvent } from './event-types';
import { TaskSnapshotV1 } from './payloads';
import { ALL_TOPICS, belongsOnTopic, canonicalTopic, deadLetterTopic, topicForEntity } from './topics';

const TASK_ID = '0195f7a0-0000-7000-8000-000000000001';
const USER_ID = '0195f7a0-0000-7000-8000-000000000002';

/** One valid payload per event definition: the contract fixtures. Adding an event without one fails the build. */
const FIXTURES: { [Name in keyof typeof Events]: EventPayload<(typeof Events)[Name]> } = {
  TaskCreated: { task: taskSnapshot() },
  TaskUpdated: { task: taskSnapshot(), changedFields: ['title'] },
  TaskAssigned: { taskId: TASK_ID, assigneeId: USER_ID, previousAssigneeId: null, version: 2 },
  TaskStatusChanged: { taskId: TASK_ID, from: 'todo', to: 'done', version: 3 },
  TaskDeleted: { taskId: TASK_ID, deletedAt: '2026-01-01T00:00:00.000Z', version: 4 },
  TaskRestored: { taskId: TASK_ID, version: 5 },
  UserRegistered: { userId: USER_ID, email: 'a@example.com', role: 'user' },
  UserRegisteredV2: { userId: USER_ID, emailMasked: 'a***@example.com', role: 'user' },
  UserLogin: { userId: USER_ID, sessionId: 's-1' },
  UserLogout: { userId: USER_ID, sessionId: 's-1' },
  UserProfileUpdated: { userId: USER_ID, changedFields: ['firstName'] },
  UserRoleChanged: { userId: USER_ID, from: 'user', to: 'admin' },
  SystemBackupStarted: { backupId: 'b-1', target: 'postgres' },
  SystemBackupCompleted: { backupId: 'b-1', target: 'postgres', outcome: 'succeeded', sizeBytes: 10 },
  SystemMaintenanceStarted: { reason: 'upgrade' },
  AuditRead: { route: 'GET /api/v1/audit/events', filter: { actorId: USER_ID }, resultCount: 3 },
  AuditLegalHoldPlaced: { holdId: TASK_ID, scope: { actorId: USER_ID }, reason: 'case 42', heldCount: 7 },
  AuditLegalHoldReleased: { holdId: TASK_ID, scope: { entityType: 'task', entityId: TASK_ID }, restoredCount: 7 },
  AuditRetentionChanged: {
    previousRules: null,
    rules: { 'task.*': 30 },
    affected: { earlier: 2, later: 0, expireNow: 1, unchanged: 5, held: 0 },
  },
  AuditDeadLetterRedriven: {
    redriven: [{ topic: 't.dlq', partition: 0, offset: '3', originalTopic: 't', eventId: TASK_ID }],
    notFound: 0,
  },
  AuditDeadLetterPurged: {
    topic: 't.dlq',
    partitions: [{ partition: 0, beforeOffset: '4', previousLowOffset: '0' }],
  },
  AuditReplayStarted: { replayId: TASK_ID, from: '2026-01-01T00:00:00.000Z', topics: ['t'], messages: 10 },
  AuditReplayCompleted: {
    replayId: TASK_ID,
    status: 'completed',
    read: 10,
    stored: 2,
    duplicates: 8,
    deadLettered: 0,
  },
};

function taskSnapshot(): TaskSnapshotV1 {
  return {
    id: TASK_ID,
    title: 'Write tests',
    description: null,
    status: 'todo',
    priority: 'medium',
    assigneeId: null,
    creatorId: USER_ID,
    dueDate: null,
    completedAt: null,
    deletedAt: null,
    version: 1,
  };
}

describe('event contracts', () => {
  it.each(Object.keys(Events) as (keyof typeof Events)[])('should build, serialise and parse a %s event', (name) => {
    const definition: RegisteredEvent = Events[name];
    const envelope = createEnvelope(definition, {
      actorId: USER_ID,
      entityId: definition.entityType === 'system' ? 'system' : TASK_ID,
      payload: FIXTURES[name] as EventPayload<RegisteredEvent>,
      correlationId: 'corr-1',
    });
    expect(envelope).toMatchObject({
      type: definition.type,
      schemaVersion: definition.version,
      entityType: definition.type.split('.')[0],
    });
    const decoded = decodeEnvelope(Buffer.from(JSON.stringify(envelope)));
    expect(decoded).toEqual({ ok: true, envelope: JSON.parse(JSON.stringify(envelope)) });
  });

  it('should give every event a time-ordered UUIDv7 id', () => {
    const first = createEnvelope(Events.UserLogin, {
      actorId: USER_ID,
      entityId: USER_ID,
      payload: FIXTURES.UserLogin,
    });
    const second = createEnvelope(Events.UserLogin, {
      actorId: USER_ID,
      entityId: USER_ID,
      payload: FIXTURES.UserLogin,
    });
    expect(first.eventId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7/);
    expect(second.eventId > first.eventId).toBe(true);
  });

  it('should refuse to build an event whose payload breaks its contract', () => {
    expect(() =>
      createEnvelope(Events.TaskStatusChanged, {
        actorId: USER_ID,
        entityId: TASK_ID,
        // @ts-expect-error the compiler refuses it too (`from` and `version` missing, `to` not a status)
        payload: { taskId: TASK_ID, to: 'nope' },
      }),
    ).toThrow(/invalid task.status_changed event: payload: .*from/);
  });

  it.each([
    ['not JSON', Buffer.from('{oops'), /not JSON/],
    ['an array', Buffer.from('[]'), /not a JSON object/],
    ['an unknown type', Buffer.from(JSON.stringify({ type: 'task.exploded' })), /unknown event type/],
    ['an empty value', null, /empty/],
  ])('should reject %s with a reason', (_label, value, reason) => {
    const result = decodeEnvelope(value);
    expect(result.ok).toBe(false);
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it('should reject an unsupported schema version', () => {
    const envelope = createEnvelope(Events.UserLogout, {
      actorId: USER_ID,
      entityId: USER_ID,
      payload: FIXTURES.UserLogout,
    });
    const result = parseEnvelope({ ...envelope, schemaVersion: 9 });
    expect(!result.ok && result.reason).toMatch(/unsupported schemaVersion 9/);
  });

  it.each([
    {
      definition: Events.TaskCreated,
      payload: { task: { ...taskSnapshot(), id: 'not-a-uuid', title: 42, version: -5 } },
      reason: /task\.id.*task\.title.*task\.version/s,
    },
    {
      definition: Events.TaskUpdated,
      payload: { task: { ...taskSnapshot(), description: undefined }, changedFields: [] },
      reason: /task\.description/,
    },
    {
      definition: Events.TaskCreated,
      payload: { task: { ...taskSnapshot(), title: '\u0000' } },
      reason: /task\.title.*NUL/,
    },
  ])('should validate the nested task snapshot of $definition.type in createEnvelope and parseEnvelope', (row) => {
    const { definition, payload, reason } = row as { definition: RegisteredEvent; payload: object; reason: RegExp };
    const event = { actorId: USER_ID, entityId: TASK_ID };
    expect(() => createEnvelope(definition, { ...event, payload: payload as EventPayload<RegisteredEvent> })).toThrow(
      reason,
    );
    const name = (Object.keys(Events) as (keyof typeof Events)[]).find((key) => Events[key] === definition)!;
    const valid = createEnvelope(definition, { ...event, payload: FIXTURES[name] as EventPayload<RegisteredEvent> });
    const result = parseEnvelope({ ...valid, payload });
    expect(!result.ok && result.reason).toMatch(reason);
  });

  it.each([
    '2026-02-30T12:00:00Z',
    '2026-02-29T00:00:00Z',
    '2026-01-01T12:00:00',
    '2026-01-01 12:00:00Z',
    '2026-W01-1',
  ])(
    'should refuse the occurredAt %s (a date that does not exist or a form other than RFC 3339 with offset)',
    (occurredAt) => {
      const envelope = createEnvelope(Events.UserLogin, {
        actorId: USER_ID,
        entityId: USER_ID,
        payload: FIXTURES.UserLogin,
      });
      const result = parseEnvelope({ ...envelope, occurredAt });
      expect(!result.ok && result.reason).toMatch(/occurredAt must be an RFC 3339 date-time/);
    },
  );

  it('should answer the canonical lower-case eventId', () => {
    const envelope = createEnvelope(Events.UserLogin, {
      actorId: USER_ID,
      entityId: USER_ID,
      payload: FIXTURES.UserLogin,
    });
    const result = parseEnvelope({ ...envelope, eventId: envelope.eventId.toUpperCase() });
    expect(result.ok && result.envelope.eventId).toBe(envelope.eventId);
  });

  it('should route every entity to its own topic with a .dlq twin', () => {
    expect(ALL_TOPICS).toEqual([
      'taskflow.task.events.v1',
      'taskflow.user.events.v1',
      'taskflow.system.events.v1',
      'taskflow.audit.events.v1',
    ]);
    expect(topicForEntity('task')).toBe('taskflow.task.events.v1');
    expect(deadLetterTopic('taskflow.task.events.v1')).toBe('taskflow.task.events.v1.dlq');
  });

  it('should bind a topic (or its prefixed copy) to its one entity type, and nothing else', () => {
    expect(canonicalTopic('taskflow.user.events.v1')).toBe('taskflow.user.events.v1');
    expect(canonicalTopic('bench-1.taskflow.user.events.v1')).toBe('taskflow.user.events.v1');
    expect(canonicalTopic('taskflow.user.events.v1.dlq')).toBeUndefined();
    expect(canonicalTopic('orders')).toBeUndefined();
    expect(belongsOnTopic('user', 'run-7.taskflow.user.events.v1')).toBe(true);
    expect(belongsOnTopic('task', 'taskflow.user.events.v1')).toBe(false);
    expect(belongsOnTopic('system', 'taskflow.audit.events.v1')).toBe(false);
    expect(belongsOnTopic('audit', 'taskflow.audit.events.v1')).toBe(true);
  });

  it('should refuse an envelope nested deeper than MAX_ENVELOPE_DEPTH, whatever the JIT state (never a RangeError)', () => {
    const envelope = createEnvelope(Events.UserLogout, {
      actorId: USER_ID,
      entityId: USER_ID,
      payload: FIXTURES.UserLogout,
    });
    const nested = (depth: number) => {
      let value: Record<string, unknown> = {};
      for (let level = 0; level < depth; level += 1) value = { a: value };
      return value;
    };
    // envelope (1) → payload (2) → nested: 30 more levels is 32 in all, one more is too deep.
    expect(parseEnvelope({ ...envelope, payload: { ...envelope.payload, nested: nested(29) } }).ok).toBe(true);
    for (const depth of [30, 3000, 100_000]) {
      const result = decodeEnvelope(
        Buffer.from(JSON.stringify({ ...envelope, payload: { ...envelope.payload, x: nested(depth) } })),
      );
      expect(result).toEqual({ ok: false, reason: `envelope nests deeper than ${MAX_ENVELOPE_DEPTH} levels` });
    }
  });
});
