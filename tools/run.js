#!/usr/bin/env node
// TaskFlow developer entry point: `node tools/run.js <command>` (see docs/infrastructure.md).
//   infra up|down|status   resolve/start, stop (only what we started) or show the four backends
//   start                  deps → infra → Kafka topics → swc build → the four apps (Ctrl-C stops all)
//   test [jest args]       infra → jest --json → tear down what was started → "N passed, N failed"
// More commands: drop a file in tools/commands/<name>.js exporting `async (args, kit) => exitCode`;
// `kit` is this module's exports (withInfra, runJest, printTotals, ...). e.g. tools/commands/test-faults.js
// is run by `node tools/run.js test:faults`.
'use strict';

const { spawn, spawnSync } = require('node:child_process');
const fs = require('node:fs');
const http = require('node:http');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const REPORT = path.join(ROOT, '.reports', 'jest.json');

// `http`: the public port (user- and task-service have none: RPC on `tcp`); `management`: health, status,
// metrics (MANAGEMENT_PORT, each app's default).
const APPS = [
  { name: 'api-gateway', http: 3000, management: 9000 },
  { name: 'user-service', tcp: 4001, management: 9001 },
  { name: 'task-service', tcp: 4002, management: 9002 },
  { name: 'audit-service', http: 3003, management: 9003 },
];

/** `npm start` brings the apps up in this order (see startCommand). */
const START_ORDER = ['user-service', 'task-service', 'audit-service', 'api-gateway'];

const log = (line) => console.log(line);

function ensureDependencies() {
  if (fs.existsSync(path.join(ROOT, 'node_modules', '@swc-node', 'register'))) return;
  log('[run] node_modules missing: installing dependencies (npm install) …');
  const result = spawnSync('npm', ['install', '--no-audit', '--no-fund'], { cwd: ROOT, stdio: 'inherit' });
  if (result.status !== 0) throw new Error(`npm install failed (exit ${result.status})`);
}

let infraModule;
/** Loads libs/infra from TypeScript source through @swc-node/register (tsconfig paths resolve @taskflow/*). */
function infra() {
  if (infraModule) return infraModule;
  ensureDependencies();
  process.env.TS_NODE_PROJECT = process.env.TS_NODE_PROJECT || path.join(ROOT, 'tsconfig.json');
  require('reflect-metadata');
  require('@swc-node/register');
  infraModule = require(path.join(ROOT, 'libs/infra/src/index.ts'));
  return infraModule;
}

/** Fails with the resolver's one-line message (no stack) for configuration problems. */
function fail(error) {
  if (error && error.name === 'InfraError') console.error(`\n✖ ${error.message}\n`);
  else console.error(error);
  return 1;
}

function printBackends(backends) {
  const { describeBackend, BACKENDS } = infra();
  for (const name of BACKENDS) log(`  ${describeBackend(backends[name])}`);
}

/**
 * Brings the infrastructure up, runs `fn(env)`, then stops exactly what this call started — also when `fn`
 * throws or the process is interrupted. `env` carries the URLs/providers for child processes.
 */
async function withInfra(fn, { topics = true } = {}) {
  const { infraUp, infraDown, infraEnv, ensureKafkaTopics } = infra();
  const up = await infraUp({ log });
  log('[infra] backends:');
  printBackends(up.backends);
  let stopping;
  const teardown = () =>
    (stopping ??= up.startedNow.length
      ? infraDown({ only: up.startedNow, log }).catch((error) => console.error('[infra] teardown failed:', error))
      : Promise.resolve());
  try {
    if (topics) {
      const created = await ensureKafkaTopics(up.backends.kafka.url);
      log(`[infra] kafka topics ready${created.length ? ` (created ${created.join(', ')})` : ''}`);
    }
    return await fn({ ...process.env, ...infraEnv(up.backends) }, up, teardown);
  } finally {
    await teardown();
  }
}

