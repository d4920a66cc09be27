import {
  type ConsumerHealth,
  consumerOutboxOption,
  createConsumerRuntime,
  createProcessor,
  type Processor,
  silentLogger,
} from '@idem/core';
import type { HttpConsumerOptions } from './http-consumer-options.js';
import { checkResourceNames, resolveHttpConsumerOptions } from './resolve-http-consumer-options.js';
import { RocketMQHttpSource } from './rocketmq-http-source.js';

/** An Idem consumer on ApsaraMQ for RocketMQ's HTTP API. */
export interface HttpConsumer {
  /** The processor the consumer dispatches through (its consumer group, subscriptions). */
  readonly processor: Processor;
  /**
   * Checks Postgres and Idem's schema version, then the endpoint with one short consume per
   * topic, and starts consuming. Rejects with `SCHEMA_NOT_MIGRATED` (run `idem migrate`),
   * `DATABASE_UNAVAILABLE` (under `onDatabaseUnavailableAtStart: 'fail'`; by default it waits
   * for Postgres), `INVALID_CONFIGURATION` (credentials refused, topic or group missing) or
   * `BROKER_UNAVAILABLE` (endpoint unreachable), saying what is wrong.
   */
  start(): Promise<void>;
  /**
   * Stops receiving (the long poll in flight is cut off), finishes and acks in-flight messages
   * within `shutdownTimeoutMs`, and closes every connection so the process can exit.
   */
  stop(): Promise<void>;
  health(): ConsumerHealth;
}

/**
 * Creates a consumer that receives from ApsaraMQ for RocketMQ over its HTTP API and gives the
 * decorated handlers exactly-once effects on Postgres: acks only after commit, skips
 * redeliveries, pauses while Postgres is down, and rides out broker upgrades (refused, reset,
 * 5xx or hanging requests) with capped, jittered retries and two log lines per outage, though
 * the SDK itself retries nothing.
 *
 * @example
 * ```ts
 * const consumer = createHttpConsumer({
 *   endpoint: 'http://1234567890.mqrest.cn-hangzhou.aliyuncs.com',
 *   accessKeyId: process.env.MQ_ACCESS_KEY_ID!,
 *   accessKeySecret: process.env.MQ_ACCESS_KEY_SECRET!,
 *   instanceId: 'MQ_INST_1234567890_BXYZ',
 *   consumerGroup: 'GID_billing',
 *   db,
 *   handlers: [new InvoiceHandlers()],
 * });
 * await consumer.start();
 * // On SIGTERM, stop the consumer first, then close the database.
 * async function shutdown(): Promise<void> {
 *   await consumer.stop(); // stops receiving, finishes and acks in-flight messages, disconnects
 *   await db.destroy(); // closes the pool: its idle connections would hold the process ~10 s more
 * }
 * process.once('SIGTERM', () => void shutdown());
 * ```
 */
export function createHttpConsumer<DB>(options: HttpConsumerOptions<DB>): HttpConsumer {
  const resolved = resolveHttpConsumerOptions(options);
  const logger = options.logger ?? silentLogger;
  const processor = createProcessor(options);
  checkResourceNames(processor);
  const source = new RocketMQHttpSource({
    endpoint: resolved.endpoint,
    accessKeyId: options.accessKeyId,
    accessKeySecret: options.accessKeySecret,
    securityToken: options.securityToken,
    instanceId: resolved.instanceId,
    consumerGroup: processor.consumerGroup,
    subscriptions: processor.subscriptions,
    ordered: resolved.ordered,
    waitSeconds: resolved.waitSeconds,
    logger,
  });
  const runtime = createConsumerRuntime({
    source,
    processor,
    logger,
    // One receiver per topic: each consume long-polls one topic.
    receivers: Math.max(1, processor.subscriptions.length),
    mode: resolved.mode,
    ...(resolved.batchSize === undefined ? {} : { batchSize: resolved.batchSize }),
    ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency }),
    ...(options.shutdownTimeoutMs === undefined ? {} : { shutdownTimeoutMs: options.shutdownTimeoutMs }),
    ...(resolved.onDatabaseUnavailableAtStart === undefined
      ? {}
      : { onDatabaseUnavailableAtStart: resolved.onDatabaseUnavailableAtStart }),
    ...(options.onEvent === undefined ? {} : { onEvent: options.onEvent }),
    ...consumerOutboxOption(options, processor, logger),
  });
  return {
    processor,
    start: () => runtime.start(),
    stop: () => runtime.stop(),
    health: () => runtime.health(),
  };
}
