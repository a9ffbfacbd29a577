import { kubectlVersion, podSpecOf, renderOverlay } from './k8s';
import {
  containersOfApp,
  loadWith,
  OVERLAY_PROFILES,
  overlayContainers,
  StartedContainer,
  variablesUsed,
} from './workload-env';

/* eslint-disable @typescript-eslint/no-explicit-any -- manifests are read at arbitrary paths */

export type ConfigLoader = (source: Record<string, string | undefined>) => { profile: string };

/** The secret-backed variables a container is handed but its process never uses (least privilege). */
function unusedSecrets(container: StartedContainer, read: Set<string>): string[] {
  if (!container.manifest) return [];
  const used = variablesUsed(container.manifest, read);
  return (container.manifest.env ?? [])
    .filter((entry: any) => entry.valueFrom?.secretKeyRef && !used.has(entry.name))
    .map((entry: any) => entry.name);
}

/**
 * Why `container` would not start as the deployment means it to (empty when it would): no loader known
 * for its command, a missing Secret/ConfigMap key or unresolved `$(VAR)`, the loader's own ConfigError
 * lines, a profile other than the deployment's, or a Secret handed to it that it never uses.
 */
export function contractProblems(container: StartedContainer, loaders: Record<string, ConfigLoader>): string[] {
  const loader = loaders[container.command];
  if (!loader) return [`no config loader known for \`${container.command}\``];
  const result = loadWith(loader, container.env);
  const problems = [...container.problems, ...result.problems];
  const profile = result.config?.profile;
  if (profile !== undefined && profile !== container.profile) {
    problems.push(`runs in profile ${profile}, the deployment means ${container.profile}`);
  }
  const unused = unusedSecrets(container, result.read);
  if (unused.length > 0) problems.push(`is handed secrets it never uses: ${unused.join(', ')}`);
  return problems;
}

/** Removes env entry `name` from the container `where` (`<overlay> <Kind>/<name>/<container>`) of rendered objects. */
function dropEnv(objects: any[], where: string, name: string): void {
  const [kind, workload, containerName] = where.split(' ')[1].split('/');
  const spec = podSpecOf(objects.find((o) => o.kind === kind && o.metadata.name === workload));
  const container = [...(spec.initContainers ?? []), ...spec.containers].find((c: any) => c.name === containerName);
  container.env = container.env.filter((entry: any) => entry.name !== name);
}

/**
 * The deployment contract of one app, as Jest tests: every container running the app's image in every
 * Kubernetes overlay (Deployments and Jobs) and in docker compose starts with an environment that
 * `loaders[command]` — the function that command's entry point calls — accepts, in the profile the
 * deployment means (dev = development, staging, prod = production, compose = staging); see
 * {@link contractProblems}. In staging and prod, removing any Secret-backed or `$(VAR)`-built variable
 * from a container's manifest must break the contract (so the test notices a dropped variable).
 * `loaders` maps a command line (`node dist/apps/<app>/src/main.js`) to its loader.
 */
export function describeDeploymentContract(app: string, loaders: Record<string, ConfigLoader>): void {
  describe(`deployment contract: ${app}`, () => {
    const kubectl = kubectlVersion() !== undefined;
    if (!kubectl) {
      process.stderr.write(
        `SKIPPED the Kubernetes half of ${app}'s deployment contract: \`kubectl\` is not on PATH.\n`,
      );
    }
    const containers = containersOfApp(app, kubectl);

    it('runs in every Kubernetes overlay and in docker compose', () => {
      const places = new Set(containers.map((c) => c.where.split(' ')[0]));
      const overlays = kubectl ? Object.keys(OVERLAY_PROFILES) : [];
      expect([...places].sort()).toEqual([...overlays, 'compose'].sort());
    });

    it.each(containers.map((c) => [c.where, c] as const))('%s: its own loader accepts the environment', (where, c) => {
      expect({ where, command: c.command, problems: contractProblems(c, loaders) }).toEqual({
        where,
        command: c.command,
        problems: [],
      });
    });

    (kubectl ? it : it.skip).each(['staging', 'prod'] as const)(
      '%s: dropping a credential or connection string breaks it',
      (overlay) => {
        const rendered = renderOverlay(overlay);
        const ofApp = (c: StartedContainer) => c.image.includes(`taskflow/${app}:`);
        const undetected: string[] = [];
        let dropped = 0;
        for (const c of overlayContainers(overlay, { objects: structuredClone(rendered) }).filter(ofApp)) {
          for (const entry of c.manifest.env ?? []) {
            if (!entry.valueFrom?.secretKeyRef && !/\$\(/.test(entry.value ?? '')) continue;
            const objects = structuredClone(rendered);
            dropEnv(objects, c.where, entry.name);
            const after = overlayContainers(overlay, { objects }).find((m) => m.where === c.where)!;
            dropped++;
            if (contractProblems(after, loaders).length === 0) undetected.push(`${c.where} without ${entry.name}`);
          }
        }
        expect(dropped).toBeGreaterThan(0);
        expect(undetected).toEqual([]);
      },
    );
  });
}
