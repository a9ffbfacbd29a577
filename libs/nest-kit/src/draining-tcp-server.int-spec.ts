import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, MessagePattern, Transport } from '@nestjs/microservices';
import { freePort } from '@taskflow/testing';
import { connect, Socket } from 'node:net';
import { firstValueFrom } from 'rxjs';
import { DrainingTcpServer } from './draining-tcp-server';
import { createLogger } from './logger';
import { RpcController } from './rpc-error.filter';
import { credentialInvalid } from './rpc-request';
import { SERVICE_LOGGER } from './service-logger';

@Controller()
class EchoController {
  @MessagePattern('echo')
  echo(data: unknown) {
    return data;
  }
}

@Module({ controllers: [EchoController] })
class EchoModule {}

const MAX_FRAME = 64 * 1024;
const IDLE_MS = 1000;

/** Resolves when the server closes (or resets) the socket; with the time it took from `since`. */
function closed(socket: Socket, since = Date.now()): Promise<number> {
  return new Promise((resolve) => {
    socket.on('error', () => undefined);
    socket.once('close', () => resolve(Date.now() - since));
  });
}

async function open(port: number): Promise<Socket> {
  const socket = connect({ host: '127.0.0.1', port });
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  return socket;
}

/**
 * The RPC listener's limits (issue 12): what an unauthenticated peer can make user-service or task-service hold
 * before any credential is checked. Real sockets against a real Nest TCP microservice on DrainingTcpServer.
 */
describe('DrainingTcpServer limits: frame size and idle connections', () => {
  let port: number;
  let service: INestMicroservice;
  let client: ClientProxy;

  beforeAll(async () => {
    port = await freePort();
    service = await NestFactory.createMicroservice(EchoModule, {
      strategy: new DrainingTcpServer({ host: '127.0.0.1', port, maxFrameBytes: MAX_FRAME, idleTimeoutMs: IDLE_MS }),
      logger: false,
    });
    await service.listen();
    client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
  });

  afterAll(async () => {
    client?.close();
    await service?.close();
  });

  it('answers normal calls, also frames just under the cap', async () => {
    expect(await firstValueFrom(client.send('echo', { hello: 'world' }))).toEqual({ hello: 'world' });
    const large = 'x'.repeat(MAX_FRAME - 200);
    expect(await firstValueFrom(client.send('echo', { large }))).toEqual({ large });
  });

  it('closes a connection that declares a 60 MB frame at its first bytes, before the rest arrives', async () => {
    const socket = await open(port);
    const gone = closed(socket);
    socket.write(`${60 * 1024 * 1024}#{"pattern":"echo","data":"`);
    // At once, not by the idle timeout.
    expect(await gone).toBeLessThan(IDLE_MS / 2);
    expect(socket.destroyed).toBe(true);
  });

  it('closes a connection streaming a 60 MB frame, and memory stays bounded', async () => {
    const rssBefore = process.memoryUsage().rss;
    const socket = await open(port);
    const gone = closed(socket);
    let closedAt: number | undefined;
    void gone.then(() => (closedAt = Date.now()));
    // No header delimiter: the frame's length is never declared, so only the buffer cap can stop it.
    const chunk = Buffer.alloc(64 * 1024, '1');
    let sent = 0;
    while (sent < 60 * 1024 * 1024 && closedAt === undefined) {
      const ok = socket.write(chunk);
      sent += chunk.length;
      if (!ok) await Promise.race([new Promise((resolve) => socket.once('drain', resolve)), gone]);
    }
    await gone;
    expect(sent).toBeLessThan(16 * 1024 * 1024); // refused long before 60 MB were taken
    expect(process.memoryUsage().rss - rssBefore).toBeLessThan(48 * 1024 * 1024);
  });

  it('closes a connection that sends nothing for the idle timeout', async () => {
    const socket = await open(port);
    const took = await closed(socket);
    expect(took).toBeGreaterThanOrEqual(IDLE_MS - 50);
    expect(took).toBeLessThan(IDLE_MS + 3000);
  });

  it('keeps serving after refusing: a client reconnects and calls as before', async () => {
    await new Promise((resolve) => setTimeout(resolve, IDLE_MS + 500)); // the client's own idle socket is closed
    expect(await firstValueFrom(client.send('echo', { again: true }))).toEqual({ again: true });
  });
});

