import type { ProducerRetryOptions } from '@idem/core';
import type { TcpCredentials } from './tcp-consumer-options.js';

/** Options of {@link createTcpProducer}. */
export interface TcpProducerOptions extends ProducerRetryOptions {
  /** The proxy's gRPC endpoint, `host:port` (one address). */
  readonly endpoints: string;
  /** RocketMQ namespace (instance id on ApsaraMQ). Default none. */
  readonly namespace?: string;
  readonly credentials?: TcpCredentials;
  /** TLS to the proxy. Default false. */
  readonly tls?: boolean;
  /**
   * Topics to look up at `start()`, which then fails fast (`BROKER_UNAVAILABLE`, or
   * `MESSAGE_REJECTED` for a topic that does not exist) instead of the first send retrying.
   * Other topics are looked up on their first send. Default none.
   */
  readonly topics?: readonly string[];
  /** gRPC deadline of one call to the proxy (the route lookup, the send). Default 3000 ms, at least 1000. */
  readonly requestTimeoutMs?: number;
  /** `start()` gives up after this long (the client can wait forever for settings). Default 15 s. */
  readonly startupTimeoutMs?: number;
}
