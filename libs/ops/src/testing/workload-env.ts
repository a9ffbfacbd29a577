import { eventKeySecrets, generateFieldEncryptionKeyEnv, generateSigningKeyEnv, rpcTlsSecrets } from '@taskflow/infra';
import { K8sObject, podSpecOf, renderOverlay } from './k8s';
import { readYaml } from './repo';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are read at arbitrary paths */

/** The Kubernetes overlays and the profile (libs/config APP_ENV) each must select; compose runs `staging`. */
export const OVERLAY_PROFILES = { dev: 'development', staging: 'staging', prod: 'production' } as const;
export const COMPOSE_PROFILE = 'staging';

/**
 * What an operator puts into `taskflow-secrets` (and docker compose's environment) instead of the
 * template's REPLACE_ME placeholders: values of the length and alphabet real generators produce
 * (`openssl rand -base64 …`, URL-safe as the template asks), so connection strings are built and parsed
 * as they will be in a cluster.
 */
export const REALISTIC_SECRETS: Readonly<Record<string, string>> = {
  POSTGRES_USER: 'taskflow_app',
  POSTGRES_PASSWORD: 'q7Xv-2LbN9_wRt4ZkPm8HsYd',
  REDIS_PASSWORD: 'Vh3_nQ8sKx-1TzLw6RmJpBc4',
  MONGO_USERNAME: 'taskflow_audit',
  MONGO_PASSWORD: 'Mz5-tRq2_WnYk8LsXv3HdPc7',
  // The services' database roles, as `node tools/run.js database-passwords` prints them.
  USER_SERVICE_DB_OWNER_PASSWORD: 'Ow7-kLp2_QxZ9mVt4RsNcB1y',
  USER_SERVICE_DB_PASSWORD: 'Rt3_vNq8-LwX2kPz6HmYdJ5s',
  TASK_SERVICE_DB_OWNER_PASSWORD: 'Tk9-oWm4_ZsQ1xLv7NpRcH2e',
  TASK_SERVICE_DB_PASSWORD: 'Ap6_rTy3-KqM8wZx1LsVnD4g',
  // A real key pair, as `node tools/run.js token-keys` prints it for a Secret.
  ...generateSigningKeyEnv(),
  ...generateFieldEncryptionKeyEnv(),
  // Real Ed25519 event keys, one per producer, as `node tools/run.js event-keys` prints them.
  ...eventKeySecrets(),
  // A real RPC CA and certificates (openssl CLI), as `node tools/run.js rpc-certs` prints them.
  ...rpcTlsSecrets(),
  BACKUP_ENCRYPTION_KEY: 'b4ckup-Pa55phrase_Xw9Lq2Tz',
  AUDIT_CHECKPOINT_KEY: 'Ck9-pT2xLw_Qz7RvNb4YhKm8Sd3FgJ6aWe1Uo5Ic',
  // Kafka SCRAM passwords (libs/ops/src/kafka/acls.ts principals).
  KAFKA_ADMIN_PASSWORD: 'Ka-adm1n_Q8wLz3Rt5Yp2Vx7N',
  KAFKA_USER_SERVICE_PASSWORD: 'Ku-Hs4_pW9zLq2Xt6Rm8Bv3C',
  KAFKA_TASK_SERVICE_PASSWORD: 'Kt-Jd7_mN3xQw5Zr2Lp9Yh4F',
  KAFKA_AUDIT_SERVICE_PASSWORD: 'Ka-Tr6_bV2nXk8Wq4Mz5Ls7G',
  KAFKA_BACKUP_PASSWORD: 'Kb-Pq3_cR7yHm2Nx9Wt4Jv6D',
};

/** One container as it would start: the environment the kubelet (or docker compose) hands the process. */
export interface StartedContainer {
  /** e.g. `prod Job/taskflow-audit-migrate/migrate-audit` or `compose migrate-audit`. */
  where: string;
  /** The profile the deployment means this container to run in. */
  profile: string;
  image: string;
  /** The command line the container runs (image default resolved for the TaskFlow images). */
  command: string;
  env: Record<string, string>;
  /** What would stop the container before the app runs, or leave it with a wrong value. */
  problems: string[];
  /** The container as the manifest declares it (Kubernetes only). */
  manifest?: any;
}

/**
 * Expands `$(VAR)` in a Kubernetes env value exactly as the kubelet does
 * (k8s.io/kubernetes third_party/forked/golang/expansion): `$$` is a literal `$`, `$(NAME)` is replaced by
 * an earlier-defined variable, and a reference to an undefined one stays as written.
 */
export function expandKubernetesValue(value: string, defined: Record<string, string>): string {
  return value.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (match, name: string | undefined) => {
    if (match === '$$') return '$';
    return name !== undefined && name in defined ? defined[name] : match;
  });
}

/** The `$(VAR)` references an expanded value still holds (the kubelet leaves undefined ones as written). */
function unresolvedReferences(value: string): string[] {
  return [...value.replace(/\$\$/g, '').matchAll(/\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g)].map((m) => m[1]);
}

