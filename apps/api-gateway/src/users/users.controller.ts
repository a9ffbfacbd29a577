import { Body, Controller, Get, Param, Patch, Query, Req, Res } from '@nestjs/common';
import { ApiBearerAuth, ApiOkResponse, ApiOperation, ApiParam, ApiTags } from '@nestjs/swagger';
import { UserPage, UserView } from '@taskflow/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthUser, CurrentUser, RequirePermission } from '../auth/auth.decorators';
import { cacheStatus } from '../http/http-caching';
import { ApiProblemResponses } from '../http/problem-responses';
import { rpcContext } from '../http/rpc-context';
import { UuidParam } from '../http/uuid-param.pipe';
import { ChangeRoleRequestDto, ListUsersQueryDto, ProfileDto } from './users.dto';
import { UsersService } from './users.service';

@ApiTags('users')
@ApiBearerAuth()
@ApiProblemResponses(400, 401, 403, 404, 429, 503)
@Controller('users')
export class UsersController {
  constructor(private readonly users: UsersService) {}

  @Get('me')
  @ApiOperation({ summary: "The caller's profile" })
  @ApiOkResponse({ type: UserView })
  async me(
    @CurrentUser() user: AuthUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { value, cache } = await this.users.profile(user.id, rpcContext(request, user));
    void reply.header('Cache-Status', cacheStatus(cache));
    return value;
  }

  @Patch('me')
  @ApiOperation({ summary: "Update the caller's profile" })
  @ApiOkResponse({ type: UserView })
  updateMe(@CurrentUser() user: AuthUser, @Body() body: ProfileDto, @Req() request: FastifyRequest) {
    return this.users.updateProfile(user.id, body, rpcContext(request, user));
  }

  @Get()
  @ApiOperation({ summary: 'List users (admin)' })
  @ApiOkResponse({ type: UserPage })
  @RequirePermission('user:list')
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListUsersQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { value, cache } = await this.users.list(query, rpcContext(request, user));
    void reply.header('Cache-Status', cacheStatus(cache));
    return value;
  }

  @Patch(':id/role')
  @ApiOperation({ summary: "Change a user's role (admin)" })
  @ApiOkResponse({ type: UserView })
  @ApiParam({ name: 'id', format: 'uuid' })
  @RequirePermission('user:change-role')
  changeRole(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: ChangeRoleRequestDto,
    @Req() request: FastifyRequest,
  ) {
    return this.users.changeRole(id, body.role, rpcContext(request, user));
  }
}
