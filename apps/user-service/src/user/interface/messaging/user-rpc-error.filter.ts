import { Catch, Inject, Injectable } from '@nestjs/common';
import { RpcErrorFilter } from '@taskflow/nest-kit';
import type { Logger } from 'pino';

export const RPC_LOGGER = Symbol('RPC_LOGGER');

/**
 * nest-kit's RpcErrorFilter bound through DI: a hybrid app's microservice is initialised on connect, too
 * early for `useGlobalFilters`, so the filter is attached to the controller instead.
 */
@Catch()
@Injectable()
export class UserRpcErrorFilter extends RpcErrorFilter {
  constructor(@Inject(RPC_LOGGER) logger: Logger) {
    super(logger);
  }
}
