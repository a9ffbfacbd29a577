import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A PEM certificate and its PKCS#8 PEM private key (EC P-256). */
export interface CertificateAndKey {
  cert: string;
  key: string;
}

/** What `generateRpcCertificates` makes: the CA (its key too, for issuing more) and one leaf per name. */
export interface RpcCertificates {
  ca: CertificateAndKey;
  /** Server certificates by name (extendedKeyUsage serverAuth). */
  servers: Record<string, CertificateAndKey>;
  /** Client certificates by name (extendedKeyUsage clientAuth). */
  clients: Record<string, CertificateAndKey>;
}

/** Subject alternative names of a server certificate, in OpenSSL's syntax (e.g. `DNS:user-service`, `IP:127.0.0.1`). */
export type SubjectAltNames = readonly string[];

/** The RPC servers and the names the gateway dials them by: compose/k8s service name, localhost and loopback. */
export const RPC_SERVERS: Readonly<Record<string, SubjectAltNames>> = {
  'user-service': ['DNS:user-service', 'DNS:localhost', 'IP:127.0.0.1'],
  'task-service': ['DNS:task-service', 'DNS:localhost', 'IP:127.0.0.1'],
};

/** The RPC clients: only the gateway calls the services. */
export const RPC_CLIENTS = ['api-gateway'] as const;

/** The secret name prefix of each RPC workload's certificate in docker compose's `.env` and the Kubernetes Secret. */
export const RPC_TLS_SECRET_PREFIX: Readonly<Record<string, string>> = {
  'api-gateway': 'GATEWAY',
  'user-service': 'USER_SERVICE',
  'task-service': 'TASK_SERVICE',
};

/** Runs the openssl CLI in `dir`; its output is discarded (an error carries openssl's stderr). */
function openssl(dir: string, args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] });
}

const P256 = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];

/**
 * A fresh RPC certificate authority and leaf certificates, made with the `openssl` CLI (OpenSSL 3): EC P-256 keys,
 * SHA-256 signatures, random 128-bit serials, valid `days` days. The CA has basicConstraints CA:TRUE (path length
 * 0); server certificates carry their `servers` SANs and serverAuth, client certificates CN=<name> and clientAuth.
 * Throws when openssl is missing or fails. Nothing is left on disk (a temporary directory, removed).
 */
export function generateRpcCertificates(
  options: {
    servers?: Readonly<Record<string, SubjectAltNames>>;
    clients?: readonly string[];
    days?: number;
    caName?: string;
  } = {},
): RpcCertificates {
  const { servers = RPC_SERVERS, clients = RPC_CLIENTS, days = 825, caName = 'TaskFlow RPC CA' } = options;
  const dir = mkdtempSync(join(tmpdir(), 'taskflow-rpc-certs-'));
  try {
    const read = (name: string) => readFileSync(join(dir, name), 'utf8');
    openssl(dir, [
      'req',
      '-x509',
      ...P256,
      '-keyout',
      'ca.key',
      '-out',
      'ca.crt',
      '-days',
      String(days),
      '-sha256',
      '-subj',
      `/CN=${caName}`,
      '-addext',
      'basicConstraints=critical,CA:TRUE,pathlen:0',
      '-addext',
      'keyUsage=critical,keyCertSign,cRLSign',
    ]);
    const issue = (name: string, extensions: string[]): CertificateAndKey => {
      writeFileSync(
        join(dir, `${name}.ext`),
        ['basicConstraints=critical,CA:FALSE', 'keyUsage=critical,digitalSignature', ...extensions].join('\n'),
      );
      openssl(dir, ['req', '-new', ...P256, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${name}`]);
      openssl(dir, [
        'x509',
        '-req',
        '-in',
        `${name}.csr`,
        '-CA',
        'ca.crt',
        '-CAkey',
        'ca.key',
        '-set_serial',
        `0x${randomBytes(16).toString('hex')}`,
        '-days',
        String(days),
        '-sha256',
        '-extfile',
        `${name}.ext`,
        '-out',
        `${name}.crt`,
      ]);
      return { cert: read(`${name}.crt`), key: read(`${name}.key`) };
    };
    return {
      ca: { cert: read('ca.crt'), key: read('ca.key') },
      servers: Object.fromEntries(
        Object.entries(servers).map(([name, sans]) => [
          name,
          issue(name, [`subjectAltName=${sans.join(',')}`, 'extendedKeyUsage=serverAuth']),
        ]),
      ),
      clients: Object.fromEntries(clients.map((name) => [name, issue(name, ['extendedKeyUsage=clientAuth'])])),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Fresh RPC certificates as the flat secrets a deployment holds: RPC_TLS_CA (the CA certificate; its key is not
 * kept) and `<PREFIX>_RPC_TLS_CERT` / `<PREFIX>_RPC_TLS_KEY` per workload (GATEWAY, USER_SERVICE, TASK_SERVICE).
 * Each workload maps its own pair onto RPC_TLS_CERT / RPC_TLS_KEY (libs/config rpc-tls).
 */
export function rpcTlsSecrets(certificates: RpcCertificates = generateRpcCertificates()): Record<string, string> {
  const secrets: Record<string, string> = { RPC_TLS_CA: certificates.ca.cert };
  const leaves = { ...certificates.servers, ...certificates.clients };
  for (const [name, prefix] of Object.entries(RPC_TLS_SECRET_PREFIX)) {
    secrets[`${prefix}_RPC_TLS_CERT`] = leaves[name].cert;
    secrets[`${prefix}_RPC_TLS_KEY`] = leaves[name].key;
  }
  return secrets;
}
