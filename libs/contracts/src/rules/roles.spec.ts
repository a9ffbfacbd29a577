import { canAccessTask } from './task-rules';
import { hasPermission, isUserRole, Permission, ROLE_PERMISSIONS, USER_ROLES } from './roles';

const OWN_WORK: Permission[] = [
  'task:create',
  'task:read',
  'task:update',
  'task:delete',
  'profile:read',
  'profile:update',
];
const EXPECTED: Record<(typeof USER_ROLES)[number], Permission[]> = {
  user: OWN_WORK,
  auditor: [...OWN_WORK, 'audit:read'],
  admin: [...OWN_WORK, 'audit:read', 'audit:admin', 'task:all', 'user:list', 'user:change-role', 'user:manage'],
};
const EVERY_PERMISSION = [...new Set(Object.values(EXPECTED).flat())];

describe('roles and permissions', () => {
  it('should know exactly the three roles of the user_role enum', () => {
    expect([...USER_ROLES].sort()).toEqual(['admin', 'auditor', 'user']);
  });

  it.each(USER_ROLES)('should grant the %s role exactly its permissions', (role) => {
    expect([...ROLE_PERMISSIONS[role]].sort()).toEqual([...EXPECTED[role]].sort());
    for (const permission of EVERY_PERMISSION) {
      expect({ permission, granted: hasPermission(role, permission) }).toEqual({
        permission,
        granted: EXPECTED[role].includes(permission),
      });
    }
  });

  it.each(['', 'Admin', 'ADMIN', 'root', 'toString', '__proto__', 'constructor'])(
    'should grant an unknown role (%j) no permission',
    (role) => {
      expect(isUserRole(role)).toBe(false);
      expect(EVERY_PERMISSION.filter((permission) => hasPermission(role, permission))).toEqual([]);
    },
  );

  it('should let task:all decide who sees tasks of others', () => {
    const task = { creatorId: 'creator', assigneeId: 'assignee' };
    expect(USER_ROLES.filter((role) => canAccessTask({ id: 'someone-else', role }, task))).toEqual(['admin']);
    expect(canAccessTask({ id: 'creator', role: 'unknown' }, task)).toBe(true);
    expect(canAccessTask({ id: 'someone-else', role: 'unknown' }, task)).toBe(false);
  });
});
