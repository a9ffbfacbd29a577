import { DataSource } from 'typeorm';
import { FieldCipher } from '../crypto/field-cipher';
import { EMAIL_COLUMN } from './typeorm-user.repository';

const BATCH = 500;

/**
 * Key rotation of the email's column encryption: re-encrypts, in batches of 500 (one short transaction each, rows
 * locked with SKIP LOCKED so the service keeps writing), every email not yet under the active key. With
 * `reindex`, every row's blind index is recomputed with the current blind-index key as well (the service must
 * be stopped meanwhile: lookups with the new key miss rows not yet reindexed). Idempotent; resumes where a
 * stopped run left off. Resolves to the rows rewritten.
 */
export async function rotateEmailEncryption(
  dataSource: DataSource,
  cipher: FieldCipher,
  { reindex = false }: { reindex?: boolean } = {},
): Promise<number> {
  let rewritten = 0;
  let after = '00000000-0000-0000-0000-000000000000';
  for (;;) {
    const batch = await dataSource.transaction(async (manager) => {
      const rows: { id: string; email_ciphertext: string; email_lookup: string }[] = await manager.query(
        `SELECT id, email_ciphertext, email_lookup FROM users WHERE id > $1 ORDER BY id LIMIT ${BATCH}
         FOR UPDATE SKIP LOCKED`,
        [after],
      );
      const stale = rows.filter((row) => reindex || cipher.needsRotation(row.email_ciphertext));
      if (stale.length > 0) {
        const emails = stale.map((row) => cipher.decrypt(row.email_ciphertext, EMAIL_COLUMN));
        await manager.query(
          `UPDATE users u SET email_ciphertext = v.ciphertext, email_lookup = v.lookup
             FROM unnest($1::uuid[], $2::text[], $3::text[]) AS v(id, ciphertext, lookup) WHERE u.id = v.id`,
          [
            stale.map((row) => row.id),
            emails.map((email) => cipher.encrypt(email, EMAIL_COLUMN)),
            stale.map((row, i) => (reindex ? cipher.blindIndex(emails[i], EMAIL_COLUMN) : row.email_lookup)),
          ],
        );
      }
      return { last: rows.at(-1)?.id, count: stale.length };
    });
    rewritten += batch.count;
    if (!batch.last) return rewritten;
    after = batch.last;
  }
}
