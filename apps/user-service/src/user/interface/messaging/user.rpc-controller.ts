import { Ctx, MessagePattern, Payload, TcpContext } from '@nestjs/microservices';
import { RpcContext, RpcDefinition, UserErrorCodes, UserRpc } from '@taskflow/contracts';
import { handleRpcRequest, JwtVerifier, RpcController } from '@taskflow/nest-kit';
import { UserService } from '../../application/user.service';
import { AuthenticateThrottle } from './authenticate-throttle';

/** The `UserRpc` request/reply handlers: validate, then call the use case. */
@RpcController()
export class UserRpcController {
  constructor(
    private readonly users: UserService,
    private readonly callers: JwtVerifier,
    private readonly throttle: AuthenticateThrottle,
  ) {}

  @MessagePattern(UserRpc.register.pattern)
  register(@Payload() request: unknown) {
    return this.handle(UserRpc.register, request, (ctx, data) => this.users.register(ctx, data));
  }

  @MessagePattern(UserRpc.authenticate.pattern)
  authenticate(@Payload() request: unknown, @Ctx() transport: TcpContext) {
    // The peer address of the connection, not `context.ipAddress`: that one is the caller's say-so.
    const source = transport.getSocketRef().netSocket.remoteAddress ?? 'unknown';
    return this.handle(UserRpc.authenticate, request, async (ctx, data) => {
      await this.throttle.hit(data.email, source);
      return this.users.authenticate(ctx, data);
    });
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