type DataByName = Record<string, Record<string, string>>;

/**
 * The environment of one container as the kubelet builds it: `envFrom` sources first (ConfigMaps and
 * Secrets, with their prefix), then each `env` entry in order (`value` with `$(VAR)` expansion against
 * everything defined before it, `valueFrom` ConfigMap/Secret keys; a missing non-optional key stops the
 * container with CreateContainerConfigError). Problems name the missing keys and unresolved references.
 */
export function kubeletEnvironment(
  container: any,
  configMaps: DataByName,
  secrets: DataByName,
): { env: Record<string, string>; problems: string[] } {
  const env: Record<string, string> = {};
  const problems: string[] = [];
  const lookUp = (kind: string, data: DataByName, ref: { name: string; key: string; optional?: boolean }) => {
    const value = data[ref.name]?.[ref.key];
    if (value === undefined && !ref.optional) problems.push(`${kind} ${ref.name} has no key ${ref.key}`);
    return value;
  };
  for (const source of container.envFrom ?? []) {
    const ref = source.configMapRef ?? source.secretRef;
    const data = source.configMapRef ? configMaps[ref.name] : secrets[ref.name];
    if (!data) {
      if (!ref.optional) problems.push(`envFrom: ${source.configMapRef ? 'ConfigMap' : 'Secret'} ${ref.name} missing`);
      continue;
    }
    for (const [key, value] of Object.entries(data)) env[`${source.prefix ?? ''}${key}`] = value;
  }
  for (const entry of container.env ?? []) {
    let value: string | undefined;
    if (entry.valueFrom?.secretKeyRef) value = lookUp('Secret', secrets, entry.valueFrom.secretKeyRef);
    else if (entry.valueFrom?.configMapKeyRef) value = lookUp('ConfigMap', configMaps, entry.valueFrom.configMapKeyRef);
    else if (entry.valueFrom) problems.push(`${entry.name}: valueFrom ${Object.keys(entry.valueFrom)} not modelled`);
    else value = expandKubernetesValue(String(entry.value ?? ''), env);
    if (value === undefined) continue;
    env[entry.name] = value;
    const unresolved = unresolvedReferences(value);
    if (unresolved.length > 0) problems.push(`${entry.name}: unresolved ${unresolved.map((r) => `$(${r})`).join(' ')}`);
  }
  return { env, problems };
}

/** The command a TaskFlow app image runs when the manifest sets none (Dockerfile runtime CMD). */
function commandOf(image: string, command: string[] | undefined, args: string[] | undefined): string {
  if (command) return [...command, ...(args ?? [])].join(' ');
  const app = /taskflow\/([a-z-]+):/.exec(image)?.[1];
  return app ? `node dist/apps/${app}/src/main.js` : `<image default of ${image}>`;
}

/**
 * Every container (init containers included) of every workload an overlay renders — Deployments, Jobs,
 * CronJobs, StatefulSets — with the environment it starts with.
 * Secrets are `secrets` (default {@link REALISTIC_SECRETS}) rather than the template's placeholders;
 * `mutate` may edit the rendered objects first (tests drop a variable to prove the contract catches it).
 */
export function overlayContainers(
  overlay: keyof typeof OVERLAY_PROFILES,
  options: { secrets?: Record<string, string>; mutate?: (objects: K8sObject[]) => void; objects?: K8sObject[] } = {},
): StartedContainer[] {
  const objects = options.objects ?? renderOverlay(overlay);
  options.mutate?.(objects);
  const configMaps: DataByName = Object.fromEntries(
    objects.filter((o) => o.kind === 'ConfigMap').map((o) => [o.metadata.name, o.data ?? {}]),
  );
  const secretNames = objects.filter((o) => o.kind === 'Secret').map((o) => o.metadata.name);
  const secrets: DataByName = Object.fromEntries(
    secretNames.map((name) => [name, { ...(options.secrets ?? REALISTIC_SECRETS) }]),
  );
  return objects
    .filter((o) => podSpecOf(o) !== undefined)
    .flatMap((workload) => {
      const spec = podSpecOf(workload);
      return [...(spec.initContainers ?? []), ...spec.containers].map((container: any) => {
        const { env, problems } = kubeletEnvironment(container, configMaps, secrets);
        return {
          where: `${overlay} ${workload.kind}/${workload.metadata.name}/${container.name}`,
          profile: OVERLAY_PROFILES[overlay],
          image: container.image,
          command: commandOf(container.image, container.command, container.args),
          env,
          problems,
          manifest: container,
        };
      });
    });
}

/**
 * docker compose variable interpolation for the forms docker-compose.yml uses: `${NAME}`, `${NAME:-default}`
 * (default when unset or empty), `${NAME:?message}` (compose refuses to start when unset or empty: thrown here
 * as `NAME: message`) and `$$` (a literal `$`). Any other form throws, so the model never silently disagrees
 * with compose.
 */
