import { Controller, Get, Param, Query, UseGuards } from '@nestjs/common';
import { FieldChangeView, parseDateTime, TaskAsOfView, TaskTimelineView } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';
import { AuditedReads, Reader } from '../../application/audited-reads';
import { invalid } from '@taskflow/contracts';
import { fieldChanges, foldTaskHistory, taskAsOf, TaskState } from '../../domain/task-history';
import { JwtAuthGuard } from './jwt-auth.guard';
import { ReadBy } from './reader.decorator';

/** Most events one task's history is read from; a longer history is answered as incomplete. */
const HISTORY_CAP = 10_000;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * As-of reads (issue 13 §6), for analysts (admin, auditor): a task as it was at an instant, and who changed which
 * field when — both folded from the task's events in the audit store, never from task-service.
 */
@Controller('api/v1/audit/tasks/:taskId')
@UseGuards(JwtAuthGuard)
export class TaskHistoryController {
  constructor(private readonly events: AuditedReads) {}

  /** `at`: RFC 3339 with offset. 404 `AUDIT.NO_HISTORY` when the store holds no event of the task. */
  @Get('as-of')
  async asOf(
    @Param('taskId') taskId: string,
    @Query('at') at: unknown,
    @ReadBy() reader: Reader,
  ): Promise<TaskAsOfView> {
    const instant = parseDateTime(at);
    if (!instant) throw invalid('at', 'must be an RFC 3339 date-time with offset, e.g. 2026-01-31T00:00:00Z');
    const { id, states, capped } = await this.history(reader, taskId);
    const state = taskAsOf(states, instant);
    return {
      taskId: id,
      at: instant.toISOString(),
      task: state?.task ?? null,
      asOfEventId: state?.event.eventId ?? null,
      complete: !capped && (state?.complete ?? true),
    };
  }

  /** Every field change, oldest first (`field` keeps one field's changes only). */
  @Get('timeline')
  async timeline(
    @Param('taskId') taskId: string,
    @Query('field') field: unknown,
    @ReadBy() reader: Reader,
  ): Promise<TaskTimelineView> {
    const { id, states, capped } = await this.history(reader, taskId);
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

  private async history(reader: Reader, taskId: string): Promise<{ id: string; states: TaskState[]; capped: boolean }> {
    if (!UUID.test(taskId)) throw invalid('taskId', 'must be a UUID');
    const id = taskId.toLowerCase();
    const events = await this.events.findEntityEvents(reader, 'task', id, HISTORY_CAP);
    if (events.length === 0) {
      throw new AppError('not_found', 'AUDIT.NO_HISTORY', 'The audit store holds no event of this task.');
    }
    return { id, states: foldTaskHistory(id, events), capped: events.length === HISTORY_CAP };
  }
}
