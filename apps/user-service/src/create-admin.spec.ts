import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { parseCreateAdminArgs, readPassword, UsageError } from './create-admin';

const stdin = (text: string, isTTY = false) => Object.assign(Readable.from([Buffer.from(text)]), { isTTY });

describe('create-admin command line', () => {
  it('should refuse a password given as an argument, in either form', () => {
    for (const args of [
      ['--email', 'a@example.com', '--password', 'hunter2hunter2'],
      ['--email', 'a@example.com', '--password=hunter2hunter2'],
    ]) {
      expect(() => parseCreateAdminArgs(args)).toThrow(UsageError);
      expect(() => parseCreateAdminArgs(args)).toThrow(/--password is refused.*stdin.*--password-file/);
    }
  });

  it('should default the role to admin and accept auditor, nothing else', () => {
    expect(parseCreateAdminArgs(['--email', 'a@example.com'])).toEqual({ email: 'a@example.com', role: 'admin' });
    expect(parseCreateAdminArgs(['--email=a@example.com', '--role', 'auditor', '--password-file', 'p'])).toEqual({
      email: 'a@example.com',
      role: 'auditor',
      passwordFile: 'p',
    });
    expect(() => parseCreateAdminArgs(['--email', 'a@example.com', '--role', 'user'])).toThrow(/admin, auditor/);
    expect(() => parseCreateAdminArgs(['--role', 'admin'])).toThrow(/--email is required/);
    expect(() => parseCreateAdminArgs(['--email', 'a@example.com', 'extra'])).toThrow(UsageError);
    expect(() => parseCreateAdminArgs(['--email', 'a@example.com', '--pasword-file', 'p'])).toThrow(UsageError);
  });

  it("should read the first line of stdin or of the file, keeping the line's spaces", async () => {
    await expect(readPassword(undefined, stdin('  two words \r\nignored\n'))).resolves.toBe('  two words ');
    await expect(readPassword(undefined, stdin('no newline'))).resolves.toBe('no newline');
    const dir = mkdtempSync(path.join(tmpdir(), 'create-admin-'));
    try {
      writeFileSync(path.join(dir, 'pw'), 'from the file\n');
      await expect(readPassword(path.join(dir, 'pw'), stdin('from stdin'))).resolves.toBe('from the file');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('should refuse to read a password from an interactive terminal (it would be echoed)', async () => {
    await expect(readPassword(undefined, stdin('typed', true))).rejects.toThrow(/pipe it on stdin/);
  });
});
