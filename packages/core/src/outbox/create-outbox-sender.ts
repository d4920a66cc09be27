import type { Transaction } from 'kysely';
import type { OutboundMessage } from './outbound-message.js';
import { derivedKey, insertOutboxRow } from './send-in-transaction.js';

/** Where a handler's sends belong: its transaction, Idem's schema, the incoming key. */
export interface OutboxSenderScope {
  readonly schema: string;
  readonly consumerGroup: string;
  readonly idempotencyKey: string;
}

/**
 * Builds `ctx.send` for one handler run. Positions are taken when `send` is called, not when its
 * insert finishes, so the derived keys depend only on the order of the handler's calls and are
 * the same on every redelivery.
 */
export function createOutboxSender<DB>(
  trx: Transaction<DB>,
  scope: OutboxSenderScope,
): (message: OutboundMessage) => Promise<void> {
  let sends = 0;
  return async (message) => {
    sends += 1;
    const keys =
      message.keys !== undefined && message.keys.length > 0
        ? message.keys
        : [derivedKey(scope.idempotencyKey, message.topic, sends)];
    await insertOutboxRow(trx, message, keys, scope);
  };
}
