import type { IdemConsumer } from '@idem/core';
import { createConsumer } from '@idem/core/adapter';
import type { HttpConsumerOptions } from './http-consumer-options.js';
import { checkResourceNames, resolveHttpConsumerOptions } from './resolve-http-consumer-options.js';
import { MAX_MESSAGES_PER_REQUEST, RocketMQHttpSource } from './rocketmq-http-source.js';

/**
 * An Idem consumer on ApsaraMQ for RocketMQ's HTTP API.
 *
 * @deprecated Use `IdemConsumer` of `@idem/core`: every transport's consumer is one. Removed in
 * the next minor version.
 */
export type HttpConsumer = IdemConsumer;

/**
 * Creates a consumer that receives from ApsaraMQ for RocketMQ over its HTTP API and gives the
 * decorated handlers exactly-once effects on Postgres: acks only after commit, skips
 * redeliveries, pauses while Postgres is down, and rides out broker upgrades (refused, reset,
 * 5xx or hanging requests) with capped, jittered retries and two log lines per outage, though
 * the SDK itself retries nothing. `start()` checks the endpoint with one short consume per topic
 * and rejects with `INVALID_CONFIGURATION` (credentials refused, topic or group missing) or
 * `BROKER_UNAVAILABLE` (endpoint unreachable); `stop()` cuts off the long poll in flight.
 *
 * @example
 * ```ts
 * const consumer = createHttpConsumer({
 *   endpoint: 'http://1234567890.mqrest.cn-hangzhou.aliyuncs.com',
 *   accessKeyId: process.env.MQ_ACCESS_KEY_ID!,
 *   accessKeySecret: process.env.MQ_ACCESS_KEY_SECRET!,
 *   namespace: 'MQ_INST_1234567890_BXYZ',
 *   consumerGroup: 'GID_billing',
 *   db,
 *   handlers: [new InvoiceHandlers()],
 * });
 * await consumer.start(); // on SIGTERM: await consumer.stop(), then db.destroy()
 * ```
 */
export function createHttpConsumer<DB>(options: HttpConsumerOptions<DB>): IdemConsumer {
  const resolved = resolveHttpConsumerOptions(options);
  return createConsumer({
    ...options,
    // The SDK's errors can carry request details: createConsumer keeps them out of the user's log.
    secrets: resolved.secrets,
    maxBatchSize: MAX_MESSAGES_PER_REQUEST,
    source(processor, logger) {
      checkResourceNames(processor);
      const { consumerGroup, subscriptions } = processor;
      return new RocketMQHttpSource({ ...resolved, consumerGroup, subscriptions, logger });
    },
  });
}
