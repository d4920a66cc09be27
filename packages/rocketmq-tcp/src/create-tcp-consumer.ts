import {
  type ConsumerHealth,
  consumerOutboxOption,
  createConsumerRuntime,
  createProcessor,
  IdemError,
  type Processor,
  silentLogger,
} from '@idem/core';
import { RocketMQTcpSource } from './rocketmq-tcp-source.js';
import type { TcpConsumerOptions } from './tcp-consumer-options.js';

/** An Idem consumer on a RocketMQ 5 proxy. */
export interface TcpConsumer {
  /** The processor the consumer dispatches through (its consumer group, subscriptions). */
  readonly processor: Processor;
  /**
   * Checks Postgres and Idem's schema version, connects and starts consuming; rejects with
   * `SCHEMA_NOT_MIGRATED`, `DATABASE_UNAVAILABLE` (under `onDatabaseUnavailableAtStart: 'fail'`;
   * by default it waits for Postgres) or `BROKER_UNAVAILABLE`, saying what is wrong.
   */
  start(): Promise<void>;
  /** Stops receiving, finishes and acks in-flight messages, disconnects; bounded by `shutdownTimeoutMs`. */
  stop(): Promise<void>;
  health(): ConsumerHealth;
}

/**
 * Creates a consumer that receives from a RocketMQ 5 proxy over gRPC and gives the decorated
 * handlers exactly-once effects on Postgres: acks only after commit, skips redeliveries, extends
 * the invisibility of slow handlers, pauses while Postgres is down, rides out broker restarts.
 *
 * @example
 * ```ts
 * const consumer = createTcpConsumer({ endpoints: '127.0.0.1:8081', consumerGroup: 'billing', db, handlers: [new InvoiceHandlers()] });
 * await consumer.start();
 * // On SIGTERM, stop the consumer first, then close the database.
 * async function shutdown(): Promise<void> {
 *   await consumer.stop(); // stops receiving, finishes and acks in-flight messages, disconnects
 *   await db.destroy(); // closes the pool: its idle connections would hold the process ~10 s more
 * }
 * process.once('SIGTERM', () => void shutdown());
 * ```
 */
export function createTcpConsumer<DB>(options: TcpConsumerOptions<DB>): TcpConsumer {
  if (typeof options.endpoints !== 'string' || !/^[^\s;,]+$/.test(options.endpoints)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `endpoints must be one "host:port" of the RocketMQ proxy's gRPC port (e.g. "127.0.0.1:8081"), got ${JSON.stringify(options.endpoints)}`,
    );
  }
  const invisibleDurationMs = options.invisibleDurationMs ?? 30_000;
  const logger = options.logger ?? silentLogger;
  const processor = createProcessor(options);
  const source = new RocketMQTcpSource({
    endpoints: options.endpoints,
    consumerGroup: processor.consumerGroup,
    namespace: options.namespace ?? '',
    subscriptions: processor.subscriptions,
    credentials:
      options.credentials === undefined
        ? undefined
        : {
            accessKey: options.credentials.accessKey,
            accessSecret: options.credentials.accessSecret,
            ...(options.credentials.securityToken === undefined
              ? {}
              : { securityToken: options.credentials.securityToken }),
          },
    tls: options.tls ?? false,
    invisibleDurationMs,
    longPollingTimeoutMs: options.longPollingTimeoutMs ?? 10_000,
    requestTimeoutMs: options.requestTimeoutMs ?? 3000,
    startupTimeoutMs: options.startupTimeoutMs ?? 15_000,
    logger,
  });
  const runtime = createConsumerRuntime({
    source,
    processor,
    logger,
    // One receiver per topic: the client long-polls one topic per receive call.
    receivers: Math.max(1, processor.subscriptions.length),
    ...pick(options, [
      'concurrency',
      'batchSize',
      'mode',
      'retryDelayMs',
      'shutdownTimeoutMs',
      'onDatabaseUnavailableAtStart',
      'onEvent',
    ]),
    ...consumerOutboxOption(options, processor, logger),
  });
  return {
    processor,
    start: () => runtime.start(),
    stop: () => runtime.stop(),
    health: () => runtime.health(),
  };
}

function pick<T extends object, K extends keyof T>(object: T, keys: readonly K[]): Partial<Pick<T, K>> {
  const picked: Partial<Pick<T, K>> = {};
  for (const key of keys) if (object[key] !== undefined) picked[key] = object[key];
  return picked;
}
