import { spawn, spawnSync, SpawnOptions } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { isPortOpen, sleep } from './net';

/** True when `pid` is a live (non-zombie) process. */
export function isAlive(pid: number | undefined): boolean {
  if (!pid) return false;
  try {
    process.kill(pid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return state !== 'Z' && state !== 'X';
  } catch {
    return true; // no /proc (macOS): trust kill(0)
  }
}

/** The command line of `pid`, or undefined when it cannot be read. */
export function cmdlineOf(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    const ps = spawnSync('ps', ['-o', 'command=', '-p', String(pid)], { encoding: 'utf8' });
    return ps.status === 0 ? ps.stdout.trim() : undefined;
  }
}

/** A pid recorded by us is still the process we started (alive and its command line carries the marker). */
export function isOurProcess(pid: number | undefined, marker: string | undefined): boolean {
  if (!pid || !isAlive(pid)) return false;
  if (!marker) return true;
  const cmdline = cmdlineOf(pid);
  return cmdline === undefined || cmdline.includes(marker);
}

export interface DetachedProcess {
  pid: number;
  logFile: string;
}

/**
 * Starts a long-lived server process in its own process group, detached from the caller, with stdout and
 * stderr appended to `logFile`. It outlives this Node process (so `infra up` can exit) and is stopped by pid.
 */
export function spawnDetached(
  command: string,
  args: string[],
  logFile: string,
  options: Pick<SpawnOptions, 'cwd' | 'env' | 'uid' | 'gid'> = {},
): DetachedProcess {
  fs.mkdirSync(path.dirname(logFile), { recursive: true });
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(fd, `\n--- ${new Date().toISOString()} ${command} ${args.join(' ')}\n`);
  try {
    const child = spawn(command, args, { ...options, detached: true, stdio: ['ignore', fd, fd] });
    if (!child.pid) throw new Error(`could not start ${command}`);
    child.on('error', () => undefined);
    child.unref();
    return { pid: child.pid, logFile };
  } finally {
    fs.closeSync(fd);
  }
}

/** Last lines of a log file, for error messages. */
export function tail(file: string | undefined, lines = 15): string {
  if (!file) return '';
  try {
    return fs.readFileSync(file, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
  } catch {
    return '';
  }
}

/**
 * Stops a process we recorded: `signal` to the pid (and its process group when `group`), then SIGKILL after
 * `timeoutMs`. Resolves when the process is gone and, if given, the port no longer answers.
 */
export async function stopProcess(
  pid: number,
  opts: { signal?: NodeJS.Signals; group?: boolean; timeoutMs?: number; port?: number; host?: string } = {},
): Promise<void> {
  const signal = opts.signal ?? 'SIGTERM';
  const send = (sig: NodeJS.Signals) => {
    try {
      process.kill(opts.group ? -pid : pid, sig);
    } catch {
      try {
        process.kill(pid, sig);
      } catch {
        /* already gone */
      }
    }
  };
  if (isAlive(pid)) send(signal);
  const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
  while (isAlive(pid) && Date.now() < deadline) await sleep(100);
  if (isAlive(pid)) {
    send('SIGKILL');
    while (isAlive(pid)) await sleep(100);
  }
  if (opts.port) {
    const portDeadline = Date.now() + 10_000;
    while ((await isPortOpen(opts.host ?? '127.0.0.1', opts.port, 200)) && Date.now() < portDeadline) await sleep(100);
  }
}

/** Whether an executable is on PATH. */
export function which(command: string): string | undefined {
  const result = spawnSync('sh', ['-c', `command -v ${command}`], { encoding: 'utf8' });
  const found = result.status === 0 ? result.stdout.trim() : '';
  return found || undefined;
}
