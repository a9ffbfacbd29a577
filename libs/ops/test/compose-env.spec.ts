import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const ROOT = join(__dirname, '../../..');

/** `NAME=value` or `NAME='value'` lines as a map. */
function parseEnv(text: string): Map<string, string> {
  return new Map(
    text
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line))
      .filter((match): match is RegExpExecArray => match !== null)
      .map(([, name, value]) => [name, value.replace(/^'(.*)'$/s, '$1')]),
  );
}

describe('node tools/run.js compose-env (README "docker-compose")', () => {
  it('should print a fresh value for every secret docker-compose.yml requires (`${NAME:?…}`)', () => {
    const run = () =>
      parseEnv(execFileSync(process.execPath, ['tools/run.js', 'compose-env'], { cwd: ROOT, encoding: 'utf8' }));
    const [first, second] = [run(), run()];
    const required = [...readFileSync(join(ROOT, 'docker-compose.yml'), 'utf8').matchAll(/\$\{([A-Z0-9_]+):\?/g)].map(
      ([, name]) => name,
    );
    expect(required.length).toBeGreaterThan(10);
    for (const name of new Set(required)) {
      expect({ name, present: (first.get(name) ?? '').length > 0 }).toEqual({ name, present: true });
      expect({ name, fresh: first.get(name) !== second.get(name) }).toEqual({ name, fresh: true });
    }
  });
});
