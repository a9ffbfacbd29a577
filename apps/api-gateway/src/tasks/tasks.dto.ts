import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import {
  TASK_DESCRIPTION_MAX,
  TASK_PAGE_MAX,
  TASK_PRIORITIES,
  TASK_SORT_FIELDS,
  TASK_STATUSES,
  TASK_TITLE_MAX,
  TaskPriority,
  TaskSortField,
  TaskStatus,
} from '@taskflow/contracts';
import { Transform, Type } from 'class-transformer';
import {
  IsBoolean,
  IsIn,
  IsInt,
  IsISO8601,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
} from 'class-validator';

const nullable = (_: object, value: unknown) => value !== null;
const list = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.split(',') : value);
const bool = ({ value }: { value: unknown }) => (value === 'true' ? true : value === 'false' ? false : value);

/** No creator, version or timestamps: the service sets them (mass assignment is rejected with 400). */
export class CreateTaskRequestDto {
  @ApiProperty({ maxLength: TASK_TITLE_MAX }) @IsString() @MinLength(1) @MaxLength(TASK_TITLE_MAX) title!: string;
  @ApiPropertyOptional({ nullable: true, maxLength: TASK_DESCRIPTION_MAX })
  @IsOptional()
  @ValidateIf(nullable)
  @IsString()
  @MaxLength(TASK_DESCRIPTION_MAX)
  description?: string | null;
  @ApiPropertyOptional({ enum: TASK_PRIORITIES }) @IsOptional() @IsIn(TASK_PRIORITIES) priority?: TaskPriority;
  @ApiPropertyOptional({ enum: TASK_STATUSES }) @IsOptional() @IsIn(TASK_STATUSES) status?: TaskStatus;
  @ApiPropertyOptional({ nullable: true, format: 'uuid' })
  @IsOptional()
  @ValidateIf(nullable)
  @IsUUID()
  assigneeId?: string | null;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' })
  @IsOptional()
  @ValidateIf(nullable)
  @IsISO8601({ strict: true })
  dueDate?: string | null;
}

/** Optimistic locking: send `If-Match: "v<version>"` (mismatch → 412) or `version` (stale → 409). */
class VersionedDto {
  @ApiPropertyOptional({ minimum: 1, description: 'The version you read; alternative to If-Match.' })
  @IsOptional()
  @IsInt()
  @Min(1)
  version?: number;
}

export class UpdateTaskRequestDto extends VersionedDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MinLength(1) @MaxLength(TASK_TITLE_MAX) title?: string;
  @ApiPropertyOptional({ nullable: true })
  @IsOptional()
  @ValidateIf(nullable)
  @IsString()
  @MaxLength(TASK_DESCRIPTION_MAX)
  description?: string | null;
  @ApiPropertyOptional({ enum: TASK_PRIORITIES }) @IsOptional() @IsIn(TASK_PRIORITIES) priority?: TaskPriority;
  @ApiPropertyOptional({ nullable: true, format: 'date-time' })
  @IsOptional()
  @ValidateIf(nullable)
  @IsISO8601({ strict: true })
  dueDate?: string | null;
}

export class ChangeStatusRequestDto extends VersionedDto {
  @ApiProperty({ enum: TASK_STATUSES }) @IsIn(TASK_STATUSES) status!: TaskStatus;
}

export class AssignTaskRequestDto extends VersionedDto {
  @ApiProperty({ nullable: true, format: 'uuid', description: '`null` unassigns.' })
  @ValidateIf(nullable)
  @IsUUID()
  assigneeId!: string | null;
}

export class ListTasksQueryDto {
  @ApiPropertyOptional({ description: 'Comma-separated statuses.' })
  @IsOptional()
  @Transform(list)
  @IsIn(TASK_STATUSES, { each: true })
  status?: TaskStatus[];
  @ApiPropertyOptional({ description: 'Comma-separated priorities.' })
  @IsOptional()
  @Transform(list)
  @IsIn(TASK_PRIORITIES, { each: true })
  priority?: TaskPriority[];
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() assigneeId?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() creatorId?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) dueBefore?: string;
  @ApiPropertyOptional() @IsOptional() @IsISO8601({ strict: true }) dueAfter?: string;
  @ApiPropertyOptional() @IsOptional() @Transform(bool) @IsBoolean() overdue?: boolean;
  @ApiPropertyOptional({ enum: TASK_SORT_FIELDS }) @IsOptional() @IsIn(TASK_SORT_FIELDS) sort?: TaskSortField;
  @ApiPropertyOptional({ enum: ['asc', 'desc'] }) @IsOptional() @IsIn(['asc', 'desc']) order?: 'asc' | 'desc';
  @ApiPropertyOptional({ minimum: 1, maximum: TASK_PAGE_MAX })
  @IsOptional()
  @Type(() => Number)
  @IsInt()
  @Min(1)
  @Max(TASK_PAGE_MAX)
  limit?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(512) cursor?: string;
}

export class SearchTasksQueryDto extends ListTasksQueryDto {
  @ApiProperty({ description: 'Text to find in title and description.' })
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  q!: string;
}
