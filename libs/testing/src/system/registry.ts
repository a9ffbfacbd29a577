import fs from 'node:fs';

/**
 * Appends a system's temp folder to the file named by TASKFLOW_SYSTEM_PIDS (when set). Every process of that
 * system carries the folder in its environment (TASKFLOW_SYSTEM_DIR for the apps, TASKFLOW_INFRA_DIR for
 * the servers), so the runner (tools/commands/test-faults.js) can find and kill what a crashed or
 * interrupted test process left behind, and nothing else.
 */
export function registerSystemDir(dir: string): void {
  const file = process.env.TASKFLOW_SYSTEM_PIDS;
  if (file) fs.appendFileSync(file, `${dir}\n`);
}
