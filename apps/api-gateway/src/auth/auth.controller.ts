import { Body, Controller, Get, HttpCode, Post, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { cacheStatus } from '../http/http-caching';
import { rpcContext } from '../http/rpc-context';
import { Idempotent, NoIdempotency } from '../http/idempotency.interceptor';
import { UsersService } from '../users/users.service';
import { AuthUser, CurrentUser, LoginThrottle, Public } from './auth.decorators';
import { LoginRequestDto, RefreshRequestDto, RegisterRequestDto, TokenResponseDto } from './auth.dto';
import { AuthService } from './auth.service';

@ApiTags('auth')
@Controller('auth')
export class AuthController {
  constructor(
    private readonly auth: AuthService,
    private readonly users: UsersService,
  ) {}

  @Post('register')
  @Public()
  @LoginThrottle()
  @Idempotent()
  register(@Body() body: RegisterRequestDto, @Req() request: FastifyRequest) {
    return this.auth.register(body, rpcContext(request));
  }

  /** Tokens are never stored for replay, so the token routes ignore Idempotency-Key. */
  @Post('login')
  @HttpCode(200)
  @Public()
  @LoginThrottle()
  @NoIdempotency()
  @ApiOkResponse({ type: TokenResponseDto })
  login(@Body() body: LoginRequestDto, @Req() request: FastifyRequest) {
    return this.auth.login(body, rpcContext(request));
  }

  @Post('refresh')
  @HttpCode(200)
  @Public()
  @NoIdempotency()
  @ApiOkResponse({ type: TokenResponseDto })
  refresh(@Body() body: RefreshRequestDto, @Req() request: FastifyRequest) {
    return this.auth.refresh(body.refreshToken, rpcContext(request));
  }

  @Post('logout')
  @HttpCode(204)
  @NoIdempotency()
  @ApiBearerAuth()
  async logout(@CurrentUser() user: AuthUser, @Req() request: FastifyRequest) {
    await this.auth.logout(user, rpcContext(request, user));
  }

  @Get('me')
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
