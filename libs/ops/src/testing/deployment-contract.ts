import { containersOfApp, loadWith, OVERLAY_PROFILES, StartedContainer, variablesUsed } from './workload-env';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are read at arbitrary paths */

type Loader = (source: Record<string, string | undefined>) => { profile: string };

/** The secret-backed variables a container is handed but its process never uses (least privilege). */
function unusedSecrets(container: StartedContainer, read: Set<string>): string[] {
  if (!container.manifest) return [];
  const used = variablesUsed(container.manifest, read);
  return (container.manifest.env ?? [])
    .filter((entry: any) => entry.valueFrom?.secretKeyRef && !used.has(entry.name))
    .map((entry: any) => entry.name);
}

/**
 * The deployment contract of one app, as Jest tests: every container running the app's image in every
 * Kubernetes overlay (Deployments and Jobs) and in docker compose starts with an environment that
 * `loaders[command]` — the function that command's entry point calls — accepts, in the profile the
 * deployment means (dev = development, staging, prod = production, compose = staging); no `$(VAR)` is
 * left unresolved, every referenced Secret/ConfigMap key exists, and no Secret is handed to a container
 * that does not use it. `loaders` maps a command line (`node dist/apps/<app>/src/main.js`) to its loader.
 */
export function describeDeploymentContract(app: string, loaders: Record<string, Loader>): void {
  describe(`deployment contract: ${app}`, () => {
    const containers = containersOfApp(app);

    it('runs in every Kubernetes overlay and in docker compose', () => {
      const places = new Set(containers.map((c) => c.where.split(' ')[0]));
      expect([...places].sort()).toEqual([...Object.keys(OVERLAY_PROFILES), 'compose'].sort());
    });

    it.each(containers.map((c) => [c.where, c] as const))('%s: its own loader accepts the environment', (where, c) => {
      const loader = loaders[c.command];
      expect({ where, command: c.command, loaderKnown: loader !== undefined }).toEqual({
        where,
        command: c.command,
        loaderKnown: true,
      });
      const result = loadWith(loader, c.env);
      expect({ where, problems: [...c.problems, ...result.problems] }).toEqual({ where, problems: [] });
      expect({ where, profile: result.config?.profile }).toEqual({ where, profile: c.profile });
      expect({ where, unusedSecrets: unusedSecrets(c, result.read) }).toEqual({ where, unusedSecrets: [] });
    });
  });
}
