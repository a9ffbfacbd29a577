import { createPrivateKey, KeyObject, X509Certificate } from 'node:crypto';
import { byProfile, env, profileOf, rawValue, Reader, Source } from './env';

/**
 * Mutual TLS of the RPC transport (api-gateway → user-service / task-service): PEM text as Node's `tls` takes it.
 * The services present `cert` as their server certificate and require a client certificate signed by `ca`; the
 * gateway presents `cert` as its client certificate and checks the service's against `ca` and the host it dials.
 */
export type RpcTls =
  | { enabled: false }
  | {
      enabled: true;
      /** PEM bundle of the RPC CA certificates trusted for the peer (old + new during a rotation). */
      ca: string;
      /** PEM certificate this process presents, signed by a CA of `ca`. */
      cert: string;
      /** PEM private key of `cert`. */
      key: string;
    };

const PEM_CERTIFICATE = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

/** A PEM value as set in an env file: `\n` escapes (one-line `.env`/Secret values) become newlines. */
const pemOf = (raw: string) => raw.replace(/\\n/g, '\n');

function required(source: Source, name: string, what: string, problems: string[]): string | undefined {
  const raw = rawValue(source, name, problems);
  if (raw === null) return undefined;
  if (!raw) {
    problems.push(`${name}: is required when RPC_TLS is true (${what}; set ${name} or ${name}_FILE)`);
    return undefined;
  }
  return pemOf(raw);
}

function certificatesOf(pem: string): X509Certificate[] {
  return (pem.match(PEM_CERTIFICATE) ?? []).map((block) => new X509Certificate(block));
}

/**
 * RPC_TLS (default false in development, true in staging and production, where false is refused) and, when on,
 * RPC_TLS_CA (PEM bundle of CA certificates), RPC_TLS_CERT (PEM certificate, signed by one of them, not expired)
 * and RPC_TLS_KEY (its PEM private key); each may be `NAME_FILE` instead, `\n`-escaped PEM is accepted. A problem
 * names the variable and never shows its value.
 */
export function rpcTlsSpec(): Reader<RpcTls> {
  const enabled = env.bool('RPC_TLS', byProfile({ development: false, staging: true, production: true }));
  return (source, problems) => {
    const profile = profileOf(source);
    if (!enabled(source, problems)) {
      if (profile !== 'development') {
        problems.push(`RPC_TLS: must be true in ${profile} (the RPC transport is mutual TLS outside development)`);
      }
      return { enabled: false };
    }
    const before = problems.length;
    const ca = required(source, 'RPC_TLS_CA', 'PEM bundle of the RPC CA certificates', problems);
    const cert = required(source, 'RPC_TLS_CERT', "this process's PEM certificate", problems);
    const key = required(source, 'RPC_TLS_KEY', 'the PEM private key of RPC_TLS_CERT', problems);
    let authorities: X509Certificate[] = [];
    if (ca !== undefined) {
      try {
        authorities = certificatesOf(ca);
      } catch {
        authorities = [];
      }
      if (authorities.length === 0 || authorities.some((authority) => !authority.ca)) {
        problems.push(
          'RPC_TLS_CA: must be PEM CA certificates (BEGIN CERTIFICATE, basicConstraints CA:TRUE; value not shown)',
        );
        authorities = [];
      }
    }
    let certificate: X509Certificate | undefined;
    if (cert !== undefined) {
      try {
        certificate = certificatesOf(cert)[0];
      } catch {
        certificate = undefined;
      }
      if (!certificate) problems.push('RPC_TLS_CERT: must be a PEM certificate (value not shown)');
      else if (Date.parse(certificate.validTo) <= Date.now()) {
        problems.push(`RPC_TLS_CERT: expired on ${certificate.validTo}`);
      } else if (authorities.length > 0 && !authorities.some((authority) => certificate!.verify(authority.publicKey))) {
        problems.push('RPC_TLS_CERT: is not signed by any certificate of RPC_TLS_CA');
      }
    }
    let privateKey: KeyObject | undefined;
    if (key !== undefined) {
      try {
        privateKey = createPrivateKey(key);
      } catch {
        problems.push('RPC_TLS_KEY: must be a PEM private key (value not shown)');
      }
    }
    if (certificate && privateKey && !certificate.checkPrivateKey(privateKey)) {
      problems.push('RPC_TLS_KEY: is not the private key of RPC_TLS_CERT');
    }
    if (problems.length > before || !ca || !cert || !key) return { enabled: false };
    return { enabled: true, ca, cert, key };
  };
}
