import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { decodeEnvelope, RpcContext, RpcErrorBody, RpcRequest, Topics, UserRpc, UserView } from '@taskflow/contracts';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, managementServer, RPC_AUDIENCE } from '@taskflow/nest-kit';
import { OutboxRelay } from '@taskflow/outbox';
import jwt from 'jsonwebtoken';
import { Consumer, Kafka, logLevel } from 'kafkajs';
import { generateKeyPairSync, randomUUID } from 'node:crypto';
import { createConnection } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { createUserServiceApp } from '../src/bootstrap';
import { connect } from '../src/database/data-source';
import { USER_OUTBOX_TABLE } from '../src/migrations/1767225600001-create-user-outbox';
import { callCredential, callerVerifier, fieldEncryptionKeys, freePort, testEventSigningKey } from '@taskflow/testing';
import {
  dbConfig,
  ensureUserTopic,
  KAFKA_BROKERS,
  scratchDatabase,
  silentLogger,
  testThrottle,
  uniqueName,
} from './support';

/**
 * One request over a bare socket in Nest's TCP framing (`<length>#<json>`), as an attacker on the RPC port would
 * send it (no client library shaping the message); resolves with the decoded reply packet.
 */
function rawTcpCall(port: number, packet: unknown): Promise<{ err?: unknown; response?: unknown }> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: '127.0.0.1', port }, () => {
      const json = JSON.stringify(packet);
      socket.write(`${json.length}#${json}`);
    });
    let buffer = '';
    socket.setEncoding('utf8');
    socket.on('data', (chunk: string) => {
      buffer += chunk;
      const hash = buffer.indexOf('#');
      const length = Number(buffer.slice(0, hash));
      if (hash === -1 || buffer.length < hash + 1 + length) return;
      socket.destroy();
      resolve(JSON.parse(buffer.slice(hash + 1, hash + 1 + length)));
    });
    socket.on('error', reject);
    socket.setTimeout(5000, () => socket.destroy(new Error('no reply in 5 s')));
  });
}

/** A wire context as the gateway sends it: the credential it mints for `actor` (or nobody), plus request facts. */
const ctx = (actor?: RpcContext['actor'], facts: { correlationId?: string } = {}) => ({
  credential: callCredential(RPC_AUDIENCE.user, actor),
  ...facts,
});

