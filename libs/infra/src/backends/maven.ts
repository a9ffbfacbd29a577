import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { infraDir, workspaceRoot } from '../config';
import { which } from '../proc';
import { InfraError } from '../types';

/**
 * Makes sure the jars of infra/<module>/pom.xml are in .infra/lib/<module> (resolved from Maven Central
 * once, then cached). `marker` is a jar name prefix that proves the folder is complete.
 */
export function ensureJars(module: 'kafka' | 'mongo', marker: string): string {
  const libDir = path.join(infraDir(), 'lib', module);
  const complete = () => fs.existsSync(libDir) && fs.readdirSync(libDir).some((f) => f.startsWith(marker));
  if (complete()) return libDir;
  if (!which('java'))
    throw new InfraError(
      `A JDK (java 17+) is needed to run local ${module}: install openjdk-17-jre-headless or set the URL variable.`,
    );
  if (!which('mvn'))
    throw new InfraError(
      `Maven (mvn) is needed once to fetch the ${module} jars: install maven or set the URL variable.`,
    );
  const pom = path.join(workspaceRoot(), 'infra', module, 'pom.xml');
  console.log(`[infra] resolving ${module} jars from Maven Central into ${libDir} …`);
  const result = spawnSync(
    'mvn',
    ['-q', '-B', '-f', pom, 'dependency:copy-dependencies', `-DoutputDirectory=${libDir}`],
    { stdio: ['ignore', 'inherit', 'inherit'], timeout: 900_000 },
  );
  if (result.status !== 0 || !complete()) {
    throw new InfraError(
      `Maven could not resolve ${pom} (exit ${result.status}); check network access to Maven Central.`,
    );
  }
  return libDir;
}
