import type { ProducerMessage } from './outbound-message.js';

/**
 * One broker connection as {@link createRetryingProducer} drives it: a single attempt at a single
 * message, no retries of its own. The adapters (`@idem/rocketmq-tcp`, `@idem/rocketmq-http`)
 * implement it; retries, timeouts, ordering and outage logs live in one place, the retrying
 * producer, so the two transports cannot drift.
 */
export interface ProducerTransport {
  /** For logs: the transport and where it connects, never credentials. */
  readonly description: string;
  /** Connects; rejects with a coded error saying what is wrong when the broker cannot be used. */
  start(): Promise<void>;
  /**
   * Sends `message` once and resolves to the broker's message id once the broker confirmed it.
   * Rejects with an `IdemError` `MESSAGE_REJECTED` (`retryable: false`) when the broker refused
   * the message itself; any other rejection is retried. `signal` aborts when the attempt timed
   * out or the producer stops: cancel the request if the client can.
   */
  sendOnce(message: ProducerMessage, signal: AbortSignal): Promise<string>;
  /** Disconnects; leaves nothing running (no timer, no socket). */
  stop(): Promise<void>;
}
