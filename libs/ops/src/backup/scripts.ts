import * as fs from 'node:fs';
import * as path from 'node:path';

/**
 * The directory of the backup shell scripts (`scripts/backup`), found upwards from this module: the source
 * tree (libs/ops/src/backup), the swc build (dist/libs/ops/src/backup) and the backup image (/app/dist/…,
 * scripts in /app/scripts/backup) each have it in an ancestor directory. Throws when none has it.
 */
export function backupScriptsDir(from: string = __dirname): string {
  for (let dir = from; ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'scripts', 'backup');
    if (fs.existsSync(path.join(candidate, 'lib.sh'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`scripts/backup not found in any directory above ${from}`);
  }
}

/** Absolute path of one backup script, e.g. backupScript('backup-postgres.sh'). */
export function backupScript(name: string): string {
  return path.join(backupScriptsDir(), name);
}
