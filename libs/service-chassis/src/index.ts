export * from './postgres-service.module';
export * from './postgres-service-app';
export * from './service-resources';
export * from './run-postgres-service';
export * from './migrate-command';
