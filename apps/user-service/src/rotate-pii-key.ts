import 'reflect-metadata';
import { createLogger } from '@taskflow/nest-kit';
import { loadUserServiceConfig } from './config/user-service.config';
import { assertSchemaCurrent, connect } from './database/data-source';
import { FieldCipher } from './user/infrastructure/crypto/field-cipher';
import { rotateEmailEncryption } from './user/infrastructure/persistence/rotate-email-encryption';

/**
 * `node dist/apps/user-service/src/rotate-pii-key.js [--reindex]` (`npm run rotate-pii-key`): re-encrypts every
 * email under PII_ENCRYPTION_KEY_ID (docs/security.md "Column encryption"). Exit code 0 when done.
 */
async function main(args: string[]): Promise<void> {
  const config = loadUserServiceConfig();
  const logger = createLogger('user-service-rotate-pii-key', config.logLevel);
  const dataSource = await connect(config.db, 'user-service-rotate-pii-key');
  try {
    await assertSchemaCurrent(dataSource);
    const rewritten = await rotateEmailEncryption(dataSource, new FieldCipher(config.pii), {
      reindex: args.includes('--reindex'),
    });
    logger.info({ rewritten, activeKeyId: config.pii.activeKeyId }, `re-encrypted ${rewritten} email(s)`);
  } finally {
    await dataSource.destroy();
  }
}

main(process.argv.slice(2)).catch((error: Error) => {
  process.stderr.write(`rotate-pii-key failed: ${error.message}\n`);
  process.exit(1);
});