describe('DrainingTcpServer limits: simultaneous connections', () => {
  it('closes connections beyond RPC_MAX_CONNECTIONS on arrival and serves again once one leaves', async () => {
    const port = await freePort();
    const service = await NestFactory.createMicroservice(EchoModule, {
      strategy: new DrainingTcpServer({ host: '127.0.0.1', port, maxConnections: 3, idleTimeoutMs: 30_000 }),
      logger: false,
    });
    await service.listen();
    const held = await Promise.all([open(port), open(port), open(port)]);
    const extra = await open(port);
    expect(await closed(extra)).toBeLessThan(2000);
    held[0].destroy();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const client = ClientProxyFactory.create({ transport: Transport.TCP, options: { host: '127.0.0.1', port } });
    try {
      expect(await firstValueFrom(client.send('echo', { again: true }))).toEqual({ again: true });
    } finally {
      client.close();
      for (const socket of held) socket.destroy();
      await service.close();
    }
  });
});

/**
 * Sends raw text on a fresh connection; resolves with what the server wrote: its first whole reply frame, or
 * everything until it closed the connection or `waitMs` passed.
 */
async function rawExchange(port: number, text: string, waitMs = 1000): Promise<string> {
  const socket = await open(port);
  let received = '';
  socket.setEncoding('utf8');
  const replied = new Promise<void>((resolve) =>
    socket.on('data', (chunk: string) => {
      received += chunk;
      const hash = received.indexOf('#');
      if (hash !== -1 && received.length >= hash + 1 + Number(received.slice(0, hash))) resolve();
    }),
  );
  const gone = closed(socket);
  socket.write(text);
  await Promise.race([replied, gone, new Promise((resolve) => setTimeout(resolve, waitMs))]);
  socket.destroy();
  return received;
}

const frame = (packet: unknown) => {
  const json = JSON.stringify(packet);
  return `${json.length}#${json}`;
};

/** A known operation that, like every service handler (parseRpcRequest), refuses a call without a credential. */
@RpcController()
class GuardedController {
  @MessagePattern('user.changeRole')
  changeRole() {
    throw credentialInvalid();
  }
}

@Module({
  controllers: [GuardedController],
  providers: [{ provide: SERVICE_LOGGER, useValue: createLogger('rpc-test', 'silent') }],
})
class GuardedModule {}

describe('DrainingTcpServer towards anonymous peers', () => {
  let port: number;
  let service: INestMicroservice;
  const logged: { level: string; message: string }[] = [];
  const capture = (level: string) => (message: unknown) => logged.push({ level, message: String(message) });

  beforeAll(async () => {
    port = await freePort();
    service = await NestFactory.createMicroservice(GuardedModule, {
      strategy: new DrainingTcpServer({ host: '127.0.0.1', port, maxFrameBytes: MAX_FRAME, idleTimeoutMs: IDLE_MS }),
      logger: {
        log: capture('log'),
        error: capture('error'),
        warn: capture('warn'),
        debug: capture('debug'),
        verbose: capture('verbose'),
      },
    });
    await service.listen();
  });

  afterAll(() => service?.close());

  it('answers an unknown pattern byte for byte as a known one without a credential', async () => {
    const id = 'same-id';
    const known = await rawExchange(port, frame({ pattern: 'user.changeRole', data: {}, id }));
    expect(JSON.parse(known.slice(known.indexOf('#') + 1))).toEqual({
      err: { kind: 'unauthorized', code: 'RPC.CREDENTIAL_INVALID', message: 'The call carries no valid credential.' },
      isDisposed: true,
      id,
    });
    for (const pattern of ['user.nope', 'task.delete', '', { cmd: 'x' }]) {
      const unknown = await rawExchange(port, frame({ pattern, data: {}, id }));
      expect({ pattern, unknown }).toEqual({ pattern, unknown: known });
    }
    expect(known).not.toContain('no matching');
  });

  it('logs a malformed frame as one warn line with the peer address and no stack, and keeps serving', async () => {
    logged.length = 0;
    for (const text of ['abc#{}', '5#{nope', `${MAX_FRAME * 2}#{"pattern":"x"`]) {
      await rawExchange(port, text, 300);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(logged.filter((line) => line.level === 'error')).toEqual([]);
    const warnings = logged.filter((line) => line.level === 'warn');
    expect(warnings).toHaveLength(3);
    for (const { message } of warnings) {
      expect(message).toMatch(/^RPC connection from 127\.0\.0\.1:\d+ closed: invalid data \(\w+\)$/);
    }
    expect(warnings.map((line) => line.message).join('\n')).not.toMatch(/nope|abc|\n\s+at /);
    const reply = await rawExchange(port, frame({ pattern: 'user.changeRole', data: {}, id: 'after' }));
    expect(reply).toContain('RPC.CREDENTIAL_INVALID');
  });
});