// ---------------------------------------------------------------- infra
async function infraCommand([sub]) {
  const { infraUp, infraDown, infraStatus, statePath } = infra();
  if (sub === 'up') {
    const up = await infraUp({ detached: true, log });
    log(
      up.startedNow.length
        ? `[infra] up (started: ${up.startedNow.join(', ')})`
        : '[infra] up (nothing to start: already running)',
    );
    printBackends(up.backends);
    return 0;
  }
  if (sub === 'down') {
    const stopped = await infraDown({ log });
    log(stopped.length ? `[infra] down: stopped ${stopped.join(', ')}` : '[infra] down: nothing of ours was running');
    return 0;
  }
  if (sub === 'status') {
    for (const s of await infraStatus()) {
      const who = s.provider ? `provider=${s.provider}${s.owned ? ' (owned)' : ''}` : '';
      log(
        `  ${s.name.padEnd(8)} ${s.state.padEnd(11)} ${(s.url || '-').padEnd(48)} ${who} ${s.detail ? `— ${s.detail}` : ''}`,
      );
    }
    log(`  state: ${statePath()}`);
    return 0;
  }
  console.error('usage: node tools/run.js infra up|down|status');
  return 2;
}

// ---------------------------------------------------------------- test
/** Runs Jest with a JSON report; resolves with its exit code. */
function runJest(args, env) {
  fs.mkdirSync(path.dirname(REPORT), { recursive: true });
  fs.rmSync(REPORT, { force: true });
  const jest = path.join(ROOT, 'node_modules', 'jest', 'bin', 'jest.js');
  // --forceExit: every test stops what it started (global teardown stops the infrastructure), but a driver's
  // lingering socket or timer must not keep a finished run (and CI) waiting forever; the report is written first.
  return runChild(process.execPath, [jest, '--json', `--outputFile=${REPORT}`, '--forceExit', ...args], env);
}

function runChild(command, args, env) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: ROOT, env, stdio: 'inherit' });
    const forward = (signal) => child.kill(signal);
    process.on('SIGINT', forward);
    process.on('SIGTERM', forward);
    child.on('exit', (code, signal) => {
      process.off('SIGINT', forward);
      process.off('SIGTERM', forward);
      resolve(code ?? (signal ? 130 : 1));
    });
  });
}

/** "N passed, N failed[, N skipped]" from a Jest JSON report, on a line of its own. */
function printTotals(reportFile = REPORT) {
  let report;
  try {
    report = JSON.parse(fs.readFileSync(reportFile, 'utf8'));
  } catch {
    log('\n0 passed, 0 failed (no Jest JSON report was written: no test ran)');
    return undefined;
  }
  const skipped = (report.numPendingTests || 0) + (report.numTodoTests || 0);
  const failedSuites = report.numRuntimeErrorTestSuites || 0;
  log('');
  if (failedSuites) log(`(${failedSuites} test suite(s) failed to run)`);
  log(`${report.numPassedTests} passed, ${report.numFailedTests} failed${skipped ? `, ${skipped} skipped` : ''}`);
  return report;
}

async function testCommand(args) {
  const code = await withInfra((env) => runJest(args, { ...env, KAFKAJS_NO_PARTITIONER_WARNING: '1' }));
  printTotals();
  return code;
}

