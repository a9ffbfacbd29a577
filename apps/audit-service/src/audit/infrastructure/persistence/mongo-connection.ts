import { mongoTlsOptions, TlsSettings } from '@taskflow/config';
import mongoose, { Connection, ConnectOptions } from 'mongoose';

/** Connection options shared by the app (MongooseModule) and the migrate command. */
export function mongoConnectOptions(serverSelectionTimeoutMS: number, tls?: TlsSettings): ConnectOptions {
  return {
    ...(tls ? mongoTlsOptions(tls) : {}),
    // A short server selection timeout makes writes fail fast while MongoDB is down, so the ingest backs off.
    serverSelectionTimeoutMS,
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
  return mongoose.createConnection(url, mongoConnectOptions(serverSelectionTimeoutMS, tls)).asPromise();
}

/** The connection's database handle; set once the connection has opened. */
export function databaseOf(connection: Connection) {
  if (!connection.db) throw new Error('MongoDB connection is not open');
  return connection.db;
}
