import { createRedactingLogger, type MessageProducer, silentLogger } from '@idem/core';
import { createRetryingProducer } from '@idem/core/adapter';
import { redactor } from './classify-sdk-error.js';
import { resolveHttpConnection } from './http-connection-options.js';
import type { HttpProducerOptions } from './http-producer-options.js';
import { RocketMQHttpProducerTransport } from './rocketmq-http-producer-transport.js';

/**
 * Creates a producer that reports a message `sent` only once ApsaraMQ's HTTP API answered 201
 * with its MessageId, and rides out broker upgrades: refused and reset connections, timeouts and
 * 5xx answers (an HTML error page included, which the SDK would resolve as a success-looking
 * `{ code: 503 }`) are retried with capped, jittered backoff for `retryForMs` (default 120 s),
 * each attempt bounded by `attemptTimeoutMs` (default 5 s); a refused message (unknown topic,
 * credentials or signature refused, a body the API cannot carry) is reported at once as
 * `MESSAGE_REJECTED`. Bodies must be UTF-8 text: the API carries them as XML. Messages of one
 * `messageGroup` (the sharding key) are sent one at a time, in order. A retried publish can store
 * a second copy (the API has no client-set id): downstream consumers dedupe by key.
 *
 * @example
 * ```ts
 * import { createHttpProducer } from '@idem/rocketmq-http';
 *
 * const producer = createHttpProducer({
 *   endpoint: 'http://1234567890.mqrest.cn-hangzhou.aliyuncs.com',
 *   accessKeyId: process.env.MQ_ACCESS_KEY_ID ?? '',
 *   accessKeySecret: process.env.MQ_ACCESS_KEY_SECRET ?? '',
 *   namespace: 'MQ_INST_123',
 * });
 * await producer.start(); // then send() and stop() as with every MessageProducer (see docs/outbox.md)
 * ```
 */
export function createHttpProducer(options: HttpProducerOptions): MessageProducer {
  const connection = resolveHttpConnection(options);
  const attemptTimeoutMs = options.attemptTimeoutMs ?? 5000;
  const transport = new RocketMQHttpProducerTransport({
    ...connection,
    // The SDK's own timeout ends a hung request (and its socket) just before Idem gives up on it.
    publishTimeoutMs: attemptTimeoutMs,
    maxBodyBytes: options.maxBodyBytes ?? 4 * 1024 * 1024,
    redact: redactor([options.accessKeySecret, options.securityToken]),
  });
  return createRetryingProducer(transport, {
    ...options,
    attemptTimeoutMs: attemptTimeoutMs + 1000,
    logger: createRedactingLogger(options.logger ?? silentLogger, connection.secrets),
  });
}
