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

/**
 * One message of a batch handler's call (`@Subscribe({ ..., batch: true })`): its decoded body,
 * the delivery and the idempotency key Idem claimed for it.
 *
 * @typeParam Body - the decoded body, as the subscription's `schema` or `decode` yields it.
 */
export interface BatchMessage<Body = unknown> {
  readonly body: Body;
  readonly message: InboundMessage;
  readonly idempotencyKey: string;
  /**
   * Sends a message on behalf of this message, if and only if the batch's transaction commits:
   * without `keys` it is keyed `<consumerGroup>/<idempotencyKey>/<topic>/<n>`, n counting this
   * message's own sends from 1, exactly as `ctx.send` keys it for a handler of one message. So the
   * keys do not depend on which other messages shared the call, and stay the same when a failed
   * batch is retried one message at a time, as long as the handler sends for each message in the
   * same order.
   */
  send(message: OutboundMessage): Promise<void>;
}

/**
 * What a batch handler receives beside its messages: the one transaction that also holds every
 * message's idempotency key. Writes through `trx` commit atomically with all of the keys.
 *
 * @typeParam DB - your kysely database interface, so `ctx.trx` is typed like your `Kysely<DB>`.
 */
export interface BatchHandlerContext<DB = unknown> {
  /** The transaction that also holds the messages' idempotency keys; use it for every write. */
  readonly trx: Transaction<DB>;
  readonly consumerGroup: string;
}
