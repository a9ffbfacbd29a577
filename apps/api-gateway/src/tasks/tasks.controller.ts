import {
  applyDecorators,
  Body,
  Controller,
  Delete,
  Get,
  Headers,
  HttpCode,
  Param,
  Patch,
  Post,
  Query,
  Req,
  Res,
} from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiParam, ApiResponse, ApiTags } from '@nestjs/swagger';
import { CacheKeys } from '@taskflow/cache';
import { TaskPage, TaskRpc, TaskStats, TaskView } from '@taskflow/contracts';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { AuthUser, CurrentUser } from '../auth/auth.decorators';
import { cacheStatus, etagOf, noneMatch } from '../http/http-caching';
import { Idempotent } from '../http/idempotency.interceptor';
import { ApiProblemResponses, PROBLEM_CONTENT } from '../http/problem-responses';
import { PrefetchCache, prefetched } from '../http/prefetch';
import { rpcContext } from '../http/rpc-context';
import { isUuid, UuidParam } from '../http/uuid-param.pipe';
import {
  AssignTaskRequestDto,
  ChangeStatusRequestDto,
  CreateTaskRequestDto,
  ListTasksQueryDto,
  SearchTasksQueryDto,
  UpdateTaskRequestDto,
} from './tasks.dto';
import { TasksService, VersionedTaskWrite } from './tasks.service';

/** `task:{id}` of a GET /tasks/:id, read by the guard together with the session (one round trip). */
function taskKeyOf(request: FastifyRequest): string | undefined {
  const { id } = request.params as { id?: string };
  return isUuid(id) ? CacheKeys.task(id.toLowerCase()) : undefined;
}

const ID_PARAM = { name: 'id', format: 'uuid' };
const IF_MATCH = {
  name: 'If-Match',
  required: false,
  description:
    'Strong ETag of the version you read, e.g. `"v3"`, or a list of them (`"v3", "v4"`: the write proceeds when ' +
    'any is the current version; RFC 9110 §13.1.1). `*` skips the version check: the write applies to whatever ' +
    'version is stored (last writer wins). Anything else is 400.',
};
/** The answers of a versioned write: the task, or a version problem (problem+json). */
const VersionedWriteResponses = () =>
  applyDecorators(
    ApiResponse({ status: 200, type: TaskView, description: 'The task as changed; `ETag` its version.' }),
    ApiResponse({
      status: 409,
      description: 'Stale body `version`; `currentVersion` holds the stored one.',
      content: PROBLEM_CONTENT,
    }),
    ApiResponse({
      status: 412,
      description: 'No tag in If-Match is the stored version.',
      content: PROBLEM_CONTENT,
    }),
    ApiResponse({
      status: 428,
      description: 'Neither If-Match nor a body `version` (RFC 6585).',
      content: PROBLEM_CONTENT,
    }),
  );

@ApiTags('tasks')
@ApiBearerAuth()
@ApiProblemResponses(400, 401, 403, 404, 429, 503)
@Controller('tasks')
export class TasksController {
  constructor(private readonly tasks: TasksService) {}

  @Post()
  @ApiOperation({ summary: 'Create a task' })
  @ApiResponse({ status: 201, type: TaskView, description: 'The task; `Location` its URL, `ETag` its version.' })
  @Idempotent()
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async create(
    @CurrentUser() user: AuthUser,
    @Body() body: CreateTaskRequestDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const task = await this.tasks.create(body, user, rpcContext(request, user));
    void reply.header('ETag', etagOf(task.version)).header('Location', `/api/v1/tasks/${task.id}`);
    return task;
  }

  @Get()
  @ApiOperation({ summary: 'List visible tasks (keyset pages)' })
  @ApiResponse({ status: 200, type: TaskPage })
  async list(
    @CurrentUser() user: AuthUser,
    @Query() query: ListTasksQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { value, cache } = await this.tasks.list(query, user, rpcContext(request, user));
    void reply.header('Cache-Status', cacheStatus(cache));
    return value;
  }

  @Get('search')
  @ApiOperation({ summary: 'Search visible tasks by text' })
  @ApiResponse({ status: 200, type: TaskPage })
  async search(
    @CurrentUser() user: AuthUser,
    @Query() query: SearchTasksQueryDto,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { value, cache } = await this.tasks.search(query, user, rpcContext(request, user));
    void reply.header('Cache-Status', cacheStatus(cache));
    return value;
  }

