export * from './types';
export { infraDir, loadConfig, workspaceRoot } from './config';
export type { InfraConfig } from './config';
export { infraUp, infraDown, infraStatus, infraEnv, describeBackend, ENV_VARS } from './resolver';
export type { UpOptions, StatusLine } from './resolver';
export { ensureKafkaTopics, systemTopics } from './topics';
export type { TopicOptions } from './topics';
export { isMongoStandIn, mongoProvider } from './mongo-flavor';
export { parseKafkaBrokers, probeMongo, probePostgres, probeRedis, probeKafka, redact } from './probes';
export { dockerAvailable } from './docker';
export { isPortOpen, waitUntil } from './net';
export { freePort } from './free-port';
export { statePath, readState } from './state';
// Private servers for fault-injection tests (libs/testing/src/system): started and signalled by pid.
export { startLocalKafka } from './backends/kafka';
export type { KafkaCredential, KafkaSaslSecurity } from './backends/kafka';
export { isAlive } from './proc';
export { startMongoJavaServer } from './backends/mongo';
export { startRedisServer } from './backends/redis';
export {
  ensureLocalCheckpointKey,
  ensureLocalEventKeys,
  ensureLocalFieldEncryptionKeys,
  ensureLocalSigningKeys,
  EVENT_KEY_SECRET_PREFIX,
  EVENT_PRODUCERS,
  eventKeySecrets,
  generateCheckpointKeyEnv,
  generateEventKeysEnv,
  generateFieldEncryptionKeyEnv,
  generateSigningKeyEnv,
  TEST_EVENT_PRODUCER,
} from './local-secrets';
export type { EventKeysEnv, EventSigningKeyEnv, FieldEncryptionKeyEnv, SigningKeyEnv } from './local-secrets';
export { prepareServiceDatabase } from './local-database';
export type { DatabaseService, ServiceUrls } from './local-database';
export {
  generateRpcCertificates,
  RPC_CLIENTS,
  RPC_SERVERS,
  RPC_TLS_SECRET_PREFIX,
  rpcTlsSecrets,
} from './rpc-certificates';
export type { CertificateAndKey, RpcCertificates, SubjectAltNames } from './rpc-certificates';
