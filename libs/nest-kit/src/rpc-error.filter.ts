import { ArgumentsHost, Catch, RpcExceptionFilter } from '@nestjs/common';
import { RpcErrorBody } from '@taskflow/contracts';
import type { Logger } from 'pino';
import { Observable, throwError } from 'rxjs';
import { databaseClientError } from './database-errors';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable';
import { AppError } from './errors';
import { currentCorrelationId } from './request-context';
import { correlationIdOf } from './rpc-request';

/**
 * Answers every failed RPC with an RpcErrorBody the gateway can map; unknown errors are logged (with the
 * request's correlation id, without SQL parameters), not leaked. Database errors by class: the client's
 * (SQLSTATE 22xxx, 23xxx) are 4xx naming the field, outages and timeouts 503, anything else a logged bug.
 */
@Catch()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host?: ArgumentsHost): Observable<RpcErrorBody> {
    if (exception instanceof AppError) return throwError(() => exception.toRpcBody());
    const clientError = databaseClientError(exception);
    if (clientError) return throwError(() => clientError.toRpcBody());
    // The filter usually runs after the request's async context ended: then the logger's mixin adds no id.
    const correlationId = currentCorrelationId()
      ? undefined
      : correlationIdOf(exception, host?.switchToRpc().getData());
    const logged = { err: exception, correlationId };
    if (isDatabaseUnavailable(exception)) {
      this.logger.warn(logged, 'rpc handler failed: database unavailable');
      return throwError(() => databaseUnavailable().toRpcBody());
    }
    this.logger.error(logged, 'rpc handler failed');
    const body: RpcErrorBody = {
      kind: 'unavailable',
      code: 'INTERNAL',
      message: 'The service failed to handle the request.',
    };
    return throwError(() => body);
  }
}
