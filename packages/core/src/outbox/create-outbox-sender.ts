import type { Transaction } from 'kysely';
import type { OutboundMessage } from './outbound-message.js';
import { insertOutboxRow } from './send-in-transaction.js';

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
        : [handlerSendKey(scope, message.topic, sends)];
    await insertOutboxRow(trx, message, keys, scope);
  };
}

/**
 * The key of a handler's `sequence`th send (from 1) without `keys`:
 * `<consumerGroup>/<incomingKey>/<topic>/<sequence>`. The group is part of it because each group
 * processes the same incoming message once: two groups sending to one topic for the same incoming
 * key are two different messages, and a downstream Idem consumer must not skip the second.
 */
export function handlerSendKey(
  scope: Pick<OutboxSenderScope, 'consumerGroup' | 'idempotencyKey'>,
  topic: string,
  sequence: number,
): string {
  return `${scope.consumerGroup}/${scope.idempotencyKey}/${topic}/${sequence}`;
}
