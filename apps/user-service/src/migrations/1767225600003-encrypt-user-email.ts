import { fieldEncryptionKeysSpec, loadConfig } from '@taskflow/config';
import { MigrationInterface, QueryRunner } from 'typeorm';
import { FieldCipher } from '../user/infrastructure/crypto/field-cipher';
import { EMAIL_COLUMN } from '../user/infrastructure/persistence/typeorm-user.repository';

const BATCH = 1000;

/**
 * Column-level encryption of the email (seed 000 "Column-level encryption for PII"; issue 12): `email` becomes
 * `email_ciphertext` (AES-256-GCM, key id inside) plus `email_lookup`, its keyed blind index, which takes over the
 * uniqueness of `idx_users_email`/`idx_users_email_lower` (emails are stored normalised, so one index covers both).
 * The format CHECK goes with the plaintext: the contract validates emails before they are stored. Existing rows
 * are encrypted here in batches, so a database with users needs the `PII_*` keys in the migration's environment
 * (the migrate Job mounts the same Secret as the service); an empty one does not.
 */
export class EncryptUserEmail1767225600003 implements MigrationInterface {
  name = 'EncryptUserEmail1767225600003';

  async up(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "email_ciphertext" text, ADD "email_lookup" char(64)`);
    let cipher: FieldCipher | undefined;
    for (;;) {
      const rows: { id: string; email: string }[] = await queryRunner.query(
        `SELECT id, email FROM "users" WHERE "email_ciphertext" IS NULL ORDER BY id LIMIT ${BATCH}`,
      );
      if (rows.length === 0) break;
      cipher ??= keysFromEnvironment();
      await queryRunner.query(
        `UPDATE "users" u SET "email_ciphertext" = v.ciphertext, "email_lookup" = v.lookup
           FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, ciphertext, lookup) WHERE u.id = v.id`,
        [
          rows.map((row) => row.id),
          rows.map((row) => cipher!.encrypt(row.email, EMAIL_COLUMN)),
          rows.map((row) => cipher!.blindIndex(row.email, EMAIL_COLUMN)),
        ],
      );
    }
    await queryRunner.query(
      `ALTER TABLE "users" ALTER "email_ciphertext" SET NOT NULL, ALTER "email_lookup" SET NOT NULL`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_email_lookup" ON "users" ("email_lookup")`);
    await queryRunner.query(`DROP INDEX "idx_users_email"`);
    await queryRunner.query(`DROP INDEX "idx_users_email_lower"`);
    await queryRunner.query(`ALTER TABLE "users" DROP CONSTRAINT "chk_users_email_format", DROP COLUMN "email"`);
  }

  async down(queryRunner: QueryRunner): Promise<void> {
    await queryRunner.query(`ALTER TABLE "users" ADD "email" varchar(255)`);
    const rows: { id: string; email_ciphertext: string }[] = await queryRunner.query(
      `SELECT id, email_ciphertext FROM "users"`,
    );
    if (rows.length > 0) {
      const cipher = keysFromEnvironment();
      await queryRunner.query(
        `UPDATE "users" u SET "email" = v.email FROM unnest($1::uuid[], $2::text[]) AS v(id, email) WHERE u.id = v.id`,
        [rows.map((row) => row.id), rows.map((row) => cipher.decrypt(row.email_ciphertext, EMAIL_COLUMN))],
      );
    }
    await queryRunner.query(`ALTER TABLE "users" ALTER "email" SET NOT NULL`);
    await queryRunner.query(
      `ALTER TABLE "users" ADD CONSTRAINT "chk_users_email_format" CHECK ("email" ~* '^[^@[:space:]]+@[^@[:space:]]+\\.[^@[:space:]]+$')`,
    );
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_email" ON "users" ("email")`);
    await queryRunner.query(`CREATE UNIQUE INDEX "idx_users_email_lower" ON "users" (lower("email"))`);
    await queryRunner.query(`DROP INDEX "idx_users_email_lookup"`);
    await queryRunner.query(`ALTER TABLE "users" DROP COLUMN "email_ciphertext", DROP COLUMN "email_lookup"`);
  }
}

function keysFromEnvironment(): FieldCipher {
  return new FieldCipher(loadConfig({ keys: fieldEncryptionKeysSpec() }, process.env).keys);
}
