import { UserErrorCodes } from '@taskflow/contracts';
import { AppError } from '@taskflow/nest-kit';

export const userNotFound = (id: string) => new AppError('not_found', UserErrorCodes.notFound, `User ${id} not found.`);
export const emailTaken = () =>
  new AppError('conflict', UserErrorCodes.emailTaken, 'A user with this email already exists.');
// One message for unknown email and wrong password so a caller cannot probe which emails exist.
export const invalidCredentials = () =>
  new AppError('unauthorized', UserErrorCodes.invalidCredentials, 'Invalid email or password.');
export const forbidden = (what: string) =>
  new AppError('forbidden', UserErrorCodes.forbidden, `Not allowed to ${what}.`);
export const unauthenticated = () =>
  new AppError('unauthorized', UserErrorCodes.unauthenticated, 'This operation needs an authenticated actor.');
