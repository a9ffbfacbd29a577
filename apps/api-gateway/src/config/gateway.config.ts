import { KeyObject } from 'node:crypto';
import { TASK_DESCRIPTION_MAX, TASK_TITLE_MAX } from '@taskflow/contracts';
import {
  byProfile,
  ConfigError,
  logLevelSpec,
  env,
  loadConfig,
  redisConnectionSpec,
  RpcTls,
  rpcTlsSpec,
  sessionFailureModeSpec,
  managementPortSpec,
  Profile,
  ProxyTrust,
  ShutdownSettings,
  shutdownConfigSpec,
  SigningKey,
  signingKeySpec,
  TlsSettings,
  VerificationKeys,
  verificationKeysSpec,
} from '@taskflow/config';

/** Bytes of one code point at its longest in JSON: a surrogate pair written as two `\uXXXX` escapes. */
const ESCAPED_CODE_POINT_BYTES = 12;
/** Room for the other fields of a task body (ids, dates, enums, version) and the JSON punctuation. */
const OTHER_FIELDS_BYTES = 4096;

/**
 * The largest valid request body in its longest spelling: a task with a TASK_DESCRIPTION_MAX description and a
 * TASK_TITLE_MAX title, every code point escaped (`json.dumps` escapes all non-ASCII by default): 127,156 bytes.
 */
export const LARGEST_VALID_BODY_BYTES =
  (TASK_DESCRIPTION_MAX + TASK_TITLE_MAX) * ESCAPED_CODE_POINT_BYTES + OTHER_FIELDS_BYTES;

/**
 * The default BODY_LIMIT_BYTES: twice LARGEST_VALID_BODY_BYTES (headroom for a field added later) rounded up to a
 * power of two, 256 KiB (262,144 bytes); a larger body is refused with 413 `REQUEST.TOO_LARGE` before it is read.
 */
export const DEFAULT_BODY_LIMIT_BYTES = 2 ** Math.ceil(Math.log2(LARGEST_VALID_BODY_BYTES * 2));

/** Everything the gateway reads from the environment, validated at boot. */
export interface GatewayConfig {
  profile: Profile;
  logLevel: string;
  http: {
    port: number;
    host: string;
    /** Health, status and metrics (MANAGEMENT_PORT), on GATEWAY_HOST; never routed by the ingress. */
    managementPort: number;
    /** Largest request body in bytes (BODY_LIMIT_BYTES, default DEFAULT_BODY_LIMIT_BYTES); larger → 413. */
    bodyLimitBytes: number;
    /** Whole-request deadline (headers + body): slow clients get 408 and lose the socket. */
    requestTimeoutMs: number;
    /** Whose X-Forwarded-For to believe: none, or the proxies' addresses/CIDRs (see env.proxyTrust). */
    trustProxy: ProxyTrust;
    corsOrigins: string[];
    docs: boolean;
  };
  /** Keep-alive timeout and the drain on SIGTERM (docs/operations.md "Shutdown and drain"). */
  shutdown: ShutdownSettings;
  redis: { url: string; commandTimeoutMs: number; cacheEnabled: boolean; tls: TlsSettings };
  services: {
    user: { host: string; port: number };
    task: { host: string; port: number };
    /** Mutual TLS to both services (RPC_TLS, RPC_TLS_CA/CERT/KEY: the gateway's client certificate); never logged. */
    tls: RpcTls;
    timeoutMs: number;
    auditUrl: string;
  };
  auth: {
    /** ES256 key that signs access tokens and per-call service credentials (JWT_PRIVATE_KEY). */
    signingKey: SigningKey;
    /** The JWK Set every verifier holds (JWT_PUBLIC_KEYS): must publish the signing key; may hold the previous one. */
    publicKeys: VerificationKeys;
    accessTtlSeconds: number;
    /**
     * What authenticated routes do while Redis (the session store) is unreachable: `open` serves a
     * valid, unexpired token without the session check; `closed` answers 503.
     */
    sessionFailureMode: 'closed' | 'open';
  };
  rateLimit: { userPerMinute: number; ipPerHour: number; loginPerMinute: number };
}

