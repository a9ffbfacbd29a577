import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { ShutdownSettings } from '@taskflow/config';
import type { Logger } from 'pino';
import { HealthRegistry } from './health';

/** Used where an app passes no settings (in-process tests): no drain delay, Fastify's keep-alive. */
export const IMMEDIATE_SHUTDOWN: ShutdownSettings = {
  drainDelayMs: 0,
  keepAliveTimeoutMs: 72_000,
  shutdownTimeoutMs: 15_000,
};

/**
 * Fastify server options of the drain. `return503OnClosing: false`: a request that still arrives on an open
 * keep-alive connection while the server closes is served (with `Connection: close`), not refused with
 * Fastify's bare 503; `forceCloseConnections: 'idle'` closes only idle sockets, never one with a request.
 */
export function drainServerOptions(settings: ShutdownSettings) {
  return {
    keepAliveTimeout: settings.keepAliveTimeoutMs,
    forceCloseConnections: 'idle' as const,
    return503OnClosing: false,
  };
}

/**
 * Graceful shutdown on SIGTERM/SIGINT, in this order: /health/ready answers 503 and every response carries
 * `Connection: close` (keep-alive clients reconnect, through the balancer, elsewhere); the app keeps serving
 * for `drainDelayMs`; then `app.close()`: the HTTP server stops accepting and closes idle connections,
 * in-flight requests finish, the RPC transport finishes its replies (DrainingTcpServer), consumers stop after
 * committing, and the apps' shutdown hooks flush the outbox relay and close the clients. If that takes longer
 * than `shutdownTimeoutMs`, the remaining connections are destroyed and the process exits with code 1;
 * otherwise it exits with 0. A second signal exits at once (code 1).
 *
 * The `Connection: close` hook also covers `app.close()` without a signal (tests), via Fastify's preClose.
 */
export function enableGracefulShutdown(app: NestFastifyApplication, settings: ShutdownSettings, logger: Logger): void {
  const fastify = app.getHttpAdapter().getInstance();
  let draining = false;
  fastify.addHook('onSend', (_request, reply, payload, done) => {
    if (draining) void reply.header('connection', 'close');
    done(null, payload);
  });
  fastify.addHook('preClose', (done) => {
    draining = true;
    done();
  });

  const onSignal = (signal: NodeJS.Signals) => {
    for (const other of SIGNALS) process.removeListener(other, onSignal);
    for (const other of SIGNALS) {
      process.once(other, () => {
        logger.warn({ signal: other }, 'second signal during shutdown: exiting now');
        process.exit(1);
      });
    }
    draining = true;
    void drainAndClose(app, settings, logger, signal);
  };
  for (const signal of SIGNALS) process.once(signal, onSignal);
}

const SIGNALS: NodeJS.Signals[] = ['SIGTERM', 'SIGINT'];

async function drainAndClose(
  app: NestFastifyApplication,
  { drainDelayMs, shutdownTimeoutMs }: ShutdownSettings,
  logger: Logger,
  signal: NodeJS.Signals,
): Promise<void> {
  registryOf(app)?.startDraining();
  logger.info({ signal, drainDelayMs }, 'shutdown: readiness 503, still serving for the drain delay');
  await new Promise((resolve) => setTimeout(resolve, drainDelayMs));
  logger.info({ shutdownTimeoutMs }, 'shutdown: closing servers, finishing in-flight work');
  const deadline = setTimeout(() => {
    logger.error({ shutdownTimeoutMs }, 'shutdown timed out: destroying the remaining connections');
    app.getHttpServer().closeAllConnections();
    process.exit(1);
  }, shutdownTimeoutMs);
  try {
    await app.close();
    clearTimeout(deadline);
    logger.info('shutdown complete');
    process.exit(0);
  } catch (error) {
    logger.error({ err: error }, 'shutdown failed');
    process.exit(1);
  }
}

function registryOf(app: NestFastifyApplication): HealthRegistry | undefined {
  try {
    return app.get(HealthRegistry, { strict: false });
  } catch {
    return undefined; // an app without OpsModule has no readiness endpoint
  }
}
