import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { repoPath } from '../../src/testing/repo';

/** Runs a snippet with scripts/backup/lib.sh sourced. */
function lib(snippet: string, env: NodeJS.ProcessEnv = {}): string {
  return execFileSync('bash', ['-c', `source "${repoPath('scripts/backup/lib.sh')}"; ${snippet}`], {
    env: { ...process.env, ...env },
    encoding: 'utf8',
    stdio: 'pipe',
  });
}

describe('backup encryption and checksums (scripts/backup/lib.sh)', () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'tf-enc-'));
  const keyFile = path.join(dir, 'key');
  const plain = path.join(dir, 'archive.dump');
  const content = Buffer.concat([Buffer.from('PGDMP'), Buffer.from(Array.from({ length: 70_000 }, (_, i) => i % 251))]);

  beforeAll(() => fs.writeFileSync(keyFile, 'correct horse battery staple\n', { mode: 0o600 }));
  afterAll(() => fs.rmSync(dir, { recursive: true, force: true }));

  it('round-trips: AES-256-CBC with PBKDF2 from a key file, plaintext removed, bytes identical after decrypt', () => {
    fs.writeFileSync(plain, content);
    const encrypted = lib(`encrypt_file "${plain}"`, { BACKUP_ENCRYPTION_KEY_FILE: keyFile }).trim();
    expect(encrypted).toBe(`${plain}.enc`);
    expect(fs.existsSync(plain)).toBe(false);
    const cipher = fs.readFileSync(encrypted);
    expect(cipher.subarray(0, 8).toString()).toBe('Salted__');
    expect(cipher.includes(Buffer.from('PGDMP'))).toBe(false);

    const restored = path.join(dir, 'restored.dump');
    lib(`decrypt_file "${encrypted}" "${restored}"`, { BACKUP_ENCRYPTION_KEY_FILE: keyFile });
    expect(fs.readFileSync(restored).equals(content)).toBe(true);
  });

  it('also takes the key from BACKUP_ENCRYPTION_KEY, and a wrong key cannot decrypt', () => {
    const file = path.join(dir, 'env.dump');
    fs.writeFileSync(file, content);
    const encrypted = lib(`encrypt_file "${file}"`, { BACKUP_ENCRYPTION_KEY: 'from-the-environment' }).trim();
    const out = path.join(dir, 'env.out');
    lib(`decrypt_file "${encrypted}" "${out}"`, { BACKUP_ENCRYPTION_KEY: 'from-the-environment' });
    expect(fs.readFileSync(out).equals(content)).toBe(true);
    expect(() => lib(`decrypt_file "${encrypted}" "${out}.bad"`, { BACKUP_ENCRYPTION_KEY: 'wrong-key' })).toThrow();
  });

  it('writes a sha256 sidecar that verifies, and detects a modified archive', () => {
    const file = path.join(dir, 'sum.dump');
    fs.writeFileSync(file, content);
    const digest = lib(`write_checksum "${file}"`).trim();
    expect(digest).toMatch(/^[0-9a-f]{64}$/);
    expect(fs.readFileSync(`${file}.sha256`, 'utf8')).toBe(`${digest}  sum.dump\n`);
    expect(() => lib(`verify_checksum "${file}"`)).not.toThrow();
    fs.appendFileSync(file, 'x');
    expect(() => lib(`verify_checksum "${file}"`)).toThrow(/checksum mismatch/);
  });

  it('leaves archives unencrypted when no key is configured', () => {
    expect(() => lib('encryption_enabled', { BACKUP_ENCRYPTION_KEY: '', BACKUP_ENCRYPTION_KEY_FILE: '' })).toThrow();
    expect(() => lib('encryption_enabled', { BACKUP_ENCRYPTION_KEY_FILE: keyFile })).not.toThrow();
  });
});
