import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { AuditRoutes, FieldChangeView, RawQuery, TaskAsOfView, TaskTimelineView } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { AuditedReads, Reader } from '../../application/audited-reads';
import { fieldChanges, foldTaskHistory, taskAsOf, TaskState } from '../../domain/task-history';
import { JwtAuthGuard } from './jwt-auth.guard';
import { ReadBy } from './reader.decorator';

/** Most events one task's history is read from; a longer history is answered as incomplete. */
const HISTORY_CAP = 10_000;

/**
 * As-of reads (issue 13 §6), for analysts (admin, auditor): a task as it was at an instant, and who changed which
 * field when — both folded from the task's events in the audit store, never from task-service. Parameters follow
 * `AuditRoutes.taskAsOf` / `taskTimeline`, the rules the gateway applies too.
 */
@Controller('api/v1/audit')
@UseGuards(JwtAuthGuard)
export class TaskHistoryController {
  constructor(private readonly events: AuditedReads) {}

  /** 404 `AUDIT.NO_HISTORY` when the store holds no event of the task. */
  @Get(AuditRoutes.taskAsOf.path)
  async asOf(
    @Param('taskId') taskId: string,
    @Query() query: RawQuery,
    @ReadBy() reader: Reader,
  ): Promise<TaskAsOfView> {
    const { taskId: id, at } = AuditRoutes.taskAsOf.request.parse(query, { taskId });
    const { states, capped } = await this.history(reader, id);
    const state = taskAsOf(states, at);
    return {
      taskId: id,
      at: at.toISOString(),
      task: state?.task ?? null,
      asOfEventId: state?.event.eventId ?? null,
      complete: !capped && (state?.complete ?? true),
    };
  }

  /** Every field change, oldest first (`field` keeps one field's changes only). */
  @Get(AuditRoutes.taskTimeline.path)
  async timeline(
    @Param('taskId') taskId: string,
    @Query() query: RawQuery,
    @ReadBy() reader: Reader,
  ): Promise<TaskTimelineView> {
    const { taskId: id, field } = AuditRoutes.taskTimeline.request.parse(query, { taskId });
    const { states, capped } = await this.history(reader, id);
    const items: FieldChangeView[] = fieldChanges(states)
      .filter((change) => field === undefined || change.field === field)
      .map(({ event, field: name, from, to }) => ({
        eventId: event.eventId,
        type: event.type,
        at: event.createdAt.toISOString(),
        actorId: event.actorId,
        correlationId: event.correlationId ?? null,
        field: name,
        from,
        to,
      }));
    return { taskId: id, complete: !capped && (states[0]?.complete ?? true), items };
  }

  private async history(reader: Reader, taskId: string): Promise<{ states: TaskState[]; capped: boolean }> {
    const events = await this.events.findEntityEvents(reader, 'task', taskId, HISTORY_CAP);
    if (events.length === 0) {
      throw new AppError('not_found', 'AUDIT.NO_HISTORY', 'The audit store holds no event of this task.');
    }
    return { states: foldTaskHistory(taskId, events), capped: events.length === HISTORY_CAP };
  }
}
