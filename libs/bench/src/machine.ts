import { spawnSync } from 'node:child_process';
import os from 'node:os';

export interface MachineFacts {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  /** 1, 5 and 15 minute load averages when the facts were taken. */
  loadAverage: [number, number, number];
  os: string;
  node: string;
  /** Short commit, with "+ uncommitted changes" when the working tree differs from it. */
  commit: string;
}

function git(cwd: string, args: string[]): string | undefined {
  const result = spawnSync('git', args, { cwd, encoding: 'utf8' });
  return result.status === 0 ? result.stdout.trim() : undefined;
}

export function machineFacts(repoRoot: string): MachineFacts {
  const cpus = os.cpus();
  const commit = git(repoRoot, ['rev-parse', '--short', 'HEAD']) ?? 'unknown';
  const dirty = !!git(repoRoot, ['status', '--porcelain', '--untracked-files=no']);
  const [one, five, fifteen] = os.loadavg().map((value) => Math.round(value * 100) / 100);
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Math.round((os.totalmem() / 2 ** 30) * 10) / 10,
    loadAverage: [one, five, fifteen],
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    commit: dirty ? `${commit} + uncommitted changes` : commit,
  };
}