export function interpolateCompose(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([^}]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g, (match, braced?: string, bare?: string) => {
    if (match === '$$') return '$';
    if (bare !== undefined) return shell[bare] ?? '';
    const form = /^([A-Za-z_][A-Za-z0-9_]*)(?::([-?])(.*))?$/s.exec(braced ?? '');
    if (!form) throw new Error(`compose interpolation form not modelled: ${match}`);
    const [, name, operator, operand] = form;
    const set = shell[name];
    if (set !== undefined && set !== '') return set;
    if (operator === '?') throw new Error(`${name}: ${operand}`);
    return operator === '-' ? operand : '';
  });
}

interface ComposeService {
  image?: string;
  build?: { args?: Record<string, string> };
  command?: string[] | string;
  environment?: Record<string, string | number | boolean>;
  restart?: string;
  profiles?: string[];
}

/**
 * Every TaskFlow app container docker compose starts (services built from the Dockerfile with an APP),
 * with its environment interpolated from `shell` (the operator's environment or `.env`; empty = the
 * file's defaults).
 */
export function composeContainers(shell: Record<string, string | undefined> = {}): StartedContainer[] {
  const compose = readYaml<{ services: Record<string, ComposeService> }>('docker-compose.yml');
  return Object.entries(compose.services)
    .filter(([, service]) => service.build?.args?.APP)
    .map(([name, service]) => {
      const command = ([] as string[]).concat(service.command ?? []);
      const env = Object.fromEntries(
        Object.entries(service.environment ?? {}).map(([key, value]) => [
          key,
          interpolateCompose(String(value), shell),
        ]),
      );
      return {
        where: `compose ${name}`,
        profile: COMPOSE_PROFILE,
        image: service.image ?? '',
        command: commandOf(service.image ?? '', command.length > 0 ? command : undefined, undefined),
        env,
        problems: [],
      };
    });
}

/**
 * Secrets docker-compose.yml requires (token, email-encryption, event-signing and checkpoint keys, Kafka and database
 * role passwords, RPC certificates).
 */
const COMPOSE_REQUIRED =
  /^(POSTGRES_PASSWORD$|JWT_|PII_|AUDIT_CHECKPOINT_KEY$|KAFKA_.*_PASSWORD$|(USER|TASK)_SERVICE_DB_)|EVENT_|RPC_TLS_/;

/** Compose as an operator runs it: with the secrets set in the environment, and with the file's defaults. */
export function composeContainerVariants(): StartedContainer[] {
  // The secrets have no default (compose refuses to start without them: `${NAME:?…}`); everything else may default.
  const keys = Object.fromEntries(Object.entries(REALISTIC_SECRETS).filter(([name]) => COMPOSE_REQUIRED.test(name)));
  const withSecrets = composeContainers(keys).map((c) => ({
    ...c,
    where: `${c.where} (secrets from .env)`,
  }));
  const defaults = composeContainers(keys).map((c) => ({ ...c, where: `${c.where} (file defaults)` }));
  return [...withSecrets, ...defaults];
}

/** Every container running `app`'s image, in every overlay (unless `withKubernetes` is false) and in compose. */
export function containersOfApp(app: string, withKubernetes = true): StartedContainer[] {
  const overlays = withKubernetes ? (Object.keys(OVERLAY_PROFILES) as (keyof typeof OVERLAY_PROFILES)[]) : [];
  const all = [...overlays.flatMap((overlay) => overlayContainers(overlay)), ...composeContainerVariants()];
  return all.filter((c) => c.image.includes(`taskflow/${app}:`));
}

/**
 * Runs a config loader on `env` and returns its problems (the ConfigError lines, or the message of any
 * other error) — empty when it loads — plus the variables it read, for least-privilege checks.
 */
export function loadWith<T>(
  loader: (source: Record<string, string | undefined>) => T,
  env: Record<string, string>,
): { config?: T; problems: string[]; read: Set<string> } {
  const read = new Set<string>();
  const source = new Proxy(env, {
    get: (target, key) => {
      if (typeof key === 'string') read.add(key);
      return Reflect.get(target, key);
    },
  });
  try {
    return { config: loader(source), problems: [], read };
  } catch (error) {
    const problems = (error as { problems?: string[] }).problems ?? [(error as Error).message];
    return { problems, read };
  }
}

/**
 * The variables a container's process uses: those its loader read, plus every variable whose value
 * was expanded into one of them (`DATABASE_URL` = `postgres://$(POSTGRES_USER):$(POSTGRES_PASSWORD)@…`).
 */
export function variablesUsed(container: any, read: Set<string>): Set<string> {
  const used = new Set(read);
  const entries: { name: string; value?: string }[] = container.env ?? [];
  for (const entry of [...entries].reverse()) {
    if (!used.has(entry.name) || entry.value === undefined) continue;
    for (const [, ref] of entry.value.matchAll(/\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g)) used.add(ref);
  }
  return used;
}
