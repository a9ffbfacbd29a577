import { env, Reader } from './env';

/**
 * The management port (MANAGEMENT_PORT): health, status and metrics, apart from the public port, for the probes
 * and the Prometheus scrape only (docs/operations.md "Management port"). One variable for every app, each with its
 * own default so apps started side by side on one host do not collide: gateway 9000, user-service 9001,
 * task-service 9002, audit-service 9003. It binds the app's own host.
 */
export function managementPortSpec(defaultPort: number): Reader<number> {
  return env.int('MANAGEMENT_PORT', defaultPort, { min: 0, max: 65535 });
}
