import { Inject, Injectable } from '@nestjs/common';
import { CommonErrorCodes, RpcContext, UserRpc, UserView } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import { GATEWAY_CONFIG, GatewayConfig } from '../config/gateway.config';
import { ProblemException } from '../http/problem.exception';
import { LOGGER } from '../infrastructure/redis.module';
import { ServiceClients } from '../infrastructure/service-clients';
import { TasksService } from '../tasks/tasks.service';
import { UsersService } from '../users/users.service';
import { AccessTokens } from './access-tokens';
import { AuthUser } from './auth.decorators';
import { PermissionsStore } from './permissions';
import { LoginRequestDto, RegisterRequestDto, TokenResponseDto } from './auth.dto';
import { SessionStore, SessionStoreUnavailable } from './session.store';

const invalidRefreshToken = () =>
  new ProblemException(401, CommonErrorCodes.invalidRefreshToken, 'The refresh token is invalid or used.');

const sessionStoreDown = () =>
  new ProblemException(503, CommonErrorCodes.sessionStoreUnavailable, 'Sessions cannot be created right now.', {
    'Retry-After': '5',
  });

@Injectable()
export class AuthService {
  constructor(
    private readonly clients: ServiceClients,
    private readonly sessions: SessionStore,
    private readonly tokens: AccessTokens,
    private readonly users: UsersService,
    private readonly tasks: TasksService,
    private readonly permissions: PermissionsStore,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async register(body: RegisterRequestDto, context: RpcContext): Promise<UserView> {
    const user = await this.clients.users.call(UserRpc.register, { ...body }, context);
    await this.users.listChanged();
    return user;
  }

  async login(body: LoginRequestDto, context: RpcContext): Promise<TokenResponseDto> {
    // A login that cannot be recorded as a session would hand out a token nobody can revoke.
    if (!this.sessions.available) throw sessionStoreDown();
    const sessionId = randomUUID();
    const user = await this.clients.users.call(
      UserRpc.authenticate,
      { email: body.email, password: body.password, sessionId },
      { ...context, sessionId },
    );
    const tokens = await this.issue(sessionId, user.id, user.role);
    const authUser: AuthUser = { id: user.id, role: user.role, sessionId };
    const warmContext = { ...context, actor: { id: user.id, role: user.role }, sessionId };
    void this.warm(authUser, warmContext);
    return tokens;
  }

  /** Rotates the refresh token and re-reads the role, so a role change applies from the next refresh. */
  async refresh(refreshToken: string, context: RpcContext): Promise<TokenResponseDto> {
    let claimed;
    try {
      claimed = await this.sessions.claimRefresh(refreshToken);
    } catch (error) {
      if (error instanceof SessionStoreUnavailable) throw sessionStoreDown();
      throw error;
    }
    if (!claimed) throw invalidRefreshToken();
    const { sessionId, session } = claimed;
    const user = await this.clients.users.call(
      UserRpc.getById,
      { id: session.userId },
      { ...context, actor: { id: session.userId, role: session.role }, sessionId },
    );
    return this.issue(sessionId, user.id, user.role, new Date(session.createdAt), session.usedRefreshHashes ?? []);
  }

  async logout(user: AuthUser, context: RpcContext): Promise<void> {
    try {
      await this.sessions.end(user.sessionId);
    } catch {
      throw sessionStoreDown();
    }
    await this.clients.users
      .call(UserRpc.recordLogout, { userId: user.id, sessionId: user.sessionId }, context)
      .catch((error: AppError) => this.logger.warn({ err: error.message }, 'logout not recorded by user-service'));
  }

  /** Starts or rotates a session with the role just read from user-service (also stored as the user's permissions). */
  private async issue(
    sessionId: string,
    userId: string,
    role: AuthUser['role'],
    createdAt?: Date,
    usedRefreshHashes?: string[],
  ) {
    let refreshToken: string | undefined;
    try {
      refreshToken = await this.sessions.save(sessionId, userId, role, createdAt, usedRefreshHashes);
    } catch {
      throw sessionStoreDown();
    }
    if (!refreshToken) throw invalidRefreshToken();
    await this.permissions.store(userId, role);
    return {
      accessToken: this.tokens.sign({ sub: userId, role, sid: sessionId }),
      tokenType: 'Bearer' as const,
      expiresIn: this.config.auth.accessTtlSeconds,
      refreshToken,
    };
  }

  private async warm(user: AuthUser, context: RpcContext): Promise<void> {
    await Promise.allSettled([this.users.profile(user.id, context), this.tasks.warm(user, context)]);
  }
}
