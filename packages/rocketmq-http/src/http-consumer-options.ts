import type { IdemConsumerOptions } from '@idem/core';
import type { HttpConnectionOptions } from './http-connection-options.js';

/**
 * Options of {@link createHttpConsumer}: every Idem consumer's options (`@idem/core`'s
 * `IdemConsumerOptions`: database, handlers, policies, concurrency, mode, shutdown, producer...)
 * and the HTTP connection's. `batchSize` is at most 16, the service's limit per consume.
 */
export interface HttpConsumerOptions<DB = unknown> extends IdemConsumerOptions<DB>, HttpConnectionOptions {
  /** The group id (`GID_...`): the service's consumer group and Idem's idempotency scope. */
  readonly consumerGroup: string;
  /**
   * Consume with the ordered API (`trans=order`): messages of one sharding key arrive, and are
   * handled, one after another in publish order. Default false.
   */
  readonly ordered?: boolean;
  /**
   * How long one consume waits for messages (long poll), 1000 to 30000 ms, rounded up to whole
   * seconds (the API counts seconds). Default 5000: `stop()` does not wait for it, and a
   * connection that died silently is noticed within this plus 2 s (so within 7 s by default;
   * `health()` reports it a second later).
   */
  readonly longPollingTimeoutMs?: number;
  /**
   * @deprecated Use `longPollingTimeoutMs` (milliseconds, as every other duration). Removed in
   * the next minor version.
   */
  readonly waitSeconds?: number;
}
