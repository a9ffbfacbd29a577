import { ClientProxy, ClientProxyFactory, Transport } from '@nestjs/microservices';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { RpcErrorBody, UserRpc } from '@taskflow/contracts';
import { KafkaPublisher } from '@taskflow/messaging-kafka';
import { AppMetrics, createLogger, RPC_AUDIENCE } from '@taskflow/nest-kit';
import { callCredential, callerVerifier, fieldEncryptionKeys, freePort, testEventSigningKey } from '@taskflow/testing';
import { firstValueFrom } from 'rxjs';
import { DataSource } from 'typeorm';
import { createUserServiceApp } from '../src/bootstrap';
import { connect } from '../src/database/data-source';
import { dbConfig, KAFKA_BROKERS, scratchDatabase, silentLogger, uniqueName } from './support';

/** What user-service writes to its log when a statement fails in PostgreSQL: the cause, never the row's values. */
describe('user-service failure logging (real PostgreSQL)', () => {
  let db: Awaited<ReturnType<typeof scratchDatabase>>;
  let dataSource: DataSource;
  let app: NestFastifyApplication;
  let client: ClientProxy;
  let publisher: KafkaPublisher;
  const lines: string[] = [];

  beforeAll(async () => {
    db = await scratchDatabase('us_logging');
    dataSource = await connect(dbConfig(db.url));
    await dataSource.runMigrations({ transaction: 'each' });
    // A failure that no validator can prevent: the database refuses the INSERT itself.
    await dataSource.query(`
      CREATE FUNCTION refuse_users() RETURNS trigger LANGUAGE plpgsql AS
        $$ BEGIN RAISE EXCEPTION 'storage refused the row' USING ERRCODE = 'XX000'; END $$;
      CREATE TRIGGER refuse_users BEFORE INSERT ON users FOR EACH ROW EXECUTE FUNCTION refuse_users();`);
    const logger = createLogger('user-service', 'info', { write: (line: string) => void lines.push(line) });
    publisher = new KafkaPublisher({
      brokers: KAFKA_BROKERS,
      clientId: uniqueName('us-log'),
      logger: silentLogger,
      signingKey: testEventSigningKey(),
    });
    const port = await freePort();
    app = await createUserServiceApp(
      {
        dataSource,
        bcryptCost: 4,
        fieldKeys: fieldEncryptionKeys(),
        publisher,
        metrics: new AppMetrics('user-service'),
        logger,
        callers: callerVerifier(RPC_AUDIENCE.user),
        idempotencyRetentionMs: 86_400_000,
      },
      { host: '127.0.0.1', port },
    );
    await app.init();
    await app.startAllMicroservices();
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    await client.connect();
  }, 60_000);

  afterAll(async () => {
    client?.close();
    await app?.close();
    await publisher?.disconnect();
    await dataSource?.destroy();
    await db?.drop();
  });

  it('should log a failed registration with its correlation id and without the email or the bcrypt hash', async () => {
    const email = `${uniqueName('secret')}@example.com`;
    const error: RpcErrorBody = await firstValueFrom(
      client.send(UserRpc.register.pattern, {
        context: { credential: callCredential(RPC_AUDIENCE.user), correlationId: 'corr-failed-registration' },
        data: { email, password: 'correct horse battery' },
      }),
    ).then(
      () => {
        throw new Error('expected the registration to fail');
      },
      (failure: RpcErrorBody) => failure,
    );
    expect(error).toMatchObject({ kind: 'unavailable', code: 'INTERNAL' });
    const failure = lines.map((line) => JSON.parse(line)).find((line) => line.msg === 'rpc handler failed');
    expect(failure).toMatchObject({ correlationId: 'corr-failed-registration', err: { code: 'XX000' } });
    const all = lines.join('\n');
    expect(all).toContain('storage refused the row');
    expect(all).not.toContain(email);
    expect(all).not.toMatch(/\$2[aby]\$\d\d\$/);
  });
});
