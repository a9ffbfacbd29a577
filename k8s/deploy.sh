#!/usr/bin/env bash
# Deploys one overlay in the order the system needs (plain kustomize has no hooks):
#   1. namespace, config, policies, services, backends, cron jobs (everything but migrations and apps);
#      the Secret template only if no taskflow-secrets exists yet (a real Secret is never overwritten)
#   2. the migration and topic Jobs; wait until both completed
#   3. the apps (Deployments, Services): audit-service first and wait for it, then the others; wait for the rollout
# Usage: k8s/deploy.sh <dev|staging|prod> [--dry-run]
set -euo pipefail

ENV_NAME="${1:?usage: k8s/deploy.sh <dev|staging|prod> [--dry-run]}"
DRY_RUN="${2:-}"
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
NS="taskflow-${ENV_NAME}"
RENDERED="$(mktemp)"
trap 'rm -f "$RENDERED"' EXIT

kubectl kustomize "$HERE/overlays/$ENV_NAME" > "$RENDERED"
APPLY=(kubectl apply -f "$RENDERED")
if [[ "$DRY_RUN" == "--dry-run" ]]; then APPLY+=(--dry-run=client); fi

echo "== 1/3 platform: config, policies, services, backends, cron jobs"
"${APPLY[@]}" -l 'app.kubernetes.io/component notin (app,migration),taskflow.io/secret-template!=true'
if ! kubectl -n "$NS" get secret taskflow-secrets > /dev/null 2>&1; then
  if [[ "$ENV_NAME" != "dev" && "$DRY_RUN" != "--dry-run" ]]; then
    echo "ERROR: secret $NS/taskflow-secrets does not exist; create it from real values first (docs/deployment.md)" >&2
    exit 1
  fi
  echo "   creating the placeholder Secret template (dev only)"
  "${APPLY[@]}" -l 'taskflow.io/secret-template=true'
else
  # Compare decoded values: the base64 of a value that merely starts with REPLACE_ME does not contain the
  # base64 of REPLACE_ME. Only key names are printed, never values.
  decoded="$(kubectl -n "$NS" get secret taskflow-secrets \
    -o go-template='{{range $k, $v := .data}}{{$k}}={{$v | base64decode}}{{"\n"}}{{end}}')"
  placeholders="$(grep 'REPLACE_ME' <<< "$decoded" | cut -d= -f1 | tr '\n' ' ' || true)"
  if [[ -n "$placeholders" && "$ENV_NAME" != "dev" ]]; then
    echo "ERROR: $NS/taskflow-secrets still holds REPLACE_ME placeholders: ${placeholders% }" >&2
    exit 1
  fi
  # Every key a workload references (secretKeyRef) must exist, e.g. the Kafka SCRAM passwords added later.
  missing="$(comm -23 <(grep -E '^ +key: [A-Z][A-Z0-9_]*$' "$RENDERED" | awk '{print $2}' | sort -u) \
    <(cut -d= -f1 <<< "$decoded" | sort -u) | tr '\n' ' ')"
  if [[ -n "${missing// /}" ]]; then
    echo "ERROR: $NS/taskflow-secrets lacks keys the workloads reference: ${missing% } (docs/deployment.md)" >&2
    exit 1
  fi
fi
if [[ "$DRY_RUN" != "--dry-run" && "$ENV_NAME" == "dev" ]]; then
  kubectl -n "$NS" rollout status statefulset --timeout=10m
fi

echo "== 2/3 migrations (PostgreSQL, MongoDB) and Kafka topics (Job specs are immutable: the previous run is replaced)"
if [[ "$DRY_RUN" != "--dry-run" ]]; then
  kubectl -n "$NS" delete job -l app.kubernetes.io/component=migration --ignore-not-found --wait=true
fi
"${APPLY[@]}" -l 'app.kubernetes.io/component=migration'
if [[ "$DRY_RUN" != "--dry-run" ]]; then
  kubectl -n "$NS" wait --for=condition=complete job/taskflow-migrate job/taskflow-audit-migrate job/taskflow-kafka-topics \
    --timeout=15m
fi

# The consumer first: audit-service must read a new event version (user.registered v2, say) before a producer
# emits it, or the old pods would dead-letter the new events until someone redrives them.
echo "== 3/3 apps: audit-service, then the producers and the gateway"
"${APPLY[@]}" -l 'app.kubernetes.io/component=app,app.kubernetes.io/name=audit-service'
if [[ "$DRY_RUN" != "--dry-run" ]]; then
  kubectl -n "$NS" rollout status deployment/audit-service --timeout=10m
fi
"${APPLY[@]}" -l 'app.kubernetes.io/component=app,app.kubernetes.io/name!=audit-service'
if [[ "$DRY_RUN" != "--dry-run" ]]; then
  for app in user-service task-service api-gateway; do
    kubectl -n "$NS" rollout status "deployment/$app" --timeout=10m
  done
fi
echo "== deployed $ENV_NAME"
