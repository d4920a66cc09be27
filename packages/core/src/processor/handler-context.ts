import type { Transaction } from 'kysely';
import type { InboundMessage } from '../message.js';
import type { OutboundMessage } from '../outbox/outbound-message.js';

/**
 * What a handler method receives beside the decoded body.
 *
 * Writes made through `trx` commit atomically with the message's idempotency key: they happen
 * exactly once however often the message is delivered. Effects outside the transaction (HTTP
 * calls, e-mails) are not covered; pass `idempotencyKey` to such services as their own
 * idempotency key.
 *
 * @typeParam DB - your kysely database interface, so `ctx.trx` is typed like your `Kysely<DB>`.
 */
export interface HandlerContext<DB = unknown> {
  /** The transaction that also holds the idempotency key; use it for every write. */
  readonly trx: Transaction<DB>;
  readonly message: InboundMessage;
  readonly idempotencyKey: string;
  /** The delivery attempt (1 on the first delivery). */
  readonly attempt: number;
  readonly consumerGroup: string;
  /**
   * Sends a message if and only if this delivery's transaction commits: it is stored in Idem's
   * outbox within `trx` and delivered at least once after the commit. A duplicate delivery does
   * not run the handler, so it sends nothing again. Without `keys`, the message is keyed
   * `<consumerGroup>/<idempotencyKey>/<topic>/<n>` (n: this send's position in the handler run,
   * from 1), the same on every redelivery, so an Idem consumer downstream skips re-sends, and
   * different for each consumer group that sends for the same incoming key.
   */
  send(message: OutboundMessage): Promise<void>;
}
