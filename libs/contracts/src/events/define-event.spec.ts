import { IsUUID } from 'class-validator';
import { defineEvent, EventPayload } from './define-event';
import { createEnvelope, parseEnvelope } from './envelope.factory';
import { DefinedEvent, EVENT_REGISTRY, EventRegistry, Events, EventType } from './event-types';
import { TaskRestoredV1 } from './payloads';

const TASK_ID = '0195f7a0-0000-7000-8000-000000000001';
const USER_ID = '0195f7a0-0000-7000-8000-000000000002';

/** A breaking successor of `task.restored` v1, registered only in the test registry below. */
class TaskRestoredV2 {
  @IsUUID() taskId!: string;
  @IsUUID() restoredBy!: string;
}
const TaskRestoredV2Event = defineEvent({ type: 'task.restored', version: 2, payload: TaskRestoredV2 });

describe('defineEvent', () => {
  it('should derive the entity type and the topic from the type, and freeze the definition', () => {
    expect(Events.TaskStatusChanged).toEqual({
      type: 'task.status_changed',
      version: 1,
      payload: Events.TaskStatusChanged.payload,
      entityType: 'task',
      topic: 'taskflow.task.events.v1',
    });
    expect(Events.SystemBackupStarted.topic).toBe('taskflow.system.events.v1');
    expect(Events.AuditRead.topic).toBe('taskflow.audit.events.v1');
    expect(Object.isFrozen(Events.UserLogin)).toBe(true);
  });

  it('should refuse a version that is not an integer >= 1 and a type that names no entity', () => {
    expect(() => defineEvent({ type: 'task.restored', version: 0, payload: TaskRestoredV1 })).toThrow(/version/);
    expect(() => defineEvent({ type: 'task.restored', version: 1.5, payload: TaskRestoredV1 })).toThrow(/version/);
    // @ts-expect-error the type's prefix must be an entity type
    expect(() => defineEvent({ type: 'order.placed', version: 1, payload: TaskRestoredV1 })).toThrow(/no entity/);
  });

  it('should keep the EventType names consumers filter on, derived from the definitions', () => {
    expect(EventType.TaskCreated).toBe('task.created');
    expect(EventType.AuditDeadLetterRedriven).toBe('audit.dead_letter.redriven');
    expect(Object.keys(EventType)).toEqual(Object.keys(Events));
  });

  it('should type the payload of createEnvelope and of a DefinedEvent by the definition', () => {
    const common = { actorId: USER_ID, entityId: TASK_ID };
    const restored = createEnvelope(Events.TaskRestored, { ...common, payload: { taskId: TASK_ID, version: 2 } });
    const version: number = restored.payload.version;
    // Each refused call would also be refused at run time (createEnvelope validates what it builds).
    expect(() =>
      // @ts-expect-error task.restored requires `version`
      createEnvelope(Events.TaskRestored, { ...common, payload: { taskId: TASK_ID } }),
    ).toThrow(/version/);
    expect(() =>
      // @ts-expect-error a user.login payload is not a task.restored payload
      createEnvelope(Events.TaskRestored, { ...common, payload: { userId: USER_ID, sessionId: 's' } }),
    ).toThrow(/taskId/);
    expect(() =>
      // @ts-expect-error the entity id is required
      createEnvelope(Events.UserLogin, { actorId: USER_ID, payload: { userId: USER_ID, sessionId: 's' } }),
    ).toThrow(/entityId/);
    const event: DefinedEvent = { definition: Events.UserLogout, payload: { userId: USER_ID, sessionId: 's' } };
    const wrong: DefinedEvent = {
      definition: Events.UserRoleChanged,
      // @ts-expect-error `to` must be a role
      payload: { userId: USER_ID, from: 'user', to: 'root' },
    };
    const payload: EventPayload<typeof Events.TaskDeleted> = {
      taskId: TASK_ID,
      deletedAt: '2026-01-01T00:00:00Z',
      version: 3,
    };
    expect([version, event.definition.type, wrong.payload, payload.version]).toEqual([
      2,
      'user.logout',
      wrong.payload,
      3,
    ]);
  });
});

describe('EventRegistry', () => {
  const registry = new EventRegistry([...Object.values(Events), TaskRestoredV2Event]);
  const v1 = createEnvelope(Events.TaskRestored, {
    actorId: USER_ID,
    entityId: TASK_ID,
    payload: { taskId: TASK_ID, version: 2 },
  });

  it('should hold every registered definition under its type and version', () => {
    for (const definition of Object.values(Events)) {
      expect(EVENT_REGISTRY.find(definition.type, definition.version)).toBe(definition);
    }
    expect(EVENT_REGISTRY.find('task.restored', 2)).toBeUndefined();
    expect(registry.find('task.restored', 2)).toBe(TaskRestoredV2Event);
  });

  it('should refuse two definitions of one type and version', () => {
    expect(() => new EventRegistry([Events.TaskRestored, { ...Events.TaskRestored }])).toThrow(
      'event task.restored@1 is defined twice',
    );
  });

  it('should refuse an unknown type and a version the registry does not define', () => {
    expect(parseEnvelope({ ...v1, type: 'task.exploded' })).toEqual({
      ok: false,
      reason: 'unknown event type "task.exploded"',
    });
    const v2 = { ...v1, schemaVersion: 2, payload: { taskId: TASK_ID, restoredBy: USER_ID } };
    expect(parseEnvelope(v2)).toEqual({ ok: false, reason: 'unsupported schemaVersion 2 for task.restored' });
  });

  it('should validate the payload against the definition of the envelope version', () => {
    const v2 = { ...v1, schemaVersion: 2, payload: { taskId: TASK_ID, restoredBy: USER_ID } };
    expect(parseEnvelope(v2, registry).ok).toBe(true);
    expect(parseEnvelope(v1, registry).ok).toBe(true);
    // A v1 payload under version 2, and a v2 payload under version 1, each break the other version's contract.
    const crossed = [
      { ...v1, schemaVersion: 2 },
      { ...v2, schemaVersion: 1 },
    ].map((envelope) => parseEnvelope(envelope, registry));
    expect(crossed.map((result) => !result.ok && result.reason)).toEqual([
      expect.stringMatching(/^payload: restoredBy/),
      expect.stringMatching(/^payload: version/),
    ]);
  });
});
