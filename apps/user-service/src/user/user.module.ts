import { DynamicModule, Module } from '@nestjs/common';
import type { FieldEncryptionKeys } from '@taskflow/config';
import { IdempotencyRecords } from '@taskflow/idempotency';
import { TransactionalOutbox } from '@taskflow/outbox';
import { DataSource } from 'typeorm';
import { USER_OUTBOX_TABLE } from '../migrations';
import { PasswordHasher } from './application/password-hasher';
import { UserService } from './application/user.service';
import { UserRepository } from './application/user.repository';
import { createUserRepository } from './infrastructure/persistence/user-repository.factory';
import { AuthenticateThrottle } from './interface/messaging/authenticate-throttle';
import { UserRpcController } from './interface/messaging/user.rpc-controller';

export interface UserModuleOptions {
  dataSource: DataSource;
  bcryptCost: number;
  /** Keys of the email's column encryption and blind index (`PII_*`). */
  fieldKeys: FieldEncryptionKeys;
  /** user-service's own throttle on `user.authenticate` (Redis); its Redis client is the caller's to connect and close. */
  authenticateThrottle: AuthenticateThrottle;
}

/**
 * The user context: its use cases and RPC handlers. The chassis (libs/service-chassis PostgresServiceModule)
 * provides the rest: JwtVerifier, IdempotencyRecords, health, metrics, the RPC error filter.
 */
@Module({})
export class UserModule {
  static forRoot(options: UserModuleOptions): DynamicModule {
    return {
      module: UserModule,
      controllers: [UserRpcController],
      providers: [
        { provide: AuthenticateThrottle, useValue: options.authenticateThrottle },
        { provide: PasswordHasher, useValue: new PasswordHasher(options.bcryptCost) },
        { provide: UserRepository, useValue: createUserRepository(options.dataSource, options.fieldKeys) },
        { provide: TransactionalOutbox, useValue: new TransactionalOutbox(USER_OUTBOX_TABLE) },
        {
          provide: UserService,
          useFactory: (
            users: UserRepository,
            hasher: PasswordHasher,
            idempotency: IdempotencyRecords,
            outbox: TransactionalOutbox,
          ) => new UserService(users, hasher, idempotency, outbox),
          inject: [UserRepository, PasswordHasher, IdempotencyRecords, TransactionalOutbox],
        },
      ],
      exports: [UserService],
    };
  }
}
