import { Controller, UseFilters } from '@nestjs/common';
import { MessagePattern, Payload } from '@nestjs/microservices';
import { RpcContext, RpcDefinition, UserErrorCodes, UserRpc } from '@taskflow/contracts';
import { handleRpcRequest, JwtVerifier } from '@taskflow/nest-kit';
import { UserService } from '../../application/user.service';
import { UserRpcErrorFilter } from './user-rpc-error.filter';

/** The `UserRpc` request/reply handlers: validate, then call the use case. */
@Controller()
@UseFilters(UserRpcErrorFilter)
export class UserRpcController {
  constructor(
    private readonly users: UserService,
    private readonly callers: JwtVerifier,
  ) {}

  @MessagePattern(UserRpc.register.pattern)
  register(@Payload() request: unknown) {
    return this.handle(UserRpc.register, request, (ctx, data) => this.users.register(ctx, data));
  }

  @MessagePattern(UserRpc.authenticate.pattern)
  authenticate(@Payload() request: unknown) {
    return this.handle(UserRpc.authenticate, request, (ctx, data) => this.users.authenticate(ctx, data));
  }

  @MessagePattern(UserRpc.recordLogout.pattern)
  recordLogout(@Payload() request: unknown) {
    return this.handle(UserRpc.recordLogout, request, (ctx, data) => this.users.recordLogout(ctx, data));
  }

  @MessagePattern(UserRpc.getById.pattern)
  getById(@Payload() request: unknown) {
    return this.handle(UserRpc.getById, request, (ctx, data) => this.users.getById(ctx, data));
  }

  @MessagePattern(UserRpc.getManyByIds.pattern)
  getManyByIds(@Payload() request: unknown) {
    return this.handle(UserRpc.getManyByIds, request, (ctx, data) => this.users.getManyByIds(ctx, data));
  }

  @MessagePattern(UserRpc.updateProfile.pattern)
  updateProfile(@Payload() request: unknown) {
    return this.handle(UserRpc.updateProfile, request, (ctx, data) => this.users.updateProfile(ctx, data));
  }

  @MessagePattern(UserRpc.changeRole.pattern)
  changeRole(@Payload() request: unknown) {
    return this.handle(UserRpc.changeRole, request, (ctx, data) => this.users.changeRole(ctx, data));
  }

  @MessagePattern(UserRpc.list.pattern)
  list(@Payload() request: unknown) {
    return this.handle(UserRpc.list, request, (ctx, data) => this.users.list(ctx, data));
  }

  private async handle<T extends object, R>(
    rpc: RpcDefinition<T, R>,
    request: unknown,
    useCase: (ctx: RpcContext, data: T) => Promise<R>,
  ): Promise<R> {
    return handleRpcRequest(rpc, request, UserErrorCodes.validation, this.callers, useCase);
  }
}
