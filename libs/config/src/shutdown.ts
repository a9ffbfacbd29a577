import { byProfile, env, Reader } from './env';

/** How an app's servers keep connections and how it leaves on SIGTERM (docs/operations.md "Shutdown and drain"). */
export interface ShutdownSettings {
  /**
   * ms after SIGTERM during which the app keeps serving while /health/ready answers 503, so the load balancer
   * (Kubernetes endpoints, an ingress) stops routing to it before it stops accepting. 0 = close at once.
   */
  drainDelayMs: number;
  /**
   * ms an idle HTTP keep-alive connection stays open (Node `server.keepAliveTimeout`). Keep it above the idle
   * timeout of the balancer in front (AWS ALB 60 s, nginx `keepalive_timeout` 60 s), so the balancer closes
   * idle connections first and never sends a request on a socket the server is closing.
   */
  keepAliveTimeoutMs: number;
  /**
   * ms after the drain delay to finish in-flight HTTP requests and RPC replies, stop consumers and flush the
   * outbox; past it the remaining connections are destroyed and the process exits with code 1.
   */
  shutdownTimeoutMs: number;
}

/**
 * DRAIN_DELAY_MS (0 in development, where nothing balances in front; 5000 in staging and production),
 * HTTP_KEEP_ALIVE_TIMEOUT_MS (72000, Fastify's default, above the common 60 s balancer idle timeouts) and
 * SHUTDOWN_TIMEOUT_MS (15000). The Kubernetes grace period must exceed drain delay + shutdown timeout.
 */
export function shutdownConfigSpec(): { [K in keyof ShutdownSettings]: Reader<ShutdownSettings[K]> } {
  return {
    drainDelayMs: env.int('DRAIN_DELAY_MS', byProfile({ development: 0, staging: 5_000, production: 5_000 }), {
      min: 0,
      max: 120_000,
    }),
    keepAliveTimeoutMs: env.int('HTTP_KEEP_ALIVE_TIMEOUT_MS', 72_000, { min: 1_000, max: 3_600_000 }),
    shutdownTimeoutMs: env.int('SHUTDOWN_TIMEOUT_MS', 15_000, { min: 1_000, max: 300_000 }),
  };
}
