import { MessagePattern, Payload } from '@nestjs/microservices';
import { RpcContext, RpcDefinition, TaskErrorCodes, TaskRpc } from '@taskflow/contracts';
import { handleRpcRequest, JwtVerifier, RpcController } from '@taskflow/nest-kit';
import { TaskService } from '../../application/task.service';

/** Request/reply handlers: validate, run with the caller's correlation id, delegate to the use case. */
@RpcController()
export class TaskRpcController {
  constructor(
    private readonly tasks: TaskService,
    private readonly callers: JwtVerifier,
  ) {}

  private handle<T extends object, R>(
    rpc: RpcDefinition<T, R>,
    request: unknown,
    run: (context: RpcContext, data: T) => Promise<R>,
  ): Promise<R> {
    return handleRpcRequest(rpc, request, TaskErrorCodes.validation, this.callers, run);
  }

  @MessagePattern(TaskRpc.create.pattern)
  create(@Payload() request: unknown) {
    return this.handle(TaskRpc.create, request, (context, data) => this.tasks.create(context, data));
  }

  @MessagePattern(TaskRpc.get.pattern)
  get(@Payload() request: unknown) {
    return this.handle(TaskRpc.get, request, (context, data) => this.tasks.get(context, data));
  }

  @MessagePattern(TaskRpc.update.pattern)
  update(@Payload() request: unknown) {
    return this.handle(TaskRpc.update, request, (context, data) => this.tasks.update(context, data));
  }

  @MessagePattern(TaskRpc.changeStatus.pattern)
  changeStatus(@Payload() request: unknown) {
    return this.handle(TaskRpc.changeStatus, request, (context, data) => this.tasks.changeStatus(context, data));
  }

  @MessagePattern(TaskRpc.assign.pattern)
  assign(@Payload() request: unknown) {
    return this.handle(TaskRpc.assign, request, (context, data) => this.tasks.assign(context, data));
  }

  @MessagePattern(TaskRpc.delete.pattern)
  delete(@Payload() request: unknown) {
    return this.handle(TaskRpc.delete, request, (context, data) => this.tasks.delete(context, data));
  }

  @MessagePattern(TaskRpc.restore.pattern)
  restore(@Payload() request: unknown) {
    return this.handle(TaskRpc.restore, request, (context, data) => this.tasks.restore(context, data));
  }

  @MessagePattern(TaskRpc.list.pattern)
  list(@Payload() request: unknown) {
    return this.handle(TaskRpc.list, request, (context, data) => this.tasks.list(context, data));
  }

  @MessagePattern(TaskRpc.stats.pattern)
  stats(@Payload() request: unknown) {
    return this.handle(TaskRpc.stats, request, (context, data) => this.tasks.stats(context, data));
  }
}
