import { MessageHandler, ServerTCP, TcpSocket } from '@nestjs/microservices';
import type { RpcTls } from '@taskflow/config';
import type { Socket } from 'node:net';
import { throwError } from 'rxjs';
import { BoundedJsonSocket } from './bounded-json-socket';
import { credentialInvalid } from './rpc-request';
import { rpcServerTlsOptions } from './rpc-tls';

/**
 * The handler of every pattern the service does not have: it answers what a known pattern answers a caller
 * without a credential (RPC.CREDENTIAL_INVALID, through Nest's own reply path, so the packets are alike byte for
 * byte), where Nest would say "There is no matching message handler" and let an anonymous peer list the
 * operations. An event (no reply) to an unknown pattern is dropped without a log line.
 */
const UNKNOWN_PATTERN: MessageHandler = async () => throwError(() => credentialInvalid().toRpcBody());

/** Where an RPC listener binds and what one connection may hold (libs/config rpcTransportSpec). */
export interface RpcListenerOptions {
  host: string;
  port: number;
  /** Largest request frame in characters; a larger declared or buffered frame destroys the connection. */
  maxFrameBytes?: number;
  /** A connection idle this long (nothing received, no reply pending) is closed, ms. */
  idleTimeoutMs?: number;
  /** Most simultaneous connections (default 64); later ones are closed on arrival. */
  maxConnections?: number;
  /** How long close() waits for replies in flight before destroying the connections, ms. */
  closeTimeoutMs?: number;
  /** Mutual TLS (libs/config rpcTlsSpec); plain TCP when absent or disabled. */
  tls?: RpcTls;
}

interface Connection {
  /** Ids of the requests received on this connection whose final reply is not written yet. */
  pending: Set<string>;
  /** Ended by close(): messages arriving now are dropped (their reply could not be sent). */
  ending: boolean;
}

interface ReplyPacket {
  id?: string | number;
  isDisposed?: boolean;
  status?: string;
}

/**
 * Nest's TCP request/reply transport with a graceful close. Nest's own `ServerTCP.close()` destroys every open
 * socket at once, replies in flight included: the caller sees the connection drop although the work may be
 * committed. Here `close()` stops accepting, ends each connection (FIN) as soon as every request received on
 * it has had its reply written, drops what arrives on a connection after its end (never started, so the
 * caller's failure is unambiguous), and destroys whatever is left after `closeTimeoutMs`.
 *
 * It also bounds what a peer can hold before any credential is checked: one frame at most `maxFrameBytes`
 * (BoundedJsonSocket) and a connection that sends nothing for `idleTimeoutMs` is closed. With `tls` enabled the
 * listener is mutual TLS 1.3 (rpcServerTlsOptions): only a peer with a certificate from the RPC CA completes the
 * handshake (bounded by `idleTimeoutMs` too), and the limits apply to the decrypted stream.
 *
 * Use as `app.connectMicroservice({ strategy: new DrainingTcpServer({ host, port }) })`.
 */
export class DrainingTcpServer extends ServerTCP {
  private readonly connections = new Map<TcpSocket, Connection>();
  private closing = false;
  private readonly closeTimeoutMs: number;
  private readonly maxFrameBytes: number;
  private readonly idleTimeoutMs: number;
  private readonly maxConnections: number;
  private allEnded?: () => void;

  constructor(options: RpcListenerOptions) {
    const { closeTimeoutMs = 15_000, maxFrameBytes = 1024 * 1024, idleTimeoutMs = 60_000, host, port, tls } = options;
    super({ host, port, tlsOptions: rpcServerTlsOptions(tls, idleTimeoutMs) });
    this.closeTimeoutMs = closeTimeoutMs;
    this.maxFrameBytes = maxFrameBytes;
    this.idleTimeoutMs = idleTimeoutMs;
    this.maxConnections = options.maxConnections ?? 64;
  }

  /** Node closes connections beyond `maxConnections` as they arrive (net.Server `drop`). */
  override listen(callback: (error?: unknown) => void): void {
    this.server.maxConnections = this.maxConnections;
    super.listen(callback);
  }

