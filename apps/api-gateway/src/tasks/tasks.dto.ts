import { ApiProperty, ApiPropertyOptional, IntersectionType, OmitType } from '@nestjs/swagger';
import {
  AssignTaskData,
  ChangeTaskStatusData,
  CreateTaskData,
  DATE_TIME_TEXT,
  ListTasksQuery,
  TASK_PRIORITIES,
  TASK_QUERY,
  TASK_SORT_FIELDS,
  TASK_STATUSES,
  TaskFields,
  UpdateTaskData,
} from '@taskflow/contracts';
import { Transform } from 'class-transformer';

// The gateway's request classes are the contract's RPC classes (libs/contracts TaskRpc) without what the path or
// the If-Match header carries: their rules and OpenAPI schema come from the field definitions (TaskFields).
const bool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** No creator, version or timestamps: the service sets them (mass assignment is rejected with 400). */
export class CreateTaskRequestDto extends CreateTaskData {}

/**
 * Optimistic locking: send `If-Match: "v<version>"` (mismatch → 412) or `version` (stale → 409); neither → 428.
 */
class VersionedDto {
  @ApiPropertyOptional({ minimum: 1, description: 'The version you read; alternative to If-Match.' })
  @TaskFields.version.optional()
  version?: number;
}

/** Absent fields are kept; `null` clears `description` and `dueDate` (title and priority cannot be null). */
export class UpdateTaskRequestDto extends IntersectionType(
  OmitType(UpdateTaskData, ['id', 'version'] as const),
  VersionedDto,
) {}

export class ChangeStatusRequestDto extends IntersectionType(
  OmitType(ChangeTaskStatusData, ['id', 'version'] as const),
  VersionedDto,
) {}

/** `assigneeId: null` unassigns. */
export class AssignTaskRequestDto extends IntersectionType(
  OmitType(AssignTaskData, ['id', 'version'] as const),
  VersionedDto,
) {}

/**
 * The RPC's query class (its rules, once) without `q`, which only search takes; `overdue` arrives as the text
 * `true`/`false`; what the rules do not say of a parameter is documented below.
 */
export class ListTasksQueryDto extends OmitType(ListTasksQuery, ['q'] as const) {}
Transform(bool)(ListTasksQueryDto.prototype, 'overdue');
const LIST_DOCS: Record<string, Parameters<typeof ApiPropertyOptional>[0]> = {
  status: {
    description: 'Comma-separated statuses, e.g. `todo,review` (any of them matches).',
    type: 'array',
    items: { type: 'string', enum: [...TASK_STATUSES] },
  },
  priority: {
    description: 'Comma-separated priorities, e.g. `high,urgent` (any of them matches).',
    type: 'array',
    items: { type: 'string', enum: [...TASK_PRIORITIES] },
  },
  dueBefore: { description: `Due strictly before; ${DATE_TIME_TEXT}.` },
  dueAfter: { description: `Due strictly after; ${DATE_TIME_TEXT}.` },
  overdue: { type: Boolean },
  sort: { enum: TASK_SORT_FIELDS },
  order: { enum: ['asc', 'desc'] },
  cursor: { description: 'Opaque, from the previous page.' },
};
for (const [name, doc] of Object.entries(LIST_DOCS)) ApiPropertyOptional(doc)(ListTasksQueryDto.prototype, name);

export class SearchTasksQueryDto extends ListTasksQueryDto {
  @ApiProperty({ description: 'Text to find in title and description.' })
  @TASK_QUERY.required()
  q!: string;
}
