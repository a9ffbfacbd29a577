import { expectNoPasswordHashes, startSystem, System } from '../support/system-harness';
import { authenticationSuite } from './authentication';
import { authorizationSuite } from './authorization';
import { fuzzSuite } from './fuzz';
import { injectionSuite } from './injection';
import { inputsSuite } from './inputs';
import { resourceConsumptionSuite } from './resource-consumption';
import { roundTripSuite } from './round-trip';

// The abuse suite: OWASP API Security Top 10 (2023) as tests (map in docs/security.md), one theme per
// module, all through real HTTP against one running system — the gateway on a loopback port, the real
// user-service, task-service and audit-service (child processes from their sources on scratch
// PostgreSQL and MongoDB databases) and real Redis (DB 11, owned here). One system start for all
// themes: starting the services is most of the suite's cost.
jest.setTimeout(300_000);

describe('abuse suite', () => {
  let system: System;

  beforeAll(async () => {
    system = await startSystem({ redisDb: 11, audit: true });
  }, 180_000);

  afterAll(() => system?.stop());

  authorizationSuite(() => system);
  authenticationSuite(() => system);
  resourceConsumptionSuite(() => system);
  injectionSuite(() => system);
  inputsSuite(() => system);
  fuzzSuite(() => system);
  roundTripSuite(() => system);

  it('should never return a password hash in any response of the whole suite', () => {
    expectNoPasswordHashes(system.http);
  });
});
