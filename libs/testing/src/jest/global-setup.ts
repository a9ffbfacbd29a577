// Jest global setup: bring the real infrastructure up once per run, through the one resolver of libs/infra.
// If `node tools/run.js test` already did (TASKFLOW_INFRA_READY=1 with the URLs in the environment), this
// only reports the providers. Otherwise what is started here is stopped again by global-teardown.ts.
// Relative import on purpose: Jest does not apply moduleNameMapper (the @taskflow/* aliases) to globalSetup.
// eslint-disable-next-line @nx/enforce-module-boundaries -- no path aliases in Jest global setup
import { BACKENDS, InfraError } from '../../../infra/src/types';
// eslint-disable-next-line @nx/enforce-module-boundaries -- no path aliases in Jest global setup
import { describeBackend, ENV_VARS, infraEnv, infraUp } from '../../../infra/src/resolver';
// eslint-disable-next-line @nx/enforce-module-boundaries -- no path aliases in Jest global setup
import {
  EVENT_PRODUCERS,
  generateCheckpointKeyEnv,
  generateEventKeysEnv,
  generateFieldEncryptionKeyEnv,
  generateSigningKeyEnv,
  TEST_EVENT_PRODUCER,
} from '../../../infra/src/local-secrets';

export const STARTED_BY_JEST = 'TASKFLOW_INFRA_STARTED_BY_JEST';

export default async function globalSetup(): Promise<void> {
  console.log('');
  // One token key pair and one set of email-encryption keys for the run: the apps the tests start (in-process or as children) inherit it.
  if (!process.env.JWT_PRIVATE_KEY) Object.assign(process.env, generateSigningKeyEnv());
  if (!process.env.PII_ENCRYPTION_KEYS) Object.assign(process.env, generateFieldEncryptionKeyEnv());
  if (!process.env.AUDIT_CHECKPOINT_KEY) Object.assign(process.env, generateCheckpointKeyEnv());
  // Event-signing keys for the run: apps started in-process sign with the test producer's key (allowed on every
  // topic, as the tests publish every event type); EVENT_VERIFY_KEYS also publishes each real producer's key.
  if (!process.env.EVENT_SIGNING_KEY) {
    const { producers, EVENT_VERIFY_KEYS } = generateEventKeysEnv({ ...EVENT_PRODUCERS, ...TEST_EVENT_PRODUCER });
    Object.assign(process.env, producers['test-producer'], { EVENT_VERIFY_KEYS });
  }
  if (process.env.TASKFLOW_INFRA_READY === '1') {
    for (const name of BACKENDS) {
      const provider = process.env[`TASKFLOW_${name.toUpperCase()}_PROVIDER`] ?? 'env';
      console.log(`[infra] ${name.padEnd(8)} provider=${provider} (${ENV_VARS[name]} from tools/run.js)`);
    }
    return;
  }
  try {
    const up = await infraUp({ log: (line) => console.log(line) });
    Object.assign(process.env, infraEnv(up.backends));
    process.env[STARTED_BY_JEST] = up.startedNow.join(',');
    for (const name of BACKENDS) console.log(`[infra] ${describeBackend(up.backends[name])}`);
  } catch (error) {
    if (error instanceof InfraError) {
      // One clear message, not a stack trace.
      const clean = new Error(`Infrastructure could not be brought up:\n${error.message}`);
      clean.stack = clean.message;
      throw clean;
    }
    throw error;
  }
}
