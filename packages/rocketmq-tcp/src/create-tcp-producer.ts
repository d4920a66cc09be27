import { createRedactingLogger, IdemError, type MessageProducer, silentLogger } from '@idem/core';
import { createRetryingProducer } from '@idem/core/adapter';
import { RocketMQTcpProducerTransport } from './rocketmq-tcp-producer-transport.js';
import { resolveTcpConnection } from './tcp-connection-options.js';
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
 * const producer = createTcpProducer({ endpoint: '127.0.0.1:8081', topics: ['invoices'] });
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
  const connection = resolveTcpConnection(options);
  const requestTimeoutMs = producerRequestTimeoutMs(options.requestTimeoutMs);
  const logger = createRedactingLogger(options.logger ?? silentLogger, connection.secrets);
  const topics = options.topics ?? [];
  // An attempt spans a route lookup and a send, each with the gRPC deadline.
  const attempt = { attemptTimeoutMs: 2 * requestTimeoutMs + 1000 };
  return createRetryingProducer(
    new RocketMQTcpProducerTransport({ ...connection, topics, requestTimeoutMs, logger }),
    { ...attempt, ...options, logger },
  );
}

function producerRequestTimeoutMs(value = 3000): number {
  if (value >= 1000) return value;
  throw new IdemError('INVALID_CONFIGURATION', `requestTimeoutMs must be at least 1000, got ${value}`);
}
