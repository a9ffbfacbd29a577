import { generateRpcCertificates } from '@taskflow/infra';
import { startSystem, System } from './support/system-harness';

/**
 * The RPC transport on mutual TLS end to end (issue 12 item 1): user-service and task-service as child processes
 * with RPC_TLS=true and server certificates from `generateRpcCertificates` (what `node tools/run.js rpc-certs`
 * prints), the real gateway with its client certificate. A gateway without one (plaintext) or with a certificate
 * of another CA cannot reach them: 503, never an answer.
 */
describe('gateway → user-service / task-service over mutual TLS', () => {
  const certificates = generateRpcCertificates();
  const foreign = generateRpcCertificates({ caName: 'Some Other CA' });
  const gatewayTls = {
    RPC_TLS: 'true',
    RPC_TLS_CA: certificates.ca.cert,
    RPC_TLS_CERT: certificates.clients['api-gateway'].cert,
    RPC_TLS_KEY: certificates.clients['api-gateway'].key,
  };
  let system: System;

  beforeAll(async () => {
    system = await startSystem({
      redisDb: 15,
      // Both services share one server certificate here (the env is common to both): it names 127.0.0.1, which the
      // gateway dials in this test. Deployments give each its own (USER_SERVICE_/TASK_SERVICE_RPC_TLS_CERT).
      servicesEnv: {
        RPC_TLS: 'true',
        RPC_TLS_CA: certificates.ca.cert,
        RPC_TLS_CERT: certificates.servers['user-service'].cert,
        RPC_TLS_KEY: certificates.servers['user-service'].key,
      },
      gatewayEnv: gatewayTls,
    });
  }, 180_000);

  afterAll(async () => {
    await system?.stop();
  });

  it('serves register, login (user-service) and tasks (task-service) through the mutual TLS transport', async () => {
    const user = await system.signUp('mtls');
    const task = await system.createTask(user, { title: 'over TLS' });
    const read = await system.http.get(`/api/v1/tasks/${task.id}`, { token: user.token });
    expect(read).toMatchObject({ status: 200, json: { id: task.id, title: 'over TLS' } });
  });

  it("readiness completes the TLS handshake with each service: ready here, not ready when the service's CA is not trusted", async () => {
    expect((await system.management.get('/health/ready')).status).toBe(200);
    // A consistent set of another CA (the configuration accepts it): the services' certificates do not chain to it.
    const distrustful = await system.startGateway({
      RPC_TLS: 'true',
      RPC_TLS_CA: foreign.ca.cert,
      RPC_TLS_CERT: foreign.clients['api-gateway'].cert,
      RPC_TLS_KEY: foreign.clients['api-gateway'].key,
    });
    try {
      const ready = await distrustful.management.get('/health/ready');
      expect(ready.status).toBe(503);
      expect(JSON.stringify(ready.json)).toContain('user-service');
    } finally {
      await distrustful.close();
    }
  });

  it('a gateway on plaintext RPC gets no answer from the services: 503, and the services keep running', async () => {
    const plaintext = await system.startGateway({});
    try {
      const login = await plaintext.http.post('/api/v1/auth/login', { email: 'a@example.com', password: 'whatever-1' });
      expect(login.status).toBe(503);
      expect(login.json).toMatchObject({ code: 'SERVICE.UNAVAILABLE' });
    } finally {
      await plaintext.close();
    }
    expect(system.servicesAlive()).toBe(true);
  });

  it('a gateway whose client certificate is from another CA is refused: 503', async () => {
    const impostor = await system.startGateway({
      ...gatewayTls,
      RPC_TLS_CA: `${foreign.ca.cert}${certificates.ca.cert}`,
      RPC_TLS_CERT: foreign.clients['api-gateway'].cert,
      RPC_TLS_KEY: foreign.clients['api-gateway'].key,
    });
    try {
      const login = await impostor.http.post('/api/v1/auth/login', { email: 'a@example.com', password: 'whatever-1' });
      expect(login.status).toBe(503);
    } finally {
      await impostor.close();
    }
    // The genuine gateway is unaffected.
    expect(
      (await system.http.post('/api/v1/auth/login', { email: 'a@example.com', password: 'whatever-1' })).status,
    ).toBe(401);
  });
});