export function loadGatewayConfig(source: Record<string, string | undefined> = process.env): GatewayConfig {
  const config = loadConfig<GatewayConfig>(
    {
      profile: env.profile(),
      logLevel: logLevelSpec(),
      http: {
        port: env.int('GATEWAY_PORT', 3000, { min: 0, max: 65535 }),
        host: env.string('GATEWAY_HOST', '0.0.0.0'),
        managementPort: managementPortSpec(9000),
        bodyLimitBytes: env.int('BODY_LIMIT_BYTES', DEFAULT_BODY_LIMIT_BYTES, { min: 1024 }),
        requestTimeoutMs: env.int('HTTP_REQUEST_TIMEOUT_MS', 30_000, { min: 1000 }),
        trustProxy: env.proxyTrust('TRUST_PROXY', false),
        corsOrigins: env.urlList('CORS_ORIGINS', ['http', 'https'], []),
        // OpenAPI docs are public in development and staging only unless switched on.
        docs: env.bool('API_DOCS_ENABLED', byProfile({ development: true, staging: true, production: false })),
      },
      shutdown: shutdownConfigSpec(),
      redis: {
        ...redisConnectionSpec(),
        cacheEnabled: env.bool('CACHE_ENABLED', true),
      },
      services: {
        user: { host: env.string('USER_SERVICE_HOST', '127.0.0.1'), port: env.int('USER_SERVICE_PORT', 4001) },
        task: { host: env.string('TASK_SERVICE_HOST', '127.0.0.1'), port: env.int('TASK_SERVICE_PORT', 4002) },
        tls: rpcTlsSpec(),
        timeoutMs: env.int('RPC_TIMEOUT_MS', 3000, { min: 50 }),
        auditUrl: env.url('AUDIT_SERVICE_URL', ['http', 'https'], 'http://127.0.0.1:3003'),
      },
      auth: {
        signingKey: signingKeySpec('JWT_PRIVATE_KEY'),
        publicKeys: verificationKeysSpec('JWT_PUBLIC_KEYS'),
        accessTtlSeconds: env.int('JWT_ACCESS_TTL_SECONDS', 900, { min: 30, max: 3600 }),
        sessionFailureMode: sessionFailureModeSpec(),
      },
      rateLimit: {
        userPerMinute: env.int('RATE_LIMIT_USER_PER_MINUTE', 300, { min: 1 }),
        ipPerHour: env.int('RATE_LIMIT_IP_PER_HOUR', 10_000, { min: 1 }),
        loginPerMinute: env.int('RATE_LIMIT_LOGIN_PER_MINUTE', 10, { min: 1 }),
      },
    },
    source,
  );
  assertPublishedSigningKey(config.auth.signingKey, config.auth.publicKeys);
  return config;
}

/**
 * The verifiers (services, audit-service) know only JWT_PUBLIC_KEYS: a signing key missing from it, or under
 * another kid, would have every token and RPC credential refused at run time. Refused here, at boot.
 */
function assertPublishedSigningKey(signingKey: SigningKey, publicKeys: VerificationKeys): void {
  const published = publicKeys.get(signingKey.kid);
  const same = (a: KeyObject, b: KeyObject) =>
    a.export({ type: 'spki', format: 'der' }).equals(b.export({ type: 'spki', format: 'der' }));
  if (!published || !same(published, signingKey.publicKey)) {
    throw new ConfigError([
      `JWT_PUBLIC_KEYS: has no public key of the signing key under its kid ${JSON.stringify(signingKey.kid)} ` +
        '(JWT_PRIVATE_KEY_ID must name this key in the set)',
    ]);
  }
}

/** DI token for the loaded config. */
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
