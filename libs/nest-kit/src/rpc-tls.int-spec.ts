import { Controller, INestMicroservice, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { ClientProxy, ClientProxyFactory, MessagePattern, Transport } from '@nestjs/microservices';
import type { RpcTls } from '@taskflow/config';
import { generateRpcCertificates, RpcCertificates } from '@taskflow/infra';
import { freePort } from '@taskflow/testing';
import { connect as netConnect, Socket } from 'node:net';
import { connect as tlsConnect, ConnectionOptions, Server as TlsServer, TLSSocket } from 'node:tls';
import { firstValueFrom, timeout } from 'rxjs';
import { DrainingTcpServer } from './draining-tcp-server';
import { rpcClientTlsOptions } from './rpc-tls';

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
const IDLE_MS = 1500;
const FRAME = (id: string) => {
  const json = JSON.stringify({ pattern: 'echo', data: { hello: 'world' }, id });
  return `${json.length}#${json}`;
};

interface Outcome {
  /** Bytes the server sent (decrypted for TLS) before the connection closed. */
  received: string;
  /** The socket error, if any (e.g. the TLS alert). */
  error?: NodeJS.ErrnoException;
  /** ms from the start until the close. */
  closedAfterMs: number;
}

/** Writes `frame` once connected (TLS: once the handshake is done) and collects what comes back until the close. */
function exchange(socket: Socket, frame: string, connectEvent: 'connect' | 'secureConnect'): Promise<Outcome> {
  const started = Date.now();
  let received = '';
  let error: NodeJS.ErrnoException | undefined;
  return new Promise((resolve) => {
    socket.once(connectEvent, () => socket.write(frame));
    socket.on('data', (chunk: Buffer) => (received += chunk.toString('utf8')));
    socket.on('error', (err: NodeJS.ErrnoException) => (error ??= err));
    socket.once('close', () => resolve({ received, error, closedAfterMs: Date.now() - started }));
  });
}

const asTls = (ca: RpcCertificates, leaf: { cert: string; key: string }): Extract<RpcTls, { enabled: true }> => ({
  enabled: true,
  ca: ca.ca.cert,
  cert: leaf.cert,
  key: leaf.key,
});

/**
 * Mutual TLS of the RPC transport (issue 12 item 1): a real Nest TCP microservice on DrainingTcpServer with the
 * certificates `node tools/run.js rpc-certs` makes (openssl CLI), and real clients: the gateway's Nest ClientTCP
 * and raw sockets playing the peers that must be refused.
 */
describe('RPC transport over mutual TLS', () => {
  let port: number;
  let service: INestMicroservice;
  /** Handshakes the listener completed (its `secureConnection` events): only those reach the RPC layer. */
  let accepted = 0;
  let certificates: RpcCertificates;
  let foreign: RpcCertificates;
  const clients: ClientProxy[] = [];

  const gatewayClient = (host: string, tls: RpcTls): ClientProxy => {
    const client = ClientProxyFactory.create({
      transport: Transport.TCP,
      options: { host, port, tlsOptions: rpcClientTlsOptions(tls) },
    });
    clients.push(client);
    return client;
  };
  const tlsSocket = (options: ConnectionOptions): TLSSocket =>
    tlsConnect({ host: '127.0.0.1', port, ca: certificates.ca.cert, minVersion: 'TLSv1.3', ...options });

  beforeAll(async () => {
    certificates = generateRpcCertificates();
    foreign = generateRpcCertificates({ caName: 'Some Other CA' });
    port = await freePort();
    const strategy = new DrainingTcpServer({
      host: '127.0.0.1',
      port,
      maxFrameBytes: MAX_FRAME,
      idleTimeoutMs: IDLE_MS,
      tls: asTls(certificates, certificates.servers['user-service']),
    });
    service = await NestFactory.createMicroservice(EchoModule, { strategy, logger: false });
    await service.listen();
    strategy.unwrap<TlsServer>().on('secureConnection', () => (accepted += 1));
  });

  afterAll(async () => {
    for (const client of clients) client.close();
    await service?.close();
  });

  it("answers the gateway's client (its client certificate), by IP and by host name", async () => {
    const tls = asTls(certificates, certificates.clients['api-gateway']);
    const byIp = gatewayClient('127.0.0.1', tls);
    expect(await firstValueFrom(byIp.send('echo', { hello: 'world' }))).toEqual({ hello: 'world' });
    const byName = gatewayClient('localhost', tls);
    const large = 'x'.repeat(MAX_FRAME - 200);
    expect(await firstValueFrom(byName.send('echo', { large }))).toEqual({ large });
  });

  it('gives a plaintext client no answer: its frame is not a TLS handshake and the connection is closed', async () => {
    const outcome = await exchange(netConnect({ host: '127.0.0.1', port }), FRAME('1'), 'connect');
    expect(outcome.received).not.toContain('world');
    expect(outcome.received).not.toContain('"id"');
    expect(outcome.closedAfterMs).toBeLessThan(IDLE_MS);
  });

  it('refuses a TLS client without a client certificate (certificate required alert), answering nothing', async () => {
    const before = accepted;
    const outcome = await exchange(tlsSocket({}), FRAME('2'), 'secureConnect');
    expect(accepted).toBe(before);
    expect(outcome.received).toBe('');
    expect(outcome.error?.code).toBe('ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED');
  });

  it('refuses a client certificate issued by another CA: the handshake never completes, nothing is answered', async () => {
    const before = accepted;
    const outcome = await exchange(tlsSocket(foreign.clients['api-gateway']), FRAME('3'), 'secureConnect');
    expect(accepted).toBe(before);
    expect(outcome.received).toBe('');
    expect(outcome.closedAfterMs).toBeLessThan(IDLE_MS);
    // The same request with the gateway's certificate is answered (the refusal above is the certificate's).
    const control = await exchange(tlsSocket(certificates.clients['api-gateway']), FRAME('3'), 'secureConnect');
    expect(accepted).toBe(before + 1);
    expect(control.received).toContain('"world"');
  });

  it('the gateway refuses a server whose certificate is not from its CA, or not for the host it dials', async () => {
    const trustsOtherCa: RpcTls = { ...asTls(certificates, certificates.clients['api-gateway']), ca: foreign.ca.cert };
    const otherCa = gatewayClient('127.0.0.1', trustsOtherCa);
    await expect(firstValueFrom(otherCa.send('echo', 1).pipe(timeout(5000)))).rejects.toThrow('Connection closed');
    const untrusted = tlsConnect({ host: '127.0.0.1', port, ...rpcClientTlsOptions(trustsOtherCa) });
    // The service sends its chain (leaf + its CA): a CA the gateway does not trust.
    expect((await exchange(untrusted, FRAME('4'), 'secureConnect')).error?.code).toBe('SELF_SIGNED_CERT_IN_CHAIN');
    // Dialling task-service but reaching this listener (user-service's certificate: user-service, localhost, 127.0.0.1).
    const client = tlsConnect({
      host: '127.0.0.1',
      servername: 'task-service',
      port,
      ...rpcClientTlsOptions(asTls(certificates, certificates.clients['api-gateway'])),
    });
    const outcome = await exchange(client, FRAME('4'), 'secureConnect');
    expect(outcome.error?.code).toBe('ERR_TLS_CERT_ALTNAME_INVALID');
    expect(outcome.received).toBe('');
  });

  it('keeps the frame cap over TLS: a declared 60 MB frame closes the connection at once', async () => {
    const socket = tlsSocket(certificates.clients['api-gateway']);
    const outcome = await exchange(socket, `${60 * 1024 * 1024}#{"pattern":"echo","data":"`, 'secureConnect');
    expect(outcome.received).toBe('');
    expect(outcome.closedAfterMs).toBeLessThan(IDLE_MS / 2);
  });

  it('keeps the idle timeout over TLS: an authenticated connection that sends nothing is closed', async () => {
    const outcome = await exchange(tlsSocket(certificates.clients['api-gateway']), '', 'secureConnect');
    expect(outcome.closedAfterMs).toBeGreaterThanOrEqual(IDLE_MS - 100);
    expect(outcome.closedAfterMs).toBeLessThan(IDLE_MS * 3);
  });
});
