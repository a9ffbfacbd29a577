import type { RpcTls } from '@taskflow/config';
import type { ConnectionOptions, TlsOptions } from 'node:tls';

/** The protocol floor on both ends: TLS 1.3 only (we own both ends, nothing older needs to connect). */
const MIN_VERSION = 'TLSv1.3';

/**
 * `tls.createServer` options of a service's RPC listener: its certificate, and a client certificate signed by the
 * RPC CA required on every connection (a peer without one never gets past the handshake). `handshakeTimeoutMs`
 * bounds a connection that never completes it. Undefined when RPC_TLS is off (plain TCP).
 */
export function rpcServerTlsOptions(tls: RpcTls | undefined, handshakeTimeoutMs: number): TlsOptions | undefined {
  if (!tls?.enabled) return undefined;
  return {
    ca: tls.ca,
    cert: tls.cert,
    key: tls.key,
    requestCert: true,
    rejectUnauthorized: true,
    minVersion: MIN_VERSION,
    handshakeTimeout: handshakeTimeoutMs,
  };
}

/**
 * `tls.connect` options of the gateway's RPC client: its client certificate, and the service's certificate checked
 * against the RPC CA and the host it dials (Node's default `checkServerIdentity`: a DNS or IP SAN must match).
 * Undefined when RPC_TLS is off.
 */
export function rpcClientTlsOptions(tls: RpcTls | undefined): ConnectionOptions | undefined {
  if (!tls?.enabled) return undefined;
  return { ca: tls.ca, cert: tls.cert, key: tls.key, minVersion: MIN_VERSION, rejectUnauthorized: true };
}