  @Get('stats/me')
  @ApiOperation({ summary: 'Task counts of the caller' })
  @ApiResponse({ status: 200, type: TaskStats })
  async stats(
    @CurrentUser() user: AuthUser,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { value, cache } = await this.tasks.stats(user, rpcContext(request, user));
    void reply.header('Cache-Status', cacheStatus(cache));
    return value;
  }

  @Get(':id')
  @ApiOperation({ summary: 'Read a task' })
  @ApiResponse({ status: 200, type: TaskView, description: 'The task; `ETag` its version.' })
  @ApiResponse({ status: 304, description: 'If-None-Match holds the current version.' })
  @ApiParam(ID_PARAM)
  @ApiHeader({ name: 'If-None-Match', required: false })
  @PrefetchCache(taskKeyOf)
  async get(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const prefetch = prefetched(request, CacheKeys.task(id));
    const { value, cache } = await this.tasks.get(id, user, rpcContext(request, user), prefetch);
    void reply.header('ETag', etagOf(value.version)).header('Cache-Status', cacheStatus(cache));
    if (noneMatch(ifNoneMatch, value.version)) {
      void reply.status(304);
      return '';
    }
    return value;
  }

  @Patch(':id')
  @ApiOperation({ summary: 'Update a task (If-Match or version required)' })
  @VersionedWriteResponses()
  @ApiParam(ID_PARAM)
  @ApiHeader(IF_MATCH)
  update(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: UpdateTaskRequestDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.versioned(TaskRpc.update, id, body, ifMatch, user, request, reply);
  }

  @Patch(':id/status')
  @ApiOperation({ summary: "Change a task's status" })
  @VersionedWriteResponses()
  @ApiParam(ID_PARAM)
  @ApiHeader(IF_MATCH)
  changeStatus(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: ChangeStatusRequestDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.versioned(TaskRpc.changeStatus, id, body, ifMatch, user, request, reply);
  }

  @Patch(':id/assignee')
  @ApiOperation({ summary: 'Assign or unassign a task' })
  @VersionedWriteResponses()
  @ApiResponse({
    status: 403,
    description:
      "Only the creator or an admin may assign the task to someone else (it would leave the assignee's view).",
    content: PROBLEM_CONTENT,
  })
  @ApiParam(ID_PARAM)
  @ApiHeader(IF_MATCH)
  assign(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Body() body: AssignTaskRequestDto,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    return this.versioned(TaskRpc.assign, id, body, ifMatch, user, request, reply);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a task (soft)',
    description:
      'Its creator, its assignee or an admin may delete (and restore) a task, as they may change it; only the creator ' +
      'or an admin may give it to someone else (PATCH /tasks/{id}/assignee).',
  })
  @ApiResponse({ status: 204, description: 'Deleted; `POST /tasks/{id}/restore` brings it back.' })
  @ApiParam(ID_PARAM)
  @HttpCode(204)
  @ApiHeader(IF_MATCH)
  async remove(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Headers('if-match') ifMatch: string | undefined,
    @Req() request: FastifyRequest,
  ) {
    await this.tasks.write(TaskRpc.delete, id, {}, ifMatch, user, rpcContext(request, user), false);
  }

  @Post(':id/restore')
  @ApiOperation({ summary: 'Restore a deleted task' })
  @Idempotent()
  @ApiResponse({ status: 200, type: TaskView, description: 'The restored task; `ETag` its version.' })
  @ApiResponse({ status: 409, description: 'The task is not deleted (`TASK.NOT_DELETED`).', content: PROBLEM_CONTENT })
  @ApiParam(ID_PARAM)
  @HttpCode(200)
  @ApiHeader({ name: 'Idempotency-Key', required: false })
  async restore(
    @CurrentUser() user: AuthUser,
    @Param('id', UuidParam) id: string,
    @Req() request: FastifyRequest,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const task = await this.tasks.restore(id, user, rpcContext(request, user));
    void reply.header('ETag', etagOf(task.version));
    return task;
  }

  private async versioned(
    rpc: VersionedTaskWrite,
    id: string,
    body: object,
    ifMatch: string | undefined,
    user: AuthUser,
    request: FastifyRequest,
    reply: FastifyReply,
  ): Promise<TaskView | undefined> {
    const task = await this.tasks.write(rpc, id, body, ifMatch, user, rpcContext(request, user));
    if (task) void reply.header('ETag', etagOf(task.version));
    return task;
  }
}
