import { canAccess, completedAtFor } from './task';

describe('task rules', () => {
  const now = new Date('2026-01-10T00:00:00Z');

  it('should let creators, assignees and admins access a task, and nobody else', () => {
    const task = { creatorId: 'c', assigneeId: 'a' };
    expect(canAccess({ id: 'c', role: 'user' }, task)).toBe(true);
    expect(canAccess({ id: 'a', role: 'user' }, task)).toBe(true);
    expect(canAccess({ id: 'x', role: 'admin' }, task)).toBe(true);
    expect(canAccess({ id: 'x', role: 'user' }, task)).toBe(false);
    expect(canAccess({ id: 'x', role: 'auditor' }, task)).toBe(false);
  });

  it('should set completedAt when done, keep an existing one, and clear it otherwise', () => {
    const earlier = new Date('2026-01-01T00:00:00Z');
    expect(completedAtFor('done', null, now)).toBe(now);
    expect(completedAtFor('done', earlier, now)).toBe(earlier);
    expect(completedAtFor('review', earlier, now)).toBeNull();
  });
});
