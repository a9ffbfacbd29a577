import { AppProcess, BalancerTarget, startBalancer, TaskflowSystem } from '@taskflow/testing';
import { Fault, runScenario, ScenarioResult } from './scenario';

/** How one SIGTERMed process ended: by itself (code 0) within its drain, or not. */
export interface Termination {
  app: string;
  /** When the SIGTERM was sent (epoch ms). */
  sigtermAt: number;
  code: number | null;
  signal: string | null;
  /** SIGTERM → exit (ms): drain delay plus finishing in-flight work. */
  exitMs: number;
  /** Start of the replacement → its readiness 200 (ms). */
  startMs: number;
}

export interface RollingRestartResult extends ScenarioResult {
  terminations: Termination[];
}

/** A gateway behind the balancer: traffic to its public port, readiness probed on its management port. */
const targetOf = (app: AppProcess): BalancerTarget => ({
  port: Number(new URL(app.url).port),
  readyUrl: `${app.managementUrl}/health/ready`,
});

/**
 * A rolling restart under the steady write load: user-service, task-service and audit-service are SIGTERMed and
 * started again in place, one after the other (one replica each, as the suite's system has); the gateway, which
 * the clients reach, is rolled like a Kubernetes RollingUpdate with maxSurge 1 / maxUnavailable 0 behind a
 * readiness-probing balancer: a second gateway starts, becomes ready, the first is SIGTERMed and restarted,
 * then the second is SIGTERMed. The load goes through the balancer.
 */
export async function runRollingRestart(system: TaskflowSystem): Promise<RollingRestartResult> {
  const terminations: Termination[] = [];
  const balancer = await startBalancer([targetOf(system.gateway)]);
  const terminate = async (app: AppProcess) => {
    const sigtermAt = Date.now();
    const { code, signal, ms } = await app.terminate();
    return { app: app.app, sigtermAt, code, signal, exitMs: ms };
  };
  const restartInPlace = async (app: AppProcess) => {
    const ended = await terminate(app);
    const started = Date.now();
    await app.start();
    terminations.push({ ...ended, startMs: Date.now() - started });
  };
  const routable = async (app: AppProcess) => {
    const started = Date.now();
    await app.start();
    while (!balancer.isReady(targetOf(app))) await new Promise((resolve) => setTimeout(resolve, 100));
    return Date.now() - started;
  };

  const fault: Fault = {
    inject: async () => {
      for (const app of [system.user, system.task, system.audit]) await restartInPlace(app);
      const surge = await system.extraGateway();
      balancer.add(targetOf(surge));
      const surgeStartMs = await routable(surge);
      const first = await terminate(system.gateway);
      terminations.push({ ...first, startMs: await routable(system.gateway) });
      const second = await terminate(surge);
      balancer.remove(targetOf(surge));
      terminations.push({ ...second, app: 'api-gateway (surge)', startMs: surgeStartMs });
    },
    durationMs: 0,
    remove: async () => undefined,
  };
  try {
    const result = await runScenario(system, 'rolling restart', fault, { baseUrl: balancer.url });
    return { ...result, terminations };
  } finally {
    await balancer.close();
  }
}
