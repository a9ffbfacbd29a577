// `npm run bench` = `node tools/run.js bench [--duration s] [--warmup s] [--connections n] [--events n]`:
// the one benchmark report, bench/run.ts (README "Benchmarks").
'use strict';

const path = require('node:path');

module.exports = async (args, kit) => {
  kit.infra(); // registers @swc-node/register with the tsconfig path aliases
  const { runBench } = require(path.join(kit.ROOT, 'bench', 'run.ts'));
  return runBench(args, kit);
};
