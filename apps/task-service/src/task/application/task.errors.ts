import { TaskErrorCodes } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';

export const taskNotFound = (id: string) => new AppError('not_found', TaskErrorCodes.notFound, `Task ${id} not found.`);

export const notDeleted = (id: string) =>
  new AppError('conflict', TaskErrorCodes.notDeleted, `Task ${id} is not deleted: there is nothing to restore.`);

export const versionConflict = (id: string, currentVersion: number) =>
  new AppError(
    'conflict',
    TaskErrorCodes.versionConflict,
    `Task ${id} was changed by someone else (current version ${currentVersion}).`,
    undefined,
    { currentVersion },
  );

export const unknownUser = (field: string) =>
  new AppError('validation', TaskErrorCodes.unknownUser, 'The referenced user does not exist.', [
    { field, reason: 'no such user' },
  ]);

export const invalidDueDate = () =>
  new AppError('validation', TaskErrorCodes.invalidDueDate, 'The due date must be after the creation time.', [
    { field: 'dueDate', reason: 'must be after the task creation time' },
  ]);

export const forbidden = (message: string) => new AppError('forbidden', TaskErrorCodes.forbidden, message);

export const unauthenticated = () =>
  new AppError('unauthorized', TaskErrorCodes.unauthenticated, 'This operation needs an authenticated actor.');

export const invalidCursor = () =>
  new AppError('validation', TaskErrorCodes.validation, 'The cursor is invalid for this query.', [
    { field: 'cursor', reason: 'does not belong to this sort order' },
  ]);
