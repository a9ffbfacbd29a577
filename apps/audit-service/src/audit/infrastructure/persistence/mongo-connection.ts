import { mongoTlsOptions, TlsSettings } from '@taskflow/config';
import type { CommandSucceededEvent } from 'mongodb';
import mongoose, { Connection, ConnectOptions } from 'mongoose';
import type { Logger } from 'pino';

/** The client-side deadlines of a connection, ms (see AuditConfig['mongo']). */
export interface MongoDeadlines {
  serverSelectionTimeoutMs: number;
  connectTimeoutMs?: number;
  socketTimeoutMs?: number;
}

/** Connection options shared by the app (MongooseModule) and the migrate command. */
export function mongoConnectOptions(deadlines: MongoDeadlines, tls?: TlsSettings, slowQueryMs = 0): ConnectOptions {
  return {
    ...(tls ? mongoTlsOptions(tls) : {}),
    // Command events feed the slow-command log (logSlowCommands); off when there is no threshold.
    ...(slowQueryMs > 0 ? { monitorCommands: true } : {}),
    // A short server selection timeout makes writes fail fast while MongoDB is down, so the ingest backs off.
    serverSelectionTimeoutMS: deadlines.serverSelectionTimeoutMs,
    // A paused or hung server accepts TCP and never answers: only these client-side deadlines end the wait.
    ...(deadlines.connectTimeoutMs ? { connectTimeoutMS: deadlines.connectTimeoutMs } : {}),
    ...(deadlines.socketTimeoutMs ? { socketTimeoutMS: deadlines.socketTimeoutMs } : {}),
    appName: 'audit-service',
    // Fail instead of queueing in mongoose while disconnected: the ingest must see the outage to hold its offsets.
    bufferCommands: false,
    // Indexes and the collection come from the versioned migrations, never from model compilation.
    autoIndex: false,
    autoCreate: false,
  };
}

/** A connection outside Nest (the migrate command). */
export function openMongoConnection(
  url: string,
  serverSelectionTimeoutMS: number,
  tls?: TlsSettings,
): Promise<Connection> {
  return mongoose
    .createConnection(url, mongoConnectOptions({ serverSelectionTimeoutMs: serverSelectionTimeoutMS }, tls))
    .asPromise();
}

/** The connection's database handle; set once the connection has opened. */
export function databaseOf(connection: Connection) {
  if (!connection.db) throw new Error('MongoDB connection is not open');
  return connection.db;
}

/**
 * Logs MongoDB commands slower than `thresholdMs` as a pino warning: command name, database and duration,
 * never the documents or filter values (the reply is not read). Needs `monitorCommands` on the client.
 */
export function logSlowCommands(
  client: { on(event: 'commandSucceeded', listener: (event: CommandSucceededEvent) => void): unknown },
  logger: Logger,
  thresholdMs: number,
): void {
  if (thresholdMs <= 0) return;
  client.on('commandSucceeded', (event) => {
    if (event.duration < thresholdMs) return;
    logger.warn(
      { durationMs: Math.round(event.duration * 10) / 10, command: event.commandName, database: event.databaseName },
      'slow query',
    );
  });
}
