// Jest global teardown: stop only what global-setup.ts started in this run (nothing when tools/run.js owns it).
// eslint-disable-next-line @nx/enforce-module-boundaries -- no path aliases in Jest global setup
import { BackendName } from '../../../infra/src/types';
// eslint-disable-next-line @nx/enforce-module-boundaries -- no path aliases in Jest global setup
import { infraDown } from '../../../infra/src/resolver';

export default async function globalTeardown(): Promise<void> {
  const started = (process.env.TASKFLOW_INFRA_STARTED_BY_JEST ?? '').split(',').filter(Boolean) as BackendName[];
  if (started.length === 0) return;
  await infraDown({ only: started, log: (line) => console.log(line) });
  delete process.env.TASKFLOW_INFRA_STARTED_BY_JEST;
}
