import type { IdemConsumer } from '@idem/core';
import { createConsumer } from '@idem/core/adapter';
import { RocketMQTcpSource } from './rocketmq-tcp-source.js';
import { resolveTcpConnection } from './tcp-connection-options.js';
import type { TcpConsumerOptions } from './tcp-consumer-options.js';

/**
 * An Idem consumer on a RocketMQ 5 proxy.
 *
 * @deprecated Use `IdemConsumer` of `@idem/core`: every transport's consumer is one. Removed in
 * the next minor version.
 */
export type TcpConsumer = IdemConsumer;

/**
 * Creates a consumer that receives from a RocketMQ 5 proxy over gRPC and gives the decorated
 * handlers exactly-once effects on Postgres: acks only after commit, skips redeliveries, extends
 * the invisibility of slow handlers, pauses while Postgres is down, rides out broker restarts.
 *
 * @example
 * ```ts
 * const consumer = createTcpConsumer({ endpoint: '127.0.0.1:8081', consumerGroup: 'billing', db, handlers: [new InvoiceHandlers()] });
 * await consumer.start();
 * // On SIGTERM, stop the consumer first, then close the database.
 * async function shutdown(): Promise<void> {
 *   await consumer.stop(); // stops receiving, finishes and acks in-flight messages, disconnects
 *   await db.destroy(); // closes the pool: its idle connections would hold the process ~10 s more
 * }
 * process.once('SIGTERM', () => void shutdown());
 * ```
 */
export function createTcpConsumer<DB>(options: TcpConsumerOptions<DB>): IdemConsumer {
  const connection = resolveTcpConnection(options);
  const timing = {
    invisibleDurationMs: options.invisibleDurationMs ?? 30_000,
    longPollingTimeoutMs: options.longPollingTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 3000,
  };
  // The client logs its settings and errors: createConsumer keeps the secret out of the user's log.
  return createConsumer({
    ...options,
    secrets: connection.secrets,
    source: ({ consumerGroup, subscriptions }, logger) =>
      new RocketMQTcpSource({ ...connection, ...timing, consumerGroup, subscriptions, logger }),
  });
}
