// `node tools/run.js rpc-certs`: prints a fresh RPC certificate authority and certificates as .env lines (PEM newlines
// escaped): RPC_TLS_CA, and GATEWAY_/USER_SERVICE_/TASK_SERVICE_RPC_TLS_CERT + _RPC_TLS_KEY (servers with SANs
// user-service / task-service, localhost, 127.0.0.1; the gateway's a client certificate), made with the openssl CLI,
// for docker-compose (`>> .env`) or the Kubernetes Secret (same names). The CA's private key is not printed.
'use strict';

module.exports = async (_args, kit) => {
  for (const [name, value] of Object.entries(kit.infra().rpcTlsSecrets())) {
    console.log(`${name}='${value.trim().replace(/\n/g, '\\n')}'`);
  }
  return 0;
};
