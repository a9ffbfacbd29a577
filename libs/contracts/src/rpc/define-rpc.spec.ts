import { RpcAnswer, RpcData, RpcDefinition } from './define-rpc';
import { TaskRpc, TaskStats, TaskView } from './task.rpc';
import { UserRpc } from './user.rpc';

// The compiler is the test here (`npm run typecheck` runs over spec files): each @ts-expect-error line must fail
// to compile, or the typecheck fails with "Unused '@ts-expect-error' directive".
function call<Req extends object, Res>(_rpc: RpcDefinition<Req, Res>, _data: Req): Res {
  return undefined as unknown as Res;
}

describe('defineRpc', () => {
  it('should carry the pattern and the request class at run time', () => {
    expect(TaskRpc.create.pattern).toBe('task.create');
    expect(new TaskRpc.get.request()).toBeInstanceOf(Object);
    const patterns = [...Object.values(TaskRpc), ...Object.values(UserRpc)].map((rpc) => rpc.pattern);
    expect(new Set(patterns).size).toBe(patterns.length);
    expect(Object.isFrozen(UserRpc.register)).toBe(true);
  });

  it('should type the data and the answer of each operation', () => {
    const view: TaskView | undefined = call(TaskRpc.get, { id: 'x' });
    // @ts-expect-error task.get answers a TaskView, not TaskStats
    const stats: TaskStats = call(TaskRpc.get, { id: 'x' });
    // @ts-expect-error task.get requires `id`
    call(TaskRpc.get, {});
    const data: RpcData<typeof UserRpc.changeRole> = { userId: 'u', role: 'admin' };
    // @ts-expect-error `role` must be one of the roles
    const wrong: RpcData<typeof UserRpc.changeRole> = { userId: 'u', role: 'root' };
    const answer: RpcAnswer<typeof UserRpc.getManyByIds> = [];
    expect([view, stats, data, wrong, answer]).toHaveLength(5);
  });
});
