import { Controller, UseFilters } from '@nestjs/common';
import { Ctx, MessagePattern, Payload, TcpContext } from '@nestjs/microservices';
import {
  AuthenticateData,
  ChangeRoleData,
  GetUserByIdData,
  GetUsersByIdsData,
  ListUsersQuery,
  RecordLogoutData,
  RegisterUserData,
  RpcContext,
  UpdateProfileData,
  UserErrorCodes,
  UserPatterns,
} from '@taskflow/contracts';
import { handleRpcRequest, JwtVerifier } from '@taskflow/nest-kit';
import { UserService } from '../../application/user.service';
import { AuthenticateThrottle } from './authenticate-throttle';
import { UserRpcErrorFilter } from './user-rpc-error.filter';

/** The `UserPatterns` request/reply handlers: validate, then call the use case. */
@Controller()
@UseFilters(UserRpcErrorFilter)
export class UserRpcController {
  constructor(
    private readonly users: UserService,
    private readonly callers: JwtVerifier,
    private readonly throttle: AuthenticateThrottle,
  ) {}

  @MessagePattern(UserPatterns.register)
  register(@Payload() request: unknown) {
    return this.handle(request, RegisterUserData, (ctx, data) => this.users.register(ctx, data));
  }

  @MessagePattern(UserPatterns.authenticate)
  authenticate(@Payload() request: unknown, @Ctx() transport: TcpContext) {
    // The peer address of the connection, not `context.ipAddress`: that one is the caller's say-so.
    const source = transport.getSocketRef().netSocket.remoteAddress ?? 'unknown';
    return this.handle(request, AuthenticateData, async (ctx, data) => {
      await this.throttle.hit(data.email, source);
      return this.users.authenticate(ctx, data);
    });
  }

  @MessagePattern(UserPatterns.recordLogout)
  recordLogout(@Payload() request: unknown) {
    return this.handle(request, RecordLogoutData, (ctx, data) => this.users.recordLogout(ctx, data));
  }

  @MessagePattern(UserPatterns.getById)
  getById(@Payload() request: unknown) {
    return this.handle(request, GetUserByIdData, (ctx, data) => this.users.getById(ctx, data));
  }

  @MessagePattern(UserPatterns.getManyByIds)
  getManyByIds(@Payload() request: unknown) {
    return this.handle(request, GetUsersByIdsData, (ctx, data) => this.users.getManyByIds(ctx, data));
  }

  @MessagePattern(UserPatterns.updateProfile)
  updateProfile(@Payload() request: unknown) {
    return this.handle(request, UpdateProfileData, (ctx, data) => this.users.updateProfile(ctx, data));
  }

  @MessagePattern(UserPatterns.changeRole)
  changeRole(@Payload() request: unknown) {
    return this.handle(request, ChangeRoleData, (ctx, data) => this.users.changeRole(ctx, data));
  }

  @MessagePattern(UserPatterns.list)
  list(@Payload() request: unknown) {
    return this.handle(request, ListUsersQuery, (ctx, data) => this.users.list(ctx, data));
  }

  private async handle<T extends object, R>(
    request: unknown,
    type: new () => T,
    useCase: (ctx: RpcContext, data: T) => Promise<R>,
  ): Promise<R> {
    return handleRpcRequest(type, request, UserErrorCodes.validation, this.callers, useCase);
  }
}
