import { Controller } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import {
  AssignTaskData,
  ChangeTaskStatusData,
  CreateTaskData,
  DeleteTaskData,
  ListTasksQuery,
  RpcContext,
  TaskErrorCodes,
  TaskIdData,
  TaskPatterns,
  TaskStatsQuery,
  UpdateTaskData,
} from '@taskflow/contracts';
import { handleRpcRequest, JwtVerifier } from '@taskflow/nest-kit';
import { TaskService } from '../../application/task.service';

/** Request/reply handlers: validate, run with the caller's correlation id, delegate to the use case. */
@Controller()
export class TaskRpcController {
  constructor(
    private readonly tasks: TaskService,
    private readonly callers: JwtVerifier,
  ) {}

  private handle<T extends object, R>(
    type: new () => T,
    request: unknown,
    run: (context: RpcContext, data: T) => Promise<R>,
  ): Promise<R> {
    return handleRpcRequest(type, request, TaskErrorCodes.validation, this.callers, run);
  }

  @MessagePattern(TaskPatterns.create)
  create(@Payload() request: unknown) {
    return this.handle(CreateTaskData, request, (context, data) => this.tasks.create(context, data));
  }

  @MessagePattern(TaskPatterns.get)
  get(@Payload() request: unknown) {
    return this.handle(TaskIdData, request, (context, data) => this.tasks.get(context, data));
  }

  @MessagePattern(TaskPatterns.update)
  update(@Payload() request: unknown) {
    return this.handle(UpdateTaskData, request, (context, data) => this.tasks.update(context, data));
  }

  @MessagePattern(TaskPatterns.changeStatus)
  changeStatus(@Payload() request: unknown) {
    return this.handle(ChangeTaskStatusData, request, (context, data) => this.tasks.changeStatus(context, data));
  }

  @MessagePattern(TaskPatterns.assign)
  assign(@Payload() request: unknown) {
    return this.handle(AssignTaskData, request, (context, data) => this.tasks.assign(context, data));
  }

  @MessagePattern(TaskPatterns.delete)
  delete(@Payload() request: unknown) {
    return this.handle(DeleteTaskData, request, (context, data) => this.tasks.delete(context, data));
  }

  @MessagePattern(TaskPatterns.restore)
  restore(@Payload() request: unknown) {
    return this.handle(TaskIdData, request, (context, data) => this.tasks.restore(context, data));
  }

  @MessagePattern(TaskPatterns.list)
  list(@Payload() request: unknown) {
    return this.handle(ListTasksQuery, request, (context, data) => this.tasks.list(context, data));
  }

  @MessagePattern(TaskPatterns.stats)
  stats(@Payload() request: unknown) {
    return this.handle(TaskStatsQuery, request, (context, data) => this.tasks.stats(context, data));
  }
}
