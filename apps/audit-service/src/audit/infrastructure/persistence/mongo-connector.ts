import { Inject, Injectable, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { getConnectionToken } from '@nestjs/mongoose';
import { databaseUnavailable } from '@taskflow/nest-kit';
import { backoffMs } from '@taskflow/outbox';
import type { Connection } from 'mongoose';
import type { Logger } from 'pino';
import { AuditConfig } from '../../../config/audit.config';
import { AUDIT_CONFIG, LOGGER } from '../../tokens';
import { pendingMigrations, runMigrations } from './migrations';
import { databaseOf, logSlowCommands, mongoConnectOptions } from './mongo-connection';

const CONNECTED = 1;
const CONNECTING = 2;
const RETRY_BASE_MS = 500;
const RETRY_MAX_MS = 10_000;

/**
 * Opens MongoDB in the background, so the HTTP server (liveness, a readiness that names `mongodb`) is up
 * before MongoDB is reachable: connect, apply (or check) the schema migrations, then `isReady`. Until then it
 * retries with capped backoff; once connected, the driver itself reconnects after an outage. The ingest
 * writes only when ready: without the unique eventId index it would store redeliveries twice.
 */
@Injectable()
export class MongoConnector implements OnApplicationBootstrap, OnApplicationShutdown {
  private ready = false;
  private stopped = false;
  private pause?: { timer: NodeJS.Timeout; resolve: () => void };
  private readonly readyWaiters: (() => void)[] = [];

  constructor(
    @Inject(AUDIT_CONFIG) private readonly config: AuditConfig,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(getConnectionToken()) private readonly connection: Connection,
  ) {}

  get isReady(): boolean {
    return this.ready;
  }

  /** Throws `DATABASE.UNAVAILABLE` (503) until the connection is open and the schema current. */
  assertReady(): void {
    if (!this.ready) throw databaseUnavailable();
  }

  /** Resolves once ready (tests and scripts that need the store before going on). */
  whenReady(): Promise<void> {
    return this.ready ? Promise.resolve() : new Promise((resolve) => this.readyWaiters.push(resolve));
  }

  onApplicationBootstrap(): void {
    void this.connectInBackground();
  }

  onApplicationShutdown(): void {
    this.stopped = true;
    if (this.pause) {
      clearTimeout(this.pause.timer);
      this.pause.resolve();
    }
  }

  private async connectInBackground(): Promise<void> {
    for (let failures = 1; !this.stopped; failures += 1) {
      try {
        await this.open();
        // Opened while shutting down (after MongooseModule closed the connection): close it again.
        if (this.stopped) return void (await this.connection.close().catch(() => undefined));
        await this.checkSchema();
        this.ready = true;
        this.readyWaiters.splice(0).forEach((resolve) => resolve());
        this.logger.info('mongodb connected, schema current');
        return;
      } catch (error) {
        if (this.stopped) return;
        const retryInMs = backoffMs(failures, RETRY_BASE_MS, RETRY_MAX_MS);
        this.logger.warn({ err: (error as Error).message, retryInMs }, 'mongodb not ready; retrying');
        await new Promise<void>((resolve) => (this.pause = { timer: setTimeout(resolve, retryInMs), resolve }));
      }
    }
  }

  /** The first attempt is MongooseModule's own (lazy) one; each retry opens a new client on the same connection. */
  private async open(): Promise<void> {
    if (this.connection.readyState === CONNECTED) return;
    const { mongo } = this.config;
    if (this.connection.readyState === CONNECTING) await this.connection.asPromise();
    else await this.connection.openUri(mongo.url, mongoConnectOptions(mongo, mongo.tls, mongo.slowQueryMs));
    // Each open creates a new driver client: the slow-command log must be attached to it.
    logSlowCommands(this.connection.getClient(), this.logger, mongo.slowQueryMs);
  }

  private async checkSchema(): Promise<void> {
    const db = databaseOf(this.connection);
    if (this.config.mongo.migrateOnStart) {
      const applied = await runMigrations(db);
      if (applied.length > 0) this.logger.info({ applied }, 'schema migrations applied');
    }
    const pending = await pendingMigrations(db);
    if (pending.length > 0) {
      throw new Error(`pending schema migrations ${pending.map((m) => m.version).join(', ')}: run migrate first`);
    }
  }
}
