import { Catch, RpcExceptionFilter } from '@nestjs/common';
import { RpcErrorBody } from '@taskflow/contracts';
import type { Logger } from 'pino';
import { Observable, throwError } from 'rxjs';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable';
import { AppError } from './errors';

/** Answers every failed RPC with an RpcErrorBody the gateway can map; unknown errors are logged, not leaked. */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown): Observable<RpcErrorBody> {
    if (exception instanceof AppError) return throwError(() => exception.toRpcBody());
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn({ err: exception }, 'rpc handler failed: database unavailable');
      return throwError(() => databaseUnavailable().toRpcBody());
    }
    this.logger.error({ err: exception }, 'rpc handler failed');
    const body: RpcErrorBody = {
      kind: 'unavailable',
      code: 'INTERNAL',
      message: 'The service failed to handle the request.',
    };
    return throwError(() => body);
  }
}
