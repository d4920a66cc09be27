import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { ServiceDefinition } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { RocketMQPeerError } from './rocketmq-peer-error.js';

const SERVICE_NAME = 'apache.rocketmq.v2.MessagingService';
let cached: ServiceDefinition | undefined;

/**
 * Loads `apache.rocketmq.v2.MessagingService` from the `.proto` files that the installed
 * `rocketmq-client-nodejs` ships, so the peer speaks exactly the client's protocol version.
 * Loaded once per process.
 */
export function loadMessagingService(): ServiceDefinition {
  if (cached !== undefined) return cached;
  let protoDir: string;
  try {
    const require = createRequire(import.meta.url);
    protoDir = join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
  } catch (error) {
    throw new RocketMQPeerError(
      'PROTO_NOT_FOUND',
      'rocketmq-client-nodejs is not installed next to @idem/testing',
      {
        cause: error,
      },
    );
  }
  let definition: unknown;
  try {
    const packageDefinition = loadSync('apache/rocketmq/v2/service.proto', {
      includeDirs: [protoDir],
      keepCase: false,
      longs: Number,
      enums: Number,
      defaults: true,
      oneofs: true,
    });
    definition = packageDefinition[SERVICE_NAME];
  } catch (error) {
    throw new RocketMQPeerError('PROTO_NOT_FOUND', `could not load the RocketMQ protos from ${protoDir}`, {
      cause: error,
    });
  }
  if (!isServiceDefinition(definition)) {
    throw new RocketMQPeerError('PROTO_NOT_FOUND', `${protoDir} does not define ${SERVICE_NAME}`);
  }
  cached = definition;
  return definition;
}

function isServiceDefinition(value: unknown): value is ServiceDefinition {
  if (typeof value !== 'object' || value === null || !('ReceiveMessage' in value)) return false;
  const method: unknown = value.ReceiveMessage;
  return typeof method === 'object' && method !== null && 'path' in method && 'requestDeserialize' in method;
}
