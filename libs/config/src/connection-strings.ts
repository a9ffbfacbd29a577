import { parse as parsePostgres } from 'pg-connection-string';

/**
 * `scheme://user:password@host…` as `scheme://user:***@host…` (everything from the user name's `:` to the last `@`
 * masked: a password may itself hold `@`, `/` or `:` when it is not percent-encoded), and the value of every query
 * parameter whose name holds `password` or `secret` (node-postgres reads `?password=`, the MongoDB driver
 * `tlsCertificateKeyFilePassword=`) as `***`: a configuration error or a log line shows which value and which
 * role without its secrets. Never throws, whatever the text.
 */
export function redactCredentials(value: string): string {
  return value
    .replace(/^([A-Za-z][A-Za-z0-9+.-]*:\/\/)([^:/@]*):[^]*@/, '$1$2:***@')
    .replace(/([?&][^=&#]*(?:password|secret)[^=&#]*=)[^&#]*/gi, '$1***');
}

/**
 * Checks a MongoDB connection string exactly as the app's driver will read it: the `MongoClient`
 * constructor parses the string and validates every option (mongodb-connection-string-url inside) without
 * connecting. Accepts `mongodb://` with one or more `host:port` (a replica set lists several, which WHATWG
 * `new URL()` rejects) and `mongodb+srv://`. Returns undefined when valid, else the problem (without the
 * value's credentials). The driver is loaded on first use so apps without MongoDB never load it.
 */
export function mongoUrlProblem(raw: string): string | undefined {
  const { MongoClient } = require('mongodb') as typeof import('mongodb');
  try {
    new MongoClient(raw);
    return undefined;
  } catch (error) {
    return `is not a valid MongoDB connection string: ${redactCredentials((error as Error).message)}`;
  }
}

/** TLS parameters node-postgres would honour from the URL, overriding the `ssl` option (seed 000/001 TLS). */
const POSTGRES_SSL_PARAMS = ['sslmode', 'ssl', 'sslrootcert', 'sslcert', 'sslkey'];

/** The first TLS parameter in a PostgreSQL URL's query, if any (read without parsing: the parser opens cert files). */
export function postgresSslParamOf(raw: string): string | undefined {
  const query = new URLSearchParams(raw.includes('?') ? raw.slice(raw.indexOf('?') + 1) : '');
  return POSTGRES_SSL_PARAMS.find((param) => query.has(param));
}

/**
 * Checks a PostgreSQL connection string with node-postgres' own parser (pg-connection-string), after the
 * `postgres://` or `postgresql://` scheme (the parser itself takes any). Returns undefined when valid, else
 * the problem (without the value's credentials).
 */
export function postgresUrlProblem(raw: string): string | undefined {
  if (!/^postgres(ql)?:\/\//i.test(raw)) return 'must use postgres:// or postgresql://';
  if (postgresSslParamOf(raw)) return undefined; // reported by postgresUrls with its own message
  try {
    // What node-postgres accepts is accepted: it defaults a missing host to localhost and database to the user.
    parsePostgres(raw);
    return undefined;
  } catch (error) {
    return `is not a valid PostgreSQL connection string: ${redactCredentials((error as Error).message)}`;
  }
}
