import { createRetryingProducer, IdemError, type MessageProducer, silentLogger } from '@idem/core';
import { RocketMQTcpProducerTransport } from './rocketmq-tcp-producer-transport.js';
import type { TcpProducerOptions } from './tcp-producer-options.js';

/**
 * Creates a producer that reports a message `sent` only once the RocketMQ 5 proxy confirmed it,
 * and rides out broker restarts: transport failures are retried with capped, jittered backoff
 * for `retryForMs` (default 120 s), each attempt bounded; a refused message (unknown topic, too
 * large, credentials refused) is reported at once as `MESSAGE_REJECTED`. Messages of one
 * `messageGroup` are sent one at a time, in order. `stop()` leaves no timer or socket behind.
 *
 * @example
 * ```ts
 * import { createTcpProducer } from '@idem/rocketmq-tcp';
 *
 * const producer = createTcpProducer({ endpoints: '127.0.0.1:8081', topics: ['invoices'] });
 * await producer.start();
 * const [outcome] = await producer.send([
 *   { id: 'invoice-1', topic: 'invoices', tag: 'created', keys: ['invoice-1'], body: Buffer.from('{"id":1}'),
 *     properties: {}, messageGroup: undefined, deliverAt: undefined },
 * ]);
 * if (outcome?.status === 'failed') console.error(outcome.error.code, outcome.error.retryable);
 * await producer.stop();
 * ```
 */
export function createTcpProducer(options: TcpProducerOptions): MessageProducer {
  if (typeof options.endpoints !== 'string' || !/^[^\s;,]+$/.test(options.endpoints)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `endpoints must be one "host:port" of the RocketMQ proxy's gRPC port (e.g. "127.0.0.1:8081"), got ${JSON.stringify(options.endpoints)}`,
    );
  }
  const requestTimeoutMs = options.requestTimeoutMs ?? 3000;
  if (!(requestTimeoutMs >= 1000)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `requestTimeoutMs must be at least 1000, got ${requestTimeoutMs}`,
    );
  }
  const logger = options.logger ?? silentLogger;
  const { credentials } = options;
  const transport = new RocketMQTcpProducerTransport({
    endpoints: options.endpoints,
    namespace: options.namespace ?? '',
    credentials:
      credentials === undefined
        ? undefined
        : {
            accessKey: credentials.accessKey,
            accessSecret: credentials.accessSecret,
            ...(credentials.securityToken === undefined ? {} : { securityToken: credentials.securityToken }),
          },
    tls: options.tls ?? false,
    topics: options.topics ?? [],
    requestTimeoutMs,
    startupTimeoutMs: options.startupTimeoutMs ?? 15_000,
    logger,
  });
  // An attempt spans a route lookup and a send, each with the gRPC deadline.
  return createRetryingProducer(transport, {
    attemptTimeoutMs: 2 * requestTimeoutMs + 1000,
    ...options,
    logger,
  });
}
