import {
  applyDecorators,
  ArgumentsHost,
  Catch,
  Controller,
  Inject,
  Injectable,
  RpcExceptionFilter,
  UseFilters,
} from '@nestjs/common';
import { RpcErrorBody } from '@taskflow/contracts';
import type { Logger } from 'pino';
import { Observable, throwError } from 'rxjs';
import { databaseClientError } from './database-errors';
import { databaseUnavailable, isDatabaseUnavailable } from './database-unavailable';
import { AppError } from './errors';
import { currentCorrelationId } from './request-context';
import { correlationIdOf } from './rpc-request';
import { SERVICE_LOGGER } from './service-logger';

/**
 * Answers every failed RPC with an RpcErrorBody the gateway can map; unknown errors are logged (with the
 * request's correlation id, without SQL parameters), not leaked. Database errors by class: the client's
 * (SQLSTATE 22xxx, 23xxx) are 4xx naming the field, outages and timeouts 503, anything else a logged bug.
 * Bound to a service's handlers by `@RpcController()`; Nest builds it with the SERVICE_LOGGER provider.
 */
@Catch()
@Injectable()
export class RpcErrorFilter implements RpcExceptionFilter<unknown> {
  constructor(@Inject(SERVICE_LOGGER) private readonly logger: Logger) {}

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

/**
 * A request/reply controller: `@Controller()` whose handlers answer every failure through RpcErrorFilter. The one
 * way a service wires the filter: through a public API, per controller, because a hybrid app's microservice binds its
 * handlers on connect, before `useGlobalFilters` could reach them, and `inheritAppConfig` would bring the HTTP
 * app's problem+json filter instead. Needs SERVICE_LOGGER in scope (the service chassis provides it).
 */
export const RpcController = (): ClassDecorator => applyDecorators(Controller(), UseFilters(RpcErrorFilter));
