import { ApiProperty, ApiPropertyOptional, OmitType } from '@nestjs/swagger';
import {
  DATE_TIME_TEXT,
  TASK_DESCRIPTION_MAX,
  TASK_PAGE_MAX,
  TASK_PRIORITIES,
  TASK_QUERY,
  TASK_QUERY_MAX,
  TASK_SORT_FIELDS,
  TASK_STATUSES,
  TASK_TITLE_MAX,
  TaskFields,
  ListTasksQuery,
  TaskPriority,
  TaskStatus,
} from '@taskflow/contracts';
import { Transform } from 'class-transformer';

// The field rules are the contract's (libs/contracts TaskFields): the gateway adds only the OpenAPI
// description and what HTTP needs on top (query strings are text: lists and booleans are read here).
const LENGTH = 'Length in Unicode code points.';
const TITLE = `${LENGTH} At least one visible character: only white space (also U+3000, tabs) is 400, never trimmed.`;
const bool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** No creator, version or timestamps: the service sets them (mass assignment is rejected with 400). */
export class CreateTaskRequestDto {
  @ApiProperty({ minLength: 1, maxLength: TASK_TITLE_MAX, description: TITLE })
  @TaskFields.title.required()
  title!: string;
  @ApiPropertyOptional({ nullable: true, maxLength: TASK_DESCRIPTION_MAX, description: LENGTH })
  @TaskFields.description.optional()
  description?: string | null;
  @ApiPropertyOptional({ enum: TASK_PRIORITIES }) @TaskFields.priority.optional() priority?: TaskPriority;
  @ApiPropertyOptional({ enum: TASK_STATUSES }) @TaskFields.status.optional() status?: TaskStatus;
  @ApiPropertyOptional({ nullable: true, format: 'uuid' })
  @TaskFields.assigneeId.optional()
  assigneeId?: string | null;
  @ApiPropertyOptional({ nullable: true, format: 'date-time', description: DATE_TIME_TEXT })
  @TaskFields.dueDate.optional()
  dueDate?: string | null;
}

/**
 * Optimistic locking: send `If-Match: "v<version>"` (mismatch → 412) or `version` (stale → 409); neither → 428.
 */
class VersionedDto {
  @ApiPropertyOptional({ minimum: 1, description: 'The version you read; alternative to If-Match.' })
  @TaskFields.version.optional()
  version?: number;
}

/** Absent fields are kept; `null` clears `description` and `dueDate` (title and priority cannot be null). */
export class UpdateTaskRequestDto extends VersionedDto {
  @ApiPropertyOptional({ minLength: 1, maxLength: TASK_TITLE_MAX, description: TITLE })
  @TaskFields.title.optional()
  title?: string;
  @ApiPropertyOptional({ nullable: true, maxLength: TASK_DESCRIPTION_MAX, description: LENGTH })
  @TaskFields.description.optional()
  description?: string | null;
  @ApiPropertyOptional({ enum: TASK_PRIORITIES }) @TaskFields.priority.optional() priority?: TaskPriority;
  @ApiPropertyOptional({ nullable: true, format: 'date-time', description: DATE_TIME_TEXT })
  @TaskFields.dueDate.optional()
  dueDate?: string | null;
}

export class ChangeStatusRequestDto extends VersionedDto {
  @ApiProperty({ enum: TASK_STATUSES }) @TaskFields.status.required() status!: TaskStatus;
}

export class AssignTaskRequestDto extends VersionedDto {
  @ApiProperty({ nullable: true, format: 'uuid', description: '`null` unassigns.' })
  @TaskFields.assigneeId.required()
  assigneeId!: string | null;
}

/**
 * The RPC's query class (its rules, once) without `q`, which only search takes; `overdue` arrives as the text
 * `true`/`false` and the OpenAPI descriptions are added below.
 */
export class ListTasksQueryDto extends OmitType(ListTasksQuery, ['q'] as const) {}
Transform(bool)(ListTasksQueryDto.prototype, 'overdue');
const LIST_DOCS: Record<string, Parameters<typeof ApiPropertyOptional>[0]> = {
  status: { description: 'Comma-separated statuses.' },
  priority: { description: 'Comma-separated priorities.' },
  assigneeId: { format: 'uuid' },
  creatorId: { format: 'uuid' },
  dueBefore: { format: 'date-time', description: `Due strictly before; ${DATE_TIME_TEXT}.` },
  dueAfter: { format: 'date-time', description: `Due strictly after; ${DATE_TIME_TEXT}.` },
  overdue: { type: Boolean },
  sort: { enum: TASK_SORT_FIELDS },
  order: { enum: ['asc', 'desc'] },
  limit: { minimum: 1, maximum: TASK_PAGE_MAX, type: 'integer', description: 'Decimal digits.' },
  cursor: { description: 'Opaque, from the previous page.' },
};
for (const [name, doc] of Object.entries(LIST_DOCS)) ApiPropertyOptional(doc)(ListTasksQueryDto.prototype, name);

export class SearchTasksQueryDto extends ListTasksQueryDto {
  @ApiProperty({ description: 'Text to find in title and description.', minLength: 1, maxLength: TASK_QUERY_MAX })
  @TASK_QUERY.required()
  q!: string;
}