/** The whole service as main.ts wires it: TCP request/reply, HTTP ops endpoints, outbox relay to real Kafka. */
describe('user-service over TCP (end to end)', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let dataSource: DataSource;
  let app: NestFastifyApplication;
  let client: ClientProxy;
  let publisher: KafkaPublisher;
  let relay: OutboxRelay;
  let consumer: Consumer;
  const received: { key: string; value: string }[] = [];
  let throttle: Awaited<ReturnType<typeof testThrottle>> | undefined;
  let rpcPort: number;
  /** Attempts of `user.authenticate` per email and minute in this suite. */
  const AUTH_PER_EMAIL = 5;

  const call = <T>(pattern: string, request: RpcRequest<unknown> | unknown) =>
    firstValueFrom(client.send<T>(pattern, request));
  const callFails = (pattern: string, request: unknown): Promise<RpcErrorBody> =>
    call(pattern, request).then(
      () => {
        throw new Error('expected an RPC error');
      },
      (error: RpcErrorBody) => error,
    );
  const inject = (url: string) => managementServer(app).server.inject({ method: 'GET', url });

  beforeAll(async () => {
    await ensureUserTopic();
    db = await scratchDatabase('us_rpc');
    dataSource = await connect(dbConfig(db.url));
    await dataSource.runMigrations({ transaction: 'each' });

    consumer = new Kafka({
      clientId: uniqueName('us-test'),
      brokers: KAFKA_BROKERS,
      logLevel: logLevel.NOTHING,
    }).consumer({
      groupId: uniqueName('us-rpc-test'),
    });
    await consumer.connect();
    await consumer.subscribe({ topic: Topics.user, fromBeginning: false });
    const joined = new Promise((resolve) => consumer.on(consumer.events.GROUP_JOIN, resolve));
    await consumer.run({
      eachMessage: async ({ message }) => {
        received.push({ key: message.key?.toString() ?? '', value: message.value?.toString() ?? '' });
      },
    });
    await joined; // writes made before the group owns its partitions would be skipped (fromBeginning: false)

    const metrics = new AppMetrics('user-service');
    publisher = new KafkaPublisher({
      brokers: KAFKA_BROKERS,
      clientId: uniqueName('us-rpc'),
      logger: silentLogger,
      signingKey: testEventSigningKey(),
    });
    relay = new OutboxRelay({
      dataSource,
      table: USER_OUTBOX_TABLE,
      publisher,
      logger: silentLogger,
      metrics,
      pollIntervalMs: 50,
    });
    const port = (rpcPort = await freePort());
    app = await createUserServiceApp(
      {
        dataSource,
        bcryptCost: 4,
        fieldKeys: fieldEncryptionKeys(),
        publisher,
        metrics,
        logger: silentLogger,
        callers: callerVerifier(RPC_AUDIENCE.user),
        idempotencyRetentionMs: 86_400_000,
        authenticateThrottle: (throttle = await testThrottle({
          perEmailPerMinute: AUTH_PER_EMAIL,
          perSourcePerMinute: 100_000,
        })).throttle,
      },
      { host: '127.0.0.1', port },
    );
    await app.init();
    await app.startAllMicroservices();
    await app.getHttpAdapter().getInstance().ready();
    relay.start();
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await relay?.stop();
    await app?.close();
    await publisher?.disconnect();
    await consumer?.disconnect();
    await dataSource?.destroy();
    await db?.drop();
    throttle?.close();
  }, 30_000); // leaving the Kafka consumer group can take several seconds

  it('should register, authenticate and read a user without ever answering the hash', async () => {
    const email = `${uniqueName('rpc')}@example.com`;
    const registered = await call<UserView>(UserRpc.register.pattern, {
      context: ctx(undefined, { correlationId: 'corr-rpc' }),
      data: { email, password: 'correct horse', profile: { firstName: 'Ada' } },
    });
    expect(registered).toMatchObject({ email, role: 'user', profile: { firstName: 'Ada' } });
    const authenticated = await call<UserView>(UserRpc.authenticate.pattern, {
      context: ctx(),
      data: { email, password: 'correct horse', sessionId: 'sess-rpc' },
    });
    const read = await call<UserView>(UserRpc.getById.pattern, {
      context: ctx({ id: registered.id, role: 'user' }),
      data: { id: registered.id },
    });
    for (const response of [registered, authenticated, read]) {
      expect(Object.keys(response).sort()).toEqual(['createdAt', 'email', 'id', 'profile', 'role', 'updatedAt']);
      expect(JSON.stringify(response)).not.toMatch(/\$2[aby]\$|password/i);
    }
  });

  it('should answer a validation error with field errors as RpcErrorBody', async () => {
    const error = await callFails(UserRpc.register.pattern, {
      context: ctx(),
      data: { email: 'not-an-email', password: 'short', role: 'admin' },
    });
    expect(error).toMatchObject({ kind: 'validation', code: 'USER.VALIDATION_FAILED' });
    expect(error.fieldErrors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ field: 'email' }),
        expect.objectContaining({ field: 'password' }),
        { field: 'role', reason: 'property role should not exist' },
      ]),
    );
    expect(JSON.stringify(error)).not.toContain('short');
  });

  describe('a caller without a credential the gateway minted (raw TCP client on the RPC port)', () => {
    const victim = { id: '00000000-0000-4000-8000-0000000000aa', role: 'user' as const };
    const forgedAdmin = { id: '00000000-0000-4000-8000-0000000000bb', role: 'admin' as const };

    it('should refuse an actor written into the context, even next to a valid anonymous credential', async () => {
      const error = await callFails(UserRpc.changeRole.pattern, {
        context: { ...ctx(), actor: forgedAdmin },
        data: { userId: victim.id, role: 'admin' },
      });
      expect(error).toMatchObject({ kind: 'validation' });
      expect(error.fieldErrors?.map((field) => field.field)).toEqual(['context.actor']);
    });

    it('should answer raw TCP frames without a valid credential CREDENTIAL_INVALID alone, naming no field', async () => {
      const forged = callCredential(RPC_AUDIENCE.task, forgedAdmin);
      const frames = [
        'x',
        null,
        [],
        { extra: 1 },
        { data: 'x' },
        { data: { userId: 'not-a-uuid', role: 'root', isAdmin: true } },
        { context: 'x', data: {} },
        { context: { correlationId: 'a b', ipAddress: 'nope', actor: forgedAdmin }, data: {} },
        { context: { credential: forged, actor: forgedAdmin }, data: 'x', extra: 1 },
      ];
      for (const data of frames) {
        const reply = await rawTcpCall(rpcPort, { pattern: UserRpc.changeRole.pattern, data, id: randomUUID() });
        expect({ data, err: reply.err }).toEqual({
          data,
          err: {
            kind: 'unauthorized',
            code: 'RPC.CREDENTIAL_INVALID',
            message: 'The call carries no valid credential.',
          },
        });
      }
      // With a valid credential, the same bad shape is told field by field.
      const reply = await rawTcpCall(rpcPort, {
        pattern: UserRpc.changeRole.pattern,
        data: { context: ctx(), data: { userId: 'not-a-uuid', role: 'root' } },
        id: randomUUID(),
      });
      expect(reply.err).toMatchObject({ kind: 'validation', code: 'USER.VALIDATION_FAILED' });
    });

    it('should answer an unknown pattern exactly as a known one without a credential (operations not listable)', async () => {
      const id = randomUUID();
      const known = await rawTcpCall(rpcPort, { pattern: UserRpc.changeRole.pattern, data: {}, id });
      expect(known.err).toMatchObject({ kind: 'unauthorized', code: 'RPC.CREDENTIAL_INVALID' });
      for (const pattern of ['user.deleteEverything', 'task.delete', 'user.changeRole ', '']) {
        const unknown = await rawTcpCall(rpcPort, { pattern, data: {}, id });
        expect({ pattern, unknown }).toEqual({ pattern, unknown: known });
      }
    });

    it('should refuse a call with no credential, a forged one, or one minted for another service', async () => {
      const otherKey = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey;
      const forged = jwt.sign({ sub: forgedAdmin.id, role: 'admin' }, otherKey, {
        algorithm: 'ES256',
        keyid: 'attacker',
        audience: RPC_AUDIENCE.user,
        issuer: 'taskflow-api-gateway',
        expiresIn: 60,
      });
      for (const context of [
        {},
        { credential: forged },
        { credential: callCredential(RPC_AUDIENCE.task, forgedAdmin) },
        { credential: callCredential(RPC_AUDIENCE.user, forgedAdmin, undefined, -10) },
      ]) {
        for (const [pattern, data] of [
          [UserRpc.changeRole.pattern, { userId: victim.id, role: 'admin' }],
          [UserRpc.list.pattern, {}],
        ] as const) {
          await expect(callFails(pattern, { context, data })).resolves.toMatchObject({
            kind: 'unauthorized',
            code: 'RPC.CREDENTIAL_INVALID',
          });
        }
      }
    });
  });

  it('should map not_found, unauthorized and forbidden to RpcErrorBody', async () => {
    const actor = { id: '00000000-0000-4000-8000-000000000001', role: 'user' as const };
    await expect(
      callFails(UserRpc.getById.pattern, { context: ctx(actor), data: { id: '00000000-0000-4000-8000-000000000002' } }),
    ).resolves.toEqual({
      kind: 'not_found',
      code: 'USER.NOT_FOUND',
      message: 'User 00000000-0000-4000-8000-000000000002 not found.',
    });
    await expect(
      callFails(UserRpc.authenticate.pattern, {
        context: ctx(),
        data: { email: 'nobody@example.com', password: 'x', sessionId: 's' },
      }),
    ).resolves.toMatchObject({ kind: 'unauthorized', code: 'USER.INVALID_CREDENTIALS' });
    await expect(
      callFails(UserRpc.changeRole.pattern, { context: ctx(actor), data: { userId: actor.id, role: 'admin' } }),
    ).resolves.toMatchObject({ kind: 'forbidden', code: 'USER.FORBIDDEN' });
  });

  it('should throttle user.authenticate per email on its own RPC port (issue 12: 40 guesses in 11 s)', async () => {
    const email = `${uniqueName('guessed')}@example.com`;
    const other = `${uniqueName('bystander')}@example.com`;
    for (const address of [email, other]) {
      await call(UserRpc.register.pattern, {
        context: ctx(),
        data: { email: address, password: 'correct-horse-battery' },
      });
    }
    const attempt = (address: string, password: string) =>
      callFails(UserRpc.authenticate.pattern, {
        context: ctx(),
        data: { email: address, password, sessionId: randomUUID() },
      });
    for (let i = 0; i < AUTH_PER_EMAIL; i++) {
      expect(await attempt(email, `guess-${i}`)).toMatchObject({
        kind: 'unauthorized',
        code: 'USER.INVALID_CREDENTIALS',
      });
    }
    // The next attempt in the window is refused before the password is even checked, the right one included.
    for (const password of ['guess-next', 'correct-horse-battery']) {
      const refused = await attempt(email, password);
      expect(refused).toMatchObject({ kind: 'rate_limited', code: 'USER.AUTHENTICATE_THROTTLED' });
      expect(refused.details?.retryAfterSeconds).toBeGreaterThanOrEqual(1);
      expect(refused.details?.retryAfterSeconds).toBeLessThanOrEqual(60);
    }
    // Another account from the same caller signs in as usual.
    const signedIn = await call<UserView>(UserRpc.authenticate.pattern, {
      context: ctx(),
      data: { email: other, password: 'correct-horse-battery', sessionId: randomUUID() },
    });
    expect(signedIn.email).toBe(other);
  });

  it('should cap pages at 100', async () => {
    const admin = { id: '00000000-0000-4000-8000-000000000001', role: 'admin' as const };
    const error = await callFails(UserRpc.list.pattern, { context: ctx(admin), data: { limit: 101 } });
    expect(error.fieldErrors).toEqual([expect.objectContaining({ field: 'limit' })]);
  });

  it('should publish each write to Kafka exactly once, keyed by the user id', async () => {
    const email = `${uniqueName('evt')}@example.com`;
    const user = await call<UserView>(UserRpc.register.pattern, {
      context: ctx(),
      data: { email, password: 'correct horse' },
    });
    await call(UserRpc.recordLogout.pattern, {
      context: ctx({ id: user.id, role: 'user' }),
      data: { userId: user.id, sessionId: 'sess-out' },
    });
    const deadline = Date.now() + 20_000;
    const mine = () => received.filter((message) => message.key === user.id);
    while (mine().length < 2 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
    await new Promise((resolve) => setTimeout(resolve, 500)); // a duplicate would arrive by now
    const envelopes = mine().map((message) => decodeEnvelope(message.value));
    expect(envelopes.map((result) => result.ok && result.envelope.type)).toEqual(['user.registered', 'user.logout']);
    const [{ pending }] = await dataSource.query(
      `SELECT count(*)::int AS pending FROM user_outbox WHERE sent_at IS NULL`,
    );
    expect(pending).toBe(0);
  }, 30_000);

  it('should report readiness of PostgreSQL, the schema version and Kafka, and pool metrics', async () => {
    const ready = await inject('/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json().checks.map((check: { name: string; status: string }) => [check.name, check.status])).toEqual([
      ['postgres', 'up'],
      ['schema', 'up'],
      ['kafka', 'up'],
      ['redis', 'up'],
    ]);
    expect((await inject('/health/database')).statusCode).toBe(200);
    const metrics = (await inject('/metrics')).body;
    expect(metrics).toMatch(/taskflow_db_pool_connections\{pool="primary",state="idle",app="user-service"\} \d+/);
    expect(metrics).toContain('taskflow_outbox_pending');
  });
});
