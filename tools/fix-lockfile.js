#!/usr/bin/env node
// Adds the other-platform optional dependencies that npm 11 left out of package-lock.json.
//
// Why: `npm install` on linux-x64 (npm 11.19) recorded only the binaries of this platform for packages such as
// @swc/core, nx and unrs-resolver; `npm ci` then refuses the lockfile ("Missing: @swc/core-darwin-arm64@ from
// lock file", the npm/cli#4828 family of bugs). This script adds one lock entry per missing optional
// dependency (version, integrity, os/cpu/libc, engines, optional, dev) taken from `npm view`, so `npm ci` works
// from a clean clone on every platform. Run it after changing dependencies: `node tools/fix-lockfile.js`.
// It is idempotent and only adds entries. No "resolved" field: ~/.npmrc sets omit-lockfile-registry-resolved.
'use strict';

const { execFileSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const lockPath = path.join(__dirname, '..', 'package-lock.json');
const lock = JSON.parse(fs.readFileSync(lockPath, 'utf8'));
const packages = lock.packages;

/** Where node would find `name` from the package installed at `from` (nested first, then upwards). */
function locate(from, name) {
  let dir = from;
  for (;;) {
    const candidate = `${dir ? `${dir}/` : ''}node_modules/${name}`;
    if (packages[candidate]) return candidate;
    if (!dir) return undefined;
    const idx = dir.lastIndexOf('/node_modules/');
    dir = idx === -1 ? '' : dir.slice(0, idx);
  }
}

function npmView(spec) {
  try {
    const out = execFileSync('npm', ['view', spec, '--json'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    const parsed = JSON.parse(out);
    return Array.isArray(parsed) ? parsed[parsed.length - 1] : parsed;
  } catch {
    return undefined;
  }
}

/** os/cpu/libc from a platform package name such as @swc/core-linux-x64-musl or @nx/nx-win32-arm64-msvc. */
function platformFromName(name) {
  const os = ['darwin', 'linux', 'win32', 'freebsd', 'android', 'openharmony', 'sunos', 'aix'].find((o) =>
    name.includes(`-${o}-`),
  );
  const cpuMatch = /-(x64|arm64|arm|ia32|ppc64|s390x|riscv64|loong64|wasm32)(?:-|$)/.exec(
    name.replace(/-(eabi|gnueabihf|musleabihf)/, ''),
  );
  const record = {};
  if (os) record.os = [os];
  if (cpuMatch) record.cpu = [cpuMatch[1]];
  if (/-musl/.test(name)) record.libc = ['musl'];
  else if (/-gnu/.test(name)) record.libc = ['glibc'];
  return record;
}

/**
 * Registry metadata for name@spec. Mirrors that only carry this platform's builds may lack that exact
 * version: then os/cpu/libc come from another version (or the name) and the entry has no integrity —
 * npm skips such packages on non-matching platforms and verifies the tarball when it does fetch one.
 */
function describe(name, spec) {
  const exact = npmView(`${name}@${spec}`);
  if (exact) return { version: exact.version, integrity: exact.dist && exact.dist.integrity, meta: exact };
  const any = npmView(name) || {};
  const version = /^\d+\.\d+\.\d+/.test(spec) ? spec : any.version;
  if (!version) throw new Error(`cannot determine a version for ${name}@${spec}`);
  return { version, meta: { ...platformFromName(name), ...pick(any, ['os', 'cpu', 'libc', 'license', 'engines']) } };
}

function pick(object, keys) {
  return Object.fromEntries(keys.filter((k) => object[k] !== undefined).map((k) => [k, object[k]]));
}

let added = 0;
for (const [location, entry] of Object.entries(packages)) {
  if (!location || !entry.optionalDependencies) continue;
  for (const [name, spec] of Object.entries(entry.optionalDependencies)) {
    if (locate(location, name)) continue;
    const { version, integrity, meta } = describe(name, spec);
    const target = `node_modules/${name}`;
    const record = { version };
    if (integrity) record.integrity = integrity;
    for (const key of ['cpu', 'os', 'libc']) if (meta[key]) record[key] = [].concat(meta[key]);
    if (entry.dev) record.dev = true;
    if (meta.license) record.license = meta.license;
    record.optional = true;
    if (meta.engines) record.engines = meta.engines;
    packages[target] = record;
    added += 1;
    console.log(
      `added ${target}@${version}${integrity ? '' : ' (no integrity: not on this registry)'} for ${location}`,
    );
  }
}

// Keep npm's ordering (sorted by location) so later `npm install` runs produce small diffs.
lock.packages = Object.fromEntries(
  Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b, 'en'))),
);
fs.writeFileSync(lockPath, JSON.stringify(lock, null, 2) + '\n');
console.log(added ? `package-lock.json: ${added} optional entries added` : 'package-lock.json: nothing missing');