// ---------------------------------------------------------------- start
function getStatus(url) {
  return new Promise((resolve) => {
    const req = http.get(url, { timeout: 2000 }, (res) => {
      res.resume();
      resolve(res.statusCode);
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(0));
  });
}

function prefixLines(stream, prefix, out) {
  let buffer = '';
  stream.on('data', (chunk) => {
    buffer += chunk;
    const lines = buffer.split('\n');
    buffer = lines.pop();
    for (const line of lines) out.write(`${prefix} ${line}\n`);
  });
  stream.on('end', () => buffer && out.write(`${prefix} ${buffer}\n`));
}

function build() {
  const dirs = ['apps', 'libs'].filter(
    (d) => fs.existsSync(path.join(ROOT, d)) && fs.readdirSync(path.join(ROOT, d)).length,
  );
  log(`[run] building ${dirs.join(' + ')} with swc → dist/`);
  const swc = path.join(ROOT, 'node_modules', '.bin', 'swc');
  const result = spawnSync(swc, [...dirs, '-d', 'dist', '--ignore', '**/*.spec.ts,**/*.int-spec.ts', '--quiet'], {
    cwd: ROOT,
    stdio: 'inherit',
  });
  if (result.status !== 0) throw new Error(`swc build failed (exit ${result.status})`);
}

async function startCommand() {
  ensureDependencies();
  const present = APPS.filter((app) => {
    const ok = fs.existsSync(path.join(ROOT, 'apps', app.name, 'src', 'main.ts'));
    if (!ok) log(`[run] skipping ${app.name}: apps/${app.name}/src/main.ts does not exist yet`);
    return ok;
  });
  return withInfra(async (infraEnvVars, _up, teardown) => {
    build();
    const children = [];
    let stopping = false;
    const stopAll = async (signal) => {
      if (stopping) return;
      stopping = true;
      log(`\n[run] ${signal}: stopping apps …`);
      await Promise.all(
        children.map(
          (c) =>
            new Promise((resolve) => {
              if (c.exitCode !== null || c.signalCode !== null) return resolve();
              const timer = setTimeout(() => c.kill('SIGKILL'), 10_000);
              c.once('exit', () => (clearTimeout(timer), resolve()));
              c.kill('SIGTERM');
            }),
        ),
      );
      log('[run] apps stopped; stopping the infrastructure this run started …');
      await teardown();
    };
    // Detached apps outlive this process unless stopped: if it ends without stopAll (an error), stop them here.
    process.once('exit', () => {
      for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
    });
    const done = new Promise((resolve) => {
      const onSignal = (signal) => stopAll(signal).then(() => resolve(0));
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
    });
    // The services connect as their own roles, never as the administrator the infrastructure hands out: the
    // database gets each service's owner (migrations) and runtime role, as in docker-compose and Kubernetes.
    const { DATABASE_URL: adminUrl, ...backendEnv } = infraEnvVars;
    const databaseUrls = await infra().prepareServiceDatabase(adminUrl, infra().infraDir());
    const databaseEnv = Object.fromEntries(
      Object.entries(databaseUrls).map(([app, urls]) => [
        app,
        { DATABASE_URL: urls.runtime, DATABASE_MIGRATION_URL: urls.owner },
      ]),
    );
    const env = {
      ...backendEnv,
      NODE_ENV: process.env.NODE_ENV || 'development',
      MIGRATIONS_RUN: 'true',
      // Token and email-encryption keys made for this checkout once (git-ignored .infra/secrets); docker-compose and k8s bring their own.
      ...infra().ensureLocalSigningKeys(infra().infraDir()),
      ...infra().ensureLocalFieldEncryptionKeys(infra().infraDir()),
      ...infra().ensureLocalCheckpointKey(infra().infraDir()),
      KAFKAJS_NO_PARTITIONER_WARNING: '1',
      // Loopback only: the dev seed's passwords are public (README), so nothing here may answer the network.
      GATEWAY_HOST: '127.0.0.1',
      USER_SERVICE_HOST: '127.0.0.1',
      USER_SERVICE_PORT: '4001',
      TASK_SERVICE_HOST: '127.0.0.1',
      TASK_SERVICE_PORT: '4002',
      AUDIT_SERVICE_URL: 'http://127.0.0.1:3003',
    };
    // Event-signing keys made for this checkout once (.infra/secrets, git-ignored): each producer gets its own,
    // audit-service also the JWK Set that says which topics each key may sign.
    const eventKeys = infra().ensureLocalEventKeys(infra().infraDir());
    const eventEnv = (name) => ({
      ...(eventKeys.producers[name] ?? {}),
      ...(name === 'audit-service' ? { EVENT_VERIFY_KEYS: eventKeys.EVENT_VERIFY_KEYS } : {}),
    });
    // One after the other, each live before the next: user-service migrates the tables task-service's
    // migrations reference, and the gateway is ready only once both services answer.
    for (const app of START_ORDER.map((name) => present.find((p) => p.name === name)).filter(Boolean)) {
      const main = path.join(ROOT, 'dist', 'apps', app.name, 'src', 'main.js');
      // Own process group: a terminal's Ctrl-C signals the whole foreground group, so the apps would get SIGINT
      // from the terminal and then SIGTERM from stopAll, and a second signal skips the drain. Detached, each app
      // gets exactly one signal, from stopAll.
      const child = spawn(process.execPath, ['--enable-source-maps', main], {
        cwd: ROOT,
        env: { ...env, ...databaseEnv[app.name], ...eventEnv(app.name) },
        stdio: ['ignore', 'pipe', 'pipe'],
        detached: true,
      });
      const prefix = `[${app.name}]`.padEnd(16);
      prefixLines(child.stdout, prefix, process.stdout);
      prefixLines(child.stderr, prefix, process.stderr);
      child.on('exit', (code, signal) => {
        if (!stopping) log(`[run] ${app.name} exited (${signal || `code ${code}`})`);
      });
      children.push(child);

      const url = `http://127.0.0.1:${app.management}/health/live`;
      const deadline = Date.now() + 120_000;
      const exited = () => child.exitCode !== null || child.signalCode !== null;
      let status = 0;
      while (!stopping && !exited() && Date.now() < deadline && (status = await getStatus(url)) !== 200) {
        await new Promise((r) => setTimeout(r, 500));
      }
      if (stopping) break;
      log(
        status === 200
          ? `[run] ✔ ${app.name.padEnd(14)} ${app.http ? `http://127.0.0.1:${app.http}` : `tcp 127.0.0.1:${app.tcp}`}  live: ${url}`
          : `[run] ✖ ${app.name} ${exited() ? 'exited before answering' : 'did not answer'} ${url}${exited() ? '' : ' within 120 s'}`,
      );
      // A system with an app missing is not "running": stop what started and fail, so scripts and CI notice.
      if (status !== 200) {
        await stopAll(`${app.name} failed to start`);
        return 1;
      }
    }
    if (!stopping)
      log(
        present.length
          ? '[run] running — Ctrl-C stops the apps and the infrastructure started here'
          : '[run] no app to start yet — Ctrl-C stops the infrastructure',
      );
    return done;
  });
}

// ---------------------------------------------------------------- main
const COMMANDS = { infra: infraCommand, test: testCommand, start: startCommand };

async function main(argv) {
  const [command, ...args] = argv;
  let handler = COMMANDS[command];
  const plugin = command && path.join(__dirname, 'commands', `${command.replace(/:/g, '-')}.js`);
  if (!handler && plugin && fs.existsSync(plugin)) handler = (a) => require(plugin)(a, module.exports);
  if (!handler) {
    console.error('usage: node tools/run.js infra up|down|status | start | test [jest args] | <tools/commands/*.js>');
    return 2;
  }
  try {
    return await handler(args);
  } catch (error) {
    return fail(error);
  }
}

module.exports = { ROOT, REPORT, APPS, infra, withInfra, runJest, runChild, printTotals, printBackends, build };

// On a machine Node older than the pinned one (.node-version), tools/node-lts.js installs that and runs this script
// again under it: the apps, Jest and npm then all run on the project's Node.
if (require.main === module && !require('./node-lts').reexecUnderPinnedNode()) {
  main(process.argv.slice(2)).then((code) => process.exit(code ?? 0));
}
