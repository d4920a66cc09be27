import { sql, type Transaction } from 'kysely';
import type { IdemError } from '../errors.js';
import type { InboundMessage } from '../message.js';
import { toStorableKey } from '../storable-key.js';
import { isStorableText, toStorableText } from '../storable-text.js';
import type { IdemTables } from '../store/idem-tables.js';

const MAX_INT4 = 2 ** 31 - 1;

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
 *
 * Hostile headers cannot make this insert fail too: each text column holds the header's safe
 * form (`toStorableText`; `idempotencyKey` is already stored-form), and when any header had to
 * be altered the exact headers are kept as JSON in `original_headers` (JSON escapes NUL and lone
 * surrogates, so the JSON text itself is storable), from which a replay rebuilds the message.
 */
export async function recordDeadLetter(trx: Transaction<IdemTables>, entry: DeadLetterEntry): Promise<void> {
  const { message, error } = entry;
  const properties = Object.fromEntries(
    Object.entries(message.properties).map(([name, value]) => [toStorableText(name), toStorableText(value)]),
  );
  await trx
    .insertInto('dead_letters')
    .values({
      consumer_group: entry.consumerGroup,
      idempotency_key: entry.idempotencyKey,
      message_id: toStorableText(message.messageId),
      topic: toStorableText(message.topic),
      tag: toStorableText(message.tag ?? ''),
      keys: message.keys.map(toStorableText),
      properties: JSON.stringify(properties),
      body: message.body,
      // Stored as quarantined_groups stores it, so the two join.
      message_group: message.messageGroup === undefined ? null : toStorableKey(message.messageGroup).key,
      transport: toStorableText(message.transport),
      born_at: storableDate(message.bornAt),
      // An integer column: an absurd attempt count from a transport must not refuse the record.
      delivery_attempt: Math.min(Math.max(Math.trunc(message.deliveryAttempt) || 0, 0), MAX_INT4),
      handler: entry.handler ?? null,
      reason: error.code,
      error_message: toStorableText(error.message),
      original_headers: originalHeaders(message),
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
          original_headers: eb.ref('excluded.original_headers'),
        })),
    )
    .execute();
}

/** `date` when timestamptz can hold it; an invalid or far-BC date is dropped, not refused. */
function storableDate(date: Date | undefined): Date | null {
  if (date === undefined || !Number.isFinite(date.getTime())) return null;
  return date.getUTCFullYear() > -4700 ? date : null;
}

/** The exact headers of `message` as JSON when a stored column cannot hold one of them as is. */
export function originalHeaders(message: InboundMessage): string | null {
  const texts = [
    message.messageId,
    message.topic,
    message.tag ?? '',
    message.messageGroup ?? '',
    message.transport,
    ...message.keys,
    ...Object.entries(message.properties).flat(),
  ];
  if (texts.every(isStorableText)) return null;
  const { topic, tag, keys, messageId, properties, messageGroup } = message;
  return JSON.stringify({ topic, tag, keys, messageId, properties, messageGroup } satisfies StoredHeaders);
}

/** The headers kept in `original_headers`. */
export interface StoredHeaders {
  readonly topic: string;
  readonly tag: string | undefined;
  readonly keys: readonly string[];
  readonly messageId: string;
  readonly properties: Readonly<Record<string, string>>;
  readonly messageGroup: string | undefined;
}
