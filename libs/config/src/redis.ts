import { devOnly, env, Reader } from './env';
import { TlsSettings, tlsSettings } from './tls';

/** How an app reaches Redis (the gateway's cache and session store; audit-service reads sessions there). */
export interface RedisConnectionSettings {
  url: string;
  /** Longest a Redis command may take, ms: a session or cache read never holds a request for long. */
  commandTimeoutMs: number;
  tls: TlsSettings;
}

/** REDIS_URL (redis:// or rediss://; development default 127.0.0.1:6379), REDIS_COMMAND_TIMEOUT_MS (100), REDIS_TLS_*. */
export function redisConnectionSpec(): { [K in keyof RedisConnectionSettings]: Reader<RedisConnectionSettings[K]> } {
  return {
    url: env.url('REDIS_URL', ['redis', 'rediss'], devOnly('redis://127.0.0.1:6379')),
    commandTimeoutMs: env.int('REDIS_COMMAND_TIMEOUT_MS', 100, { min: 10 }),
    tls: tlsSettings('REDIS_TLS'),
  };
}

/**
 * SESSION_FAILURE_MODE: what a verifier of access tokens (gateway, audit-service) does while the session store is
 * unreachable: `open` (default) serves a valid, unexpired token without the session check; `closed` answers 503.
 */
export function sessionFailureModeSpec(): Reader<'closed' | 'open'> {
  return env.oneOf('SESSION_FAILURE_MODE', ['closed', 'open'] as const, 'open');
}
