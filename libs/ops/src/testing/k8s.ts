import { execFileSync } from 'node:child_process';
import { parseYamlStream, repoPath } from './repo';

/* eslint-disable @typescript-eslint/no-explicit-any -- rendered manifests are read at arbitrary paths */

/** A rendered Kubernetes object (loosely typed: the tests read arbitrary paths). */
export type K8sObject = {
  apiVersion: string;
  kind: string;
  metadata: { name: string; [k: string]: any };
  [k: string]: any;
};

export function kubectlVersion(): string | undefined {
  try {
    return execFileSync('kubectl', ['version', '--client', '--output=json'], { encoding: 'utf8', stdio: 'pipe' });
  } catch {
    return undefined;
  }
}

/** Renders one overlay with `kubectl kustomize` (offline: no cluster needed). */
export function renderOverlay(env: string): K8sObject[] {
  const text = execFileSync('kubectl', ['kustomize', repoPath('k8s', 'overlays', env)], {
    encoding: 'utf8',
    stdio: 'pipe',
    maxBuffer: 32 * 1024 * 1024,
  });
  return parseYamlStream(text) as K8sObject[];
}

type ModelClass = new (data: unknown) => { validate(): void };

/** The kubernetes-models class for an apiVersion/kind, e.g. apps/v1 Deployment. */
export function modelClass(apiVersion: string, kind: string): ModelClass {
  const [group, version] = apiVersion.includes('/') ? apiVersion.split('/') : ['', apiVersion];
  const modulePath = group ? `kubernetes-models/${group}/${version}` : `kubernetes-models/${version}`;
  const model = (require(modulePath) as Record<string, ModelClass | undefined>)[kind];
  if (!model) throw new Error(`no kubernetes-models class for ${apiVersion} ${kind}`);
  return model;
}

/** The pod template spec of a workload (Deployment, StatefulSet, Job, CronJob), if any. */
export function podSpecOf(obj: K8sObject): any | undefined {
  if (obj.kind === 'CronJob') return obj.spec?.jobTemplate?.spec?.template?.spec;
  if (['Deployment', 'StatefulSet', 'Job', 'DaemonSet'].includes(obj.kind)) return obj.spec?.template?.spec;
  return undefined;
}

export function podLabelsOf(obj: K8sObject): Record<string, string> {
  if (obj.kind === 'CronJob') return obj.spec.jobTemplate.spec.template.metadata?.labels ?? {};
  return obj.spec?.template?.metadata?.labels ?? {};
}

interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

export function selectorMatches(selector: LabelSelector | undefined, labels: Record<string, string>): boolean {
  if (!selector) return false;
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    if (e.operator === 'In') return (e.values ?? []).includes(labels[e.key]);
    if (e.operator === 'NotIn') return !(e.values ?? []).includes(labels[e.key]);
    if (e.operator === 'Exists') return e.key in labels;
    if (e.operator === 'DoesNotExist') return !(e.key in labels);
    return false;
  });
  return byLabels && byExpressions;
}

/**
 * What a pod with these labels may reach, as sorted strings, by the union of the NetworkPolicies that
 * select it: `pod:<name>:<port>`, `cidr:<cidr>:<port>`, `dns:<port>`, or `ANY` for an unrestricted rule.
 */
export function allowedEgress(labels: Record<string, string>, policies: K8sObject[]): string[] {
  const out = new Set<string>();
  for (const np of policies) {
    if (!(np.spec.policyTypes ?? []).includes('Egress') || !selectorMatches(np.spec.podSelector, labels)) continue;
    for (const rule of np.spec.egress ?? []) {
      const ports: string[] = (rule.ports ?? []).map((p: { port: number }) => String(p.port));
      if (!rule.to || rule.to.length === 0 || ports.length === 0) {
        out.add('ANY');
        continue;
      }
      for (const peer of rule.to) {
        for (const port of ports) {
          if (peer.ipBlock) out.add(`cidr:${peer.ipBlock.cidr}:${port}`);
          else if (peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'] === 'kube-system')
            out.add(`dns:${port}`);
          else if (peer.namespaceSelector?.matchLabels?.['kubernetes.io/metadata.name'])
            out.add(`ns:${peer.namespaceSelector.matchLabels['kubernetes.io/metadata.name']}:${port}`);
          else if (peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] && !peer.namespaceSelector)
            out.add(`pod:${peer.podSelector.matchLabels['app.kubernetes.io/name']}:${port}`);
          else out.add(`OTHER:${JSON.stringify(peer)}:${port}`);
        }
      }
    }
  }
  return [...out].sort();
}

/** Who may connect to a pod with these labels: `pod:<name>:<port>`, `ns:<namespace>:<port>`, or `ANY`. */
export function allowedIngress(labels: Record<string, string>, policies: K8sObject[]): string[] {
  const out = new Set<string>();
  for (const np of policies) {
    if (!(np.spec.policyTypes ?? []).includes('Ingress') || !selectorMatches(np.spec.podSelector, labels)) continue;
    for (const rule of np.spec.ingress ?? []) {
      const ports: string[] = (rule.ports ?? []).map((p: { port: number }) => String(p.port));
      if (!rule.from || rule.from.length === 0 || ports.length === 0) {
        out.add('ANY');
        continue;
      }
      for (const peer of rule.from) {
        for (const port of ports) {
          if (peer.ipBlock) out.add(`cidr:${peer.ipBlock.cidr}:${port}`);
          else if (peer.namespaceSelector && !peer.podSelector)
            out.add(`ns:${peer.namespaceSelector.matchLabels?.['kubernetes.io/metadata.name'] ?? '*'}:${port}`);
          else if (peer.podSelector?.matchLabels?.['app.kubernetes.io/name'] && !peer.namespaceSelector)
            out.add(`pod:${peer.podSelector.matchLabels['app.kubernetes.io/name']}:${port}`);
          else out.add(`OTHER:${JSON.stringify(peer)}:${port}`);
        }
      }
    }
  }
  return [...out].sort();
}
