/**
 * Request/reply message patterns between the gateway and the services (@nestjs/microservices, TCP).
 * Every request carries an `RpcContext` so services authorise on their own and propagate the correlation id.
 */
export const UserPatterns = {
  register: 'user.register',
  authenticate: 'user.authenticate',
  recordLogout: 'user.record_logout',
  getById: 'user.get_by_id',
  getManyByIds: 'user.get_many_by_ids',
  updateProfile: 'user.update_profile',
  changeRole: 'user.change_role',
  list: 'user.list',
} as const;

export const TaskPatterns = {
  create: 'task.create',
  get: 'task.get',
  update: 'task.update',
  changeStatus: 'task.change_status',
  assign: 'task.assign',
  delete: 'task.delete',
  restore: 'task.restore',
  list: 'task.list',
  stats: 'task.stats',
} as const;

/** Who is asking, and the request facts that end up in event metadata. */
export interface RpcContext {
  /** Absent for anonymous operations (register, authenticate). */
  actor?: { id: string; role: 'user' | 'admin' | 'auditor' };
  correlationId?: string;
  sessionId?: string;
  ipAddress?: string;
  userAgent?: string;
}

/** Every RPC request body: the context plus the operation's own data. */
export interface RpcRequest<T> {
  context: RpcContext;
  data: T;
}
