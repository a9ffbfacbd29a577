/**
 * DI token of the app's pino `Logger` (provided by the service chassis, `@taskflow/service-chassis`), for what Nest
 * builds itself: RpcErrorFilter bound with `@RpcController()`, the modules' own jobs.
 */
export const SERVICE_LOGGER = Symbol('SERVICE_LOGGER');
