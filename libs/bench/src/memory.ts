import { readFileSync } from 'node:fs';

/** VmHWM ("high water mark": peak resident set size) in bytes from the text of /proc/<pid>/status. */
export function parseVmHwm(status: string): number | undefined {
  const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
  return match ? Number(match[1]) * 1024 : undefined;
}

/**
 * Peak resident memory of a live process since it started (Linux only; undefined elsewhere or once the process
 * has exited). Read it before stopping the process: the kernel keeps the peak, so no polling is needed.
 */
export function peakRssBytes(pid: number): number | undefined {
  try {
    return parseVmHwm(readFileSync(`/proc/${pid}/status`, 'utf8'));
  } catch {
    return undefined;
  }
}
