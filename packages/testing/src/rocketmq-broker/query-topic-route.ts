import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Client, credentials, Metadata, type ServiceError } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';

/** What the proxy answered to a QueryRoute. */
export interface TopicRouteAnswer {
  /** RocketMQ status code name, e.g. `OK`, `TOPIC_NOT_FOUND`; `UNAVAILABLE` when the call failed. */
  readonly code: string;
  readonly message: string;
  /** Ids of the message queues in the route. */
  readonly queueIds: readonly number[];
}

type QueryRouteMethod = MethodDefinition<object, unknown>;
let queryRouteMethod: QueryRouteMethod | undefined;

/**
 * Asks a proxy for a topic's route over gRPC, exactly as `rocketmq-client-nodejs` does first
 * thing on startup (same `.proto` files, same metadata). Never rejects: a transport error comes
 * back as code `UNAVAILABLE`, so callers can poll.
 */
export async function queryTopicRoute(
  endpoints: string,
  topic: string,
  timeoutMs = 3000,
): Promise<TopicRouteAnswer> {
  const method = loadQueryRouteMethod();
  const [host = '127.0.0.1', portText = '80'] = endpoints.split(':');
  const client = new Client(endpoints, credentials.createInsecure());
  const metadata = new Metadata();
  metadata.set('x-mq-protocol', 'v2');
  metadata.set('x-mq-client-id', `idem-readiness@${process.pid}`);
  metadata.set('x-mq-language', 'HTTP');
  metadata.set('x-mq-client-version', '1.0.8');
  const request = {
    topic: { name: topic, resourceNamespace: '' },
    endpoints: { scheme: 'IPv4', addresses: [{ host, port: Number(portText) }] },
  };
  try {
    return await new Promise<TopicRouteAnswer>((resolve) => {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        { deadline: Date.now() + timeoutMs },
        (error: ServiceError | null, response?: unknown) => {
          if (error !== null) resolve({ code: 'UNAVAILABLE', message: error.message, queueIds: [] });
          else resolve(readAnswer(response));
        },
      );
    });
  } finally {
    client.close();
  }
}

function readAnswer(response: unknown): TopicRouteAnswer {
  const record = asRecord(response);
  const status = asRecord(record.status);
  const queues = Array.isArray(record.messageQueues) ? record.messageQueues : [];
  return {
    code: typeof status.code === 'string' ? status.code : 'OK',
    message: typeof status.message === 'string' ? status.message : '',
    queueIds: queues.map((queue) => asRecord(queue).id).filter((id): id is number => typeof id === 'number'),
  };
}

function asRecord(value: unknown): Record<string, unknown> {
  return typeof value === 'object' && value !== null ? (value as Record<string, unknown>) : {};
}

function loadQueryRouteMethod(): QueryRouteMethod {
  if (queryRouteMethod !== undefined) return queryRouteMethod;
  const require = createRequire(import.meta.url);
  const protoDir = join(dirname(require.resolve('rocketmq-client-nodejs/package.json')), 'proto');
  const definition = loadSync('apache/rocketmq/v2/service.proto', {
    includeDirs: [protoDir],
    keepCase: false,
    longs: Number,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  const service = asRecord(definition['apache.rocketmq.v2.MessagingService']);
  const method = service.QueryRoute;
  if (typeof method !== 'object' || method === null || !('path' in method)) {
    throw new Error(`${protoDir} does not define apache.rocketmq.v2.MessagingService.QueryRoute`);
  }
  queryRouteMethod = method as QueryRouteMethod;
  return queryRouteMethod;
}
