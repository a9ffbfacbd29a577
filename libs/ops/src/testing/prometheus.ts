import { freePort, stopChild, waitFor } from '@taskflow/testing';
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { stringify } from 'yaml';
import { REPO_ROOT } from './repo';

/**
 * Why `promtool` and `prometheus` (Debian package `prometheus`, installed by .ci/run) cannot run here, or
 * undefined when both answer `--version`.
 */
export function prometheusToolsMissing(): string | undefined {
  const missing = ['promtool', 'prometheus'].filter(
    (tool) => spawnSync(tool, ['--version'], { stdio: 'ignore' }).status !== 0,
  );
  return missing.length > 0
    ? `${missing.join(' and ')} not installed (apt-get install prometheus; .ci/run installs it)`
    : undefined;
}

/** Runs promtool in the repository root, `input` on its stdin; exit status and stdout + stderr. */
export function promtool(args: string[], input?: string): { status: number | null; output: string } {
  const result = spawnSync('promtool', args, { cwd: REPO_ROOT, input, encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

export interface PrometheusOptions {
  /** Scrape jobs: job name -> `host:port` targets (their /metrics). */
  jobs: Record<string, string[]>;
  /** Rule files to load (absolute paths). */
  ruleFiles: string[];
  /** Scrape and rule-evaluation interval, e.g. `1s`. */
  interval: string;
}

export interface RunningPrometheus {
  /** Base URL of its HTTP API, e.g. http://127.0.0.1:40123. */
  url: string;
  /** GET /api/v1/<path>: the `data` of a successful answer (throws on an error answer). */
  api<T>(pathAndQuery: string): Promise<T>;
  output(): string;
  /** SIGTERM (SIGKILL after 10 s) and removes its data directory. */
  stop(): Promise<void>;
}

/**
 * A private Prometheus server: free loopback port, its own config and TSDB in a temp directory, no systemd
 * unit and nothing of /etc/prometheus. Resolves once it answers /-/ready.
 */
export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'taskflow-prometheus-'));
  const config = {
    global: { scrape_interval: options.interval, evaluation_interval: options.interval, scrape_timeout: '1s' },
    rule_files: options.ruleFiles,
    scrape_configs: Object.entries(options.jobs).map(([job, targets]) => ({
      job_name: job,
      static_configs: [{ targets }],
    })),
  };
  fs.writeFileSync(path.join(dir, 'prometheus.yml'), stringify(config));
  const port = await freePort();
  const child: ChildProcess = spawn(
    'prometheus',
    [
      `--config.file=${path.join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${path.join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--log.level=warn',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let log = '';
  child.stdout?.on('data', (chunk) => (log += chunk));
  child.stderr?.on('data', (chunk) => (log += chunk));
  const url = `http://127.0.0.1:${port}`;
  const stop = async () => {
    await stopChild(child);
    fs.rmSync(dir, { recursive: true, force: true });
  };
  const api = async <T>(pathAndQuery: string): Promise<T> => {
    const response = await fetch(`${url}/api/v1/${pathAndQuery}`, { signal: AbortSignal.timeout(10_000) });
    const body = (await response.json()) as { status: string; data: T; error?: string };
    if (body.status !== 'success') throw new Error(`Prometheus ${pathAndQuery}: ${body.error}`);
    return body.data;
  };
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`prometheus exited (${child.exitCode}):\n${log}`);
        return (await fetch(`${url}/-/ready`, { signal: AbortSignal.timeout(1000) })).status === 200;
      },
      { timeoutMs: 60_000, intervalMs: 250, description: 'prometheus ready' },
    );
  } catch (error) {
    await stop();
    throw new Error(`${(error as Error).message}\n${log}`, { cause: error });
  }
  return { url, api, output: () => log, stop };
}
