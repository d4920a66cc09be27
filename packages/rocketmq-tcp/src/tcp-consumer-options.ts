import type { IdemConsumerOptions } from '@idem/core';
import type { TcpConnectionOptions } from './tcp-connection-options.js';

/**
 * Options of {@link createTcpConsumer}: every Idem consumer's options (`@idem/core`'s
 * `IdemConsumerOptions`: database, handlers, policies, concurrency, mode, shutdown, producer...)
 * and the gRPC connection's.
 */
export interface TcpConsumerOptions<DB = unknown> extends IdemConsumerOptions<DB>, TcpConnectionOptions {
  /** The consumer group: the broker's subscription group and Idem's idempotency scope. */
  readonly consumerGroup: string;
  /**
   * How long a received message stays invisible to other consumers; extended while its handler
   * runs. Default 30 s. The Apache proxy rejects less than 10 s.
   */
  readonly invisibleDurationMs?: number;
  /** Long-poll duration of one receive. Default 10 s (the proxy clamps it to 5–20 s). */
  readonly longPollingTimeoutMs?: number;
  /** Deadline of one unary call to the proxy. Default 3 s. */
  readonly requestTimeoutMs?: number;
}
