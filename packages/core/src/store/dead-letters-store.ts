import { sql, type Transaction } from 'kysely';
import type { IdemError } from '../errors.js';
import type { InboundMessage } from '../message.js';
import type { IdemTables } from './idem-tables.js';

/** One message to dead-letter, with why. */
export interface DeadLetterEntry {
  readonly consumerGroup: string;
  readonly idempotencyKey: string;
  readonly message: InboundMessage;
  readonly handler: string | undefined;
  readonly error: IdemError;
}

/**
 * Stores a message that cannot succeed, with its body, headers and reason. A message that is
 * dead-lettered again while its dead letter is still open (a redelivery of a poison message)
 * updates that row and counts the occurrence instead of adding rows.
 */
export async function recordDeadLetter(trx: Transaction<IdemTables>, entry: DeadLetterEntry): Promise<void> {
  const { message, error } = entry;
  await trx
    .insertInto('dead_letters')
    .values({
      consumer_group: entry.consumerGroup,
      idempotency_key: entry.idempotencyKey,
      message_id: message.messageId,
      topic: message.topic,
      tag: message.tag ?? '',
      keys: [...message.keys],
      properties: JSON.stringify(message.properties),
      body: message.body,
      message_group: message.messageGroup ?? null,
      transport: message.transport,
      born_at: message.bornAt ?? null,
      delivery_attempt: message.deliveryAttempt,
      handler: entry.handler ?? null,
      reason: error.code,
      error_message: error.message,
      resolved_at: null,
      resolution: null,
    })
    .onConflict((conflict) =>
      conflict
        .columns(['consumer_group', 'idempotency_key'])
        .where('resolved_at', 'is', null)
        .doUpdateSet((eb) => ({
          occurrences: sql<number>`${eb.ref('dead_letters.occurrences')} + 1`,
          last_dead_lettered_at: sql<Date>`now()`,
          message_id: eb.ref('excluded.message_id'),
          body: eb.ref('excluded.body'),
          delivery_attempt: eb.ref('excluded.delivery_attempt'),
          reason: eb.ref('excluded.reason'),
          error_message: eb.ref('excluded.error_message'),
        })),
    )
    .execute();
}