  /** The service's handler of `pattern`, or UNKNOWN_PATTERN's answer: unknown looks like unauthenticated. */
  override getHandlerByPattern(pattern: string): MessageHandler {
    return super.getHandlerByPattern(pattern) ?? UNKNOWN_PATTERN;
  }

  /**
   * Nest's `bindHandler`, but a connection's framing or socket error (any peer can send a corrupt length, bad
   * JSON, an oversized frame; the connection is destroyed) is one warn line naming the peer and the error's class,
   * not an error-level InvalidTcpDataReceptionException with its stack: an anonymous peer cannot flood the error
   * log. The error's message is not logged: it may quote the peer's bytes.
   */
  override bindHandler(socket: Socket): void {
    this.trackOpenSocket(socket);
    const peer = `${socket.remoteAddress}:${socket.remotePort}`;
    const json = this.getSocketInstance(socket);
    json.on('message', (message: unknown) =>
      this.handleMessage(json, message).catch((error: unknown) => this.handleError(error as string)),
    );
    json.on('error', (error: unknown) => {
      const kind = error instanceof Error ? error.constructor.name : typeof error;
      this.logger.warn(`RPC connection from ${peer} closed: invalid data (${kind})`);
    });
  }

  override async handleMessage(socket: TcpSocket, rawMessage: unknown): Promise<unknown> {
    const connection = this.connections.get(socket);
    if (connection?.ending) return undefined;
    const id = (rawMessage as ReplyPacket | undefined)?.id;
    if (!connection || id === undefined) return super.handleMessage(socket, rawMessage);
    connection.pending.add(String(id));
    try {
      return await super.handleMessage(socket, rawMessage);
    } catch (error) {
      this.replied(socket, String(id)); // failed before any reply was produced: nothing will be written
      throw error;
    }
  }

  /** Stops accepting, lets every connection finish its replies, then closes them (bounded by closeTimeoutMs). */
  override async close(): Promise<void> {
    this.isManuallyTerminated = true;
    this.closing = true;
    this.server.close();
    const ended = new Promise<void>((resolve) => (this.allEnded = resolve));
    for (const socket of this.connections.keys()) this.endWhenIdle(socket);
    this.checkAllEnded();
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([ended, new Promise((resolve) => (timer = setTimeout(resolve, this.closeTimeoutMs)))]);
    clearTimeout(timer);
    this.closeOpenSockets();
    this.connections.clear();
  }

  protected override getSocketInstance(socket: Socket): TcpSocket {
    const json = new BoundedJsonSocket(socket, this.maxFrameBytes);
    this.connections.set(json, { pending: new Set(), ending: false });
    // Node's socket timeout restarts with every byte read or written; a connection awaiting a reply is not idle.
    socket.setTimeout(this.idleTimeoutMs, () => {
      if ((this.connections.get(json)?.pending.size ?? 0) === 0) socket.destroy();
    });
    socket.once('close', () => {
      this.connections.delete(json);
      this.checkAllEnded();
    });
    const send = json.sendMessage.bind(json);
    json.sendMessage = (message: ReplyPacket, callback?: (error?: unknown) => void) => {
      send(message, callback);
      // The last packet of a reply is marked isDisposed; a request without handler gets one error packet.
      if (message?.id !== undefined && (message.isDisposed || message.status === 'error')) {
        this.replied(json, String(message.id));
      }
    };
    return json;
  }

  private replied(socket: TcpSocket, id: string): void {
    this.connections.get(socket)?.pending.delete(id);
    if (this.closing) this.endWhenIdle(socket);
  }

  private endWhenIdle(socket: TcpSocket): void {
    const connection = this.connections.get(socket);
    if (!connection || connection.ending || connection.pending.size > 0) return;
    connection.ending = true;
    socket.netSocket.end(); // written replies are flushed before the FIN
  }

  private checkAllEnded(): void {
    if (this.closing && this.connections.size === 0) this.allEnded?.();
  }
}
