import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import { UserView } from '@taskflow/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cacheStatus } from '../http/http-caching';
import { rpcContext } from '../http/rpc-context';
import { Idempotent, NoIdempotency } from '../http/idempotency.interceptor';
import { ApiProblemResponses, PROBLEM_CONTENT } from '../http/problem-responses';
import { UsersService } from '../users/users.service';
import { AuthUser, CurrentUser, LoginThrottle, Public } from './auth.decorators';
import {
  IdentityResponseDto,
  LoginRequestDto,
  RefreshRequestDto,
  RegisterRequestDto,
  TokenResponseDto,
} from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@ApiProblemResponses(400, 401, 429, 503)
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('register')
  @ApiOperation({ summary: 'Register an account', security: [] })
  @ApiResponse({ status: 201, type: UserView, description: 'The new account (role `user`).' })
  @ApiResponse({ status: 409, description: 'The email is taken (any case).', content: PROBLEM_CONTENT })
  @Public()
  @LoginThrottle()
  @Idempotent()
  register(@Body() body: RegisterRequestDto, @Req() request: FastifyRequest) {
    return this.auth.register(body, rpcContext(request));
  }

  /** Tokens are never stored for replay, so the token routes ignore Idempotency-Key. */
  @Post('login')
  @ApiOperation({ summary: 'Log in: access and refresh tokens', security: [] })
  @HttpCode(200)
  @Public()
  @LoginThrottle()
  @NoIdempotency()
  @ApiOkResponse({ type: TokenResponseDto })
  login(@Body() body: LoginRequestDto, @Req() request: FastifyRequest) {
    return this.auth.login(body, rpcContext(request));
  }

  @Post('refresh')
  @ApiOperation({ summary: 'Rotate the refresh token', security: [] })
  @HttpCode(200)
  @Public()
  @NoIdempotency()
  @ApiOkResponse({ type: TokenResponseDto })
  refresh(@Body() body: RefreshRequestDto, @Req() request: FastifyRequest) {
    return this.auth.refresh(body.refreshToken, rpcContext(request));
  }

  @Post('logout')
  @ApiOperation({ summary: 'End the session' })
  @ApiResponse({ status: 204, description: 'The session and its refresh token are revoked.' })
  @HttpCode(204)
  @NoIdempotency()
  @ApiBearerAuth()
  async logout(@CurrentUser() user: AuthUser, @Req() request: FastifyRequest) {
    await this.auth.logout(user, rpcContext(request, user));
  }

  @Get('me')
  @ApiOperation({ summary: "The caller's identity and role" })
  @ApiOkResponse({ type: IdentityResponseDto })
  @ApiBearerAuth()
  async me(
    @CurrentUser() user: AuthUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { value, cache } = await this.users.profile(user.id, rpcContext(request, user));
    void reply.header('Cache-Status', cacheStatus(cache));
    return { ...value, sessionId: user.sessionId };
  }
}
