/**
 * The service's entry point in production: configuration from the environment, graceful stop on
 * SIGTERM (what Kubernetes sends), a log line per outage rather than per retry.
 *
 *   DATABASE_URL=postgres://... ROCKETMQ_ENDPOINTS=rmq-proxy:8081 pnpm --filter @idem/example-orders start
 */
import { type Logger, logFieldsJson } from '@idem/core';
import { startOrdersService } from './start-orders-service.js';

// Errors come as objects under `err`: logFieldsJson keeps their message, stack and cause.
const logger: Logger = {
  debug() {},
  info: (fields, message) => console.warn(logFieldsJson({ level: 'info', message, ...fields })),
  warn: (fields, message) => console.warn(logFieldsJson({ level: 'warn', message, ...fields })),
  error: (fields, message) => console.error(logFieldsJson({ level: 'error', message, ...fields })),
};

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') {
    console.error(`orders-service: set ${name} (see packages/example/README.md)`);
    process.exit(2);
  }
  return value;
}

const accessKey = process.env.ROCKETMQ_ACCESS_KEY;
const accessSecret = process.env.ROCKETMQ_ACCESS_SECRET;
const namespace = process.env.ROCKETMQ_NAMESPACE;
const service = await startOrdersService({
  databaseUrl: required('DATABASE_URL'),
  rocketmqEndpoints: required('ROCKETMQ_ENDPOINTS'),
  logger,
  ...(namespace === undefined ? {} : { namespace }),
  ...(accessKey !== undefined && accessSecret !== undefined
    ? { credentials: { accessKey, accessSecret } }
    : {}),
});
process.once('SIGTERM', () => {
  void service.stop();
});
process.once('SIGINT', () => {
  void service.stop();
});
