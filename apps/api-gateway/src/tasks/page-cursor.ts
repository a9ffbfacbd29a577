import { CommonErrorCodes, TaskPage } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';

/**
 * Cursor pagination with the seed's page-numbered cache keys: the gateway hands out cursors
 * `{page}.{task-service cursor}`. The page number names the cache key (`...:page:{page}`; the
 * first page, without a cursor, is page 1); the task-service cursor is what the page is fetched
 * with, and a cached page is only served to a request with that same cursor (another cursor for the
 * same number, e.g. from an older first page, is a miss that replaces it).
 */
export interface PagePosition {
  page: number;
  /** The task-service cursor; undefined for page 1. */
  cursor?: string;
}

const PAGE_CURSOR = /^([1-9]\d{0,5})\.([A-Za-z0-9_-]{1,500})$/;

export function parsePageCursor(cursor: string | undefined): PagePosition {
  if (cursor === undefined) return { page: 1 };
  const match = PAGE_CURSOR.exec(cursor);
  if (!match || match[1] === '1') {
    throw new AppError('validation', CommonErrorCodes.validation, 'The request is invalid.', [
      { field: 'cursor', reason: 'cursor is invalid: pass back a nextCursor unchanged' },
    ]);
  }
  return { page: Number(match[1]), cursor: match[2] };
}

/** The page as the client sees it: its nextCursor names the following page number. */
export function withPageCursor(page: TaskPage, position: PagePosition): TaskPage {
  return { ...page, nextCursor: page.nextCursor === null ? null : `${position.page + 1}.${page.nextCursor}` };
}
