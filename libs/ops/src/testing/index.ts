// Test support for deployment artefacts (Kubernetes overlays, docker compose), shared by the ops tests
// and each app's deployment contract test.
export * from './k8s';
export * from './repo';
export * from './workload-env';
export * from './deployment-contract';
