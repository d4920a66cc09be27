import type { IdemError } from '../errors.js';
import type { ProducerMessage } from './outbound-message.js';

/** What became of one message given to {@link MessageProducer.send}. */
export type SendOutcome =
  | { readonly status: 'sent'; readonly messageId: string }
  /**
   * Not confirmed by the broker. `error.retryable` false: sending again cannot succeed without
   * someone changing something (the topic does not exist, the message is too large, the
   * credentials are refused); true: the broker could not be reached or did not confirm in time.
   */
  | { readonly status: 'failed'; readonly error: IdemError };

/** Options of one {@link MessageProducer.send} call. */
export interface SendOptions {
  /** Stops retrying (the outcome of a message not yet confirmed is then a retryable failure). */
  readonly signal?: AbortSignal;
}

/**
 * A broker producer the outbox delivers through; `@idem/rocketmq-tcp`'s `createTcpProducer` and
 * `@idem/rocketmq-http`'s `createHttpProducer` implement it, and it is usable alone as a reliable
 * producer.
 *
 * A message is reported `sent` only after the broker confirmed it. Transport failures are
 * retried with capped, jittered backoff through outages (at least 60 s) before `send` reports
 * them; any answer that is not a success is a failure, never a silent success.
 */
export interface MessageProducer {
  /** For logs: the transport and where it connects, never credentials. */
  readonly description: string;
  /** Connects; rejects with a coded error saying what is wrong when the broker cannot be used. */
  start(): Promise<void>;
  /**
   * Sends messages and resolves to one outcome per message, in the same order. Messages that
   * share a `messageGroup` are sent one at a time, in the order given; others may be sent
   * concurrently. Never rejects for a message's failure: that is its outcome.
   */
  send(messages: readonly ProducerMessage[], options?: SendOptions): Promise<SendOutcome[]>;
  /** Disconnects; leaves nothing running (no timer, no socket). */
  stop(): Promise<void>;
}
