import { idempotentRequest, requestFingerprint } from './idempotency-records';

describe('idempotency request', () => {
  it('should fingerprint the operation and data regardless of key order', () => {
    const a = requestFingerprint('task.create', { title: 'x', priority: 'high' });
    expect(requestFingerprint('task.create', { priority: 'high', title: 'x' })).toBe(a);
    expect(requestFingerprint('task.restore', { title: 'x', priority: 'high' })).not.toBe(a);
    expect(requestFingerprint('task.create', { title: 'y', priority: 'high' })).not.toBe(a);
    expect(a).toMatch(/^[0-9a-f]{32}$/);
  });

  it("should scope a key to the caller's user id, an anonymous caller to its address, and need a key", () => {
    const actor = { id: '6f1c1f9e-7a43-4a3e-9c9a-0e8a0c1b2d3e', role: 'user' as const };
    expect(idempotentRequest({ actor, idempotencyKey: 'k' }, 'task.create', {})).toMatchObject({
      scope: actor.id,
      key: 'k',
    });
    expect(idempotentRequest({ ipAddress: '10.0.0.1', idempotencyKey: 'k' }, 'user.register', {})?.scope).toBe(
      'anonymous:10.0.0.1',
    );
    expect(idempotentRequest({ actor }, 'task.create', {})).toBeUndefined();
  });
});
