import type { InboundMessage } from '../message.js';

/** One delivery from a broker: the message and the transport's handle to settle it. */
export interface ReceivedMessage<Receipt> {
  readonly message: InboundMessage;
  /** Handle to ack, retry or extend this delivery (a RocketMQ receipt handle). */
  readonly receipt: Receipt;
}

/**
 * What an adapter implements so the consumer runtime can drive a broker: receive, acknowledge,
 * ask for redelivery, extend a delivery's invisibility, close. The runtime owns everything else
 * (dispatch, ordering, concurrency, pausing, retries, logging, shutdown), so every transport
 * behaves the same way.
 */
export interface MessageSource<Receipt> {
  /** For logs: the transport and where it connects, never credentials. */
  readonly description: string;
  /**
   * How long a delivery stays invisible to other consumers unless extended; the runtime extends
   * a delivery that is still being handled well before this runs out. `undefined`: the
   * transport cannot extend (no {@link MessageSource.extendLease}).
   */
  readonly leaseMs: number | undefined;
  /** Connects. Rejects with a coded error saying what is wrong when the broker cannot be used. */
  start(): Promise<void>;
  /**
   * Waits for up to `max` messages (a long poll); resolves `[]` when none came in time or the
   * signal aborted. Rejects when the broker cannot be reached.
   */
  receive(max: number, signal: AbortSignal): Promise<ReceivedMessage<Receipt>[]>;
  /**
   * Acknowledges deliveries. Resolves when the broker confirmed, or when a receipt was no longer
   * valid (the broker redelivers that message, and the duplicate is skipped). Rejects when the
   * outcome is unknown (network failure); the runtime retries.
   */
  ack(receipts: readonly Receipt[]): Promise<void>;
  /** Asks for redelivery after `delayMs`. Without it, redelivery follows the invisible time. */
  retryLater?(receipt: Receipt, delayMs: number): Promise<void>;
  /** Keeps the delivery invisible `ms` longer; resolves to the receipt to use from then on. */
  extendLease?(receipt: Receipt, ms: number): Promise<Receipt>;
  /** Disconnects. */
  close(): Promise<void>;
}
