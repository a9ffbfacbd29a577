import { TASK_PRIORITIES, TASK_STATUSES, TaskPriority, TaskStatus } from '@taskflow/contracts';
import { Check, Column, Entity, Index, JoinColumn, ManyToOne, PrimaryColumn, PrimaryGeneratedColumn } from 'typeorm';

/**
 * The `users` table as far as tasks need it (foreign-key target). Owned by user-service's migrations, so
 * schema sync and diff checks leave it alone (`synchronize: false`).
 */
@Entity({ name: 'users', synchronize: false })
export class UserRefOrmEntity {
  @PrimaryColumn({ type: 'uuid' }) id!: string;
}

/**
 * Mirrors the migrations exactly (the schema test fails on any difference). Writes go through SQL in the
 * repository: `version` is guarded by `WHERE version = $n`, which @VersionColumn + save() would not do.
 */
@Entity({ name: 'tasks' })
@Check('chk_task_title_length', `char_length("title") >= 1`)
@Check(
  'chk_task_completion',
  `("status" = 'done' AND "completed_at" IS NOT NULL) OR ("status" != 'done' AND "completed_at" IS NULL)`,
)
@Check('chk_due_date_future', `"due_date" IS NULL OR "due_date" > "created_at"`)
@Check('chk_version_positive', `"version" > 0`)
@Index('idx_tasks_status_priority', ['status', 'priority'])
@Index('idx_tasks_assignee', ['assigneeId'])
@Index('idx_tasks_creator', ['creatorId'])
@Index('idx_tasks_created_at', ['createdAt'])
@Index('idx_tasks_due_date', ['dueDate'], { where: 'due_date IS NOT NULL' })
@Index('idx_tasks_deleted_at', ['deletedAt'], { where: 'deleted_at IS NULL' })
@Index('idx_tasks_status_created', ['status', 'createdAt'])
@Index('idx_tasks_assignee_status', ['assigneeId', 'status'])
@Index('idx_tasks_creator_priority', ['creatorId', 'priority'])
@Index('idx_tasks_active', ['id'], { where: 'deleted_at IS NULL' })
@Index('idx_tasks_overdue', ['dueDate'], {
  where: `due_date IS NOT NULL AND status <> 'done' AND deleted_at IS NULL`,
})
export class TaskOrmEntity {
  @PrimaryGeneratedColumn('uuid', { primaryKeyConstraintName: 'pk_tasks' }) id!: string;

  @Column({ type: 'varchar', length: 255 }) title!: string;
  @Column({ type: 'text', nullable: true }) description!: string | null;

  @Column({ type: 'enum', enum: TASK_STATUSES, enumName: 'task_status', default: 'todo' })
  status!: TaskStatus;

  @Column({ type: 'enum', enum: TASK_PRIORITIES, enumName: 'task_priority', default: 'medium' })
  priority!: TaskPriority;

  @Column({ name: 'assignee_id', type: 'uuid', nullable: true }) assigneeId!: string | null;
  @ManyToOne(() => UserRefOrmEntity, { nullable: true, createForeignKeyConstraints: true })
  @JoinColumn({ name: 'assignee_id', foreignKeyConstraintName: 'fk_tasks_assignee' })
  assignee?: UserRefOrmEntity | null;

  @Column({ name: 'creator_id', type: 'uuid' }) creatorId!: string;
  @ManyToOne(() => UserRefOrmEntity, { nullable: false })
  @JoinColumn({ name: 'creator_id', foreignKeyConstraintName: 'fk_tasks_creator' })
  creator?: UserRefOrmEntity;

  @Column({ name: 'created_at', type: 'timestamptz', default: () => 'now()' }) createdAt!: Date;
  @Column({ name: 'updated_at', type: 'timestamptz', default: () => 'now()' }) updatedAt!: Date;
  @Column({ name: 'completed_at', type: 'timestamptz', nullable: true }) completedAt!: Date | null;
  @Column({ name: 'due_date', type: 'timestamptz', nullable: true }) dueDate!: Date | null;
  @Column({ name: 'deleted_at', type: 'timestamptz', nullable: true }) deletedAt!: Date | null;
  @Column({ type: 'int', default: 1 }) version!: number;
}
