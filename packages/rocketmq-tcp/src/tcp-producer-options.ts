import type { ProducerRetryOptions } from '@idem/core/adapter';
import type { TcpConnectionOptions } from './tcp-connection-options.js';

/** Options of {@link createTcpProducer}: the retries' and the gRPC connection's. */
export interface TcpProducerOptions extends ProducerRetryOptions, TcpConnectionOptions {
  /**
   * Topics to look up at `start()`, which then fails fast (`BROKER_UNAVAILABLE`, or
   * `MESSAGE_REJECTED` for a topic that does not exist) instead of the first send retrying.
   * Other topics are looked up on their first send. Default none.
   */
  readonly topics?: readonly string[];
  /** gRPC deadline of one call to the proxy (the route lookup, the send). Default 3000 ms, at least 1000. */
  readonly requestTimeoutMs?: number;
}
