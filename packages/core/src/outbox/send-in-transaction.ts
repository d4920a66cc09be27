import { sql, type Transaction } from 'kysely';
import { IdemError } from '../errors.js';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import type { IdemTables } from '../store/idem-tables.js';
import type { OutboundMessage } from './outbound-message.js';

/** Options of {@link sendInTransaction}. */
export interface SendInTransactionOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  /**
   * Derives the message key `<idempotencyKey>/<topic>/<sequence>` when the message names no
   * keys, so a re-run of the same business operation produces the same key downstream.
   */
  readonly idempotencyKey?: string;
  /** The send's position among the sends derived from `idempotencyKey`. Default 1. */
  readonly sequence?: number;
  /** Recorded on the row for operators; `ctx.send` sets the handler's consumer group. */
  readonly consumerGroup?: string;
}

/**
 * Stores `message` in Idem's outbox inside `trx`: it is sent if and only if `trx` commits, at
 * least once, by a relay (`createOutboxRelay`) or by the consumer that committed it.
 *
 * For code outside handlers (inside a handler, use `ctx.send`). The message needs a key for
 * downstream deduplication: give `keys`, or `idempotencyKey` to derive one.
 *
 * @example
 * ```ts
 * await db.transaction().execute(async (trx) => {
 *   await trx.insertInto('orders').values(order).execute();
 *   await sendInTransaction(trx, { topic: 'order-events', tag: 'created', body: order }, {
 *     idempotencyKey: `order-${order.id}`,
 *   });
 * });
 * ```
 */
export async function sendInTransaction<DB>(
  trx: Transaction<DB>,
  message: OutboundMessage,
  options: SendInTransactionOptions = {},
): Promise<void> {
  const keys = outboundKeys(message, options);
  await insertOutboxRow(trx, message, keys, options);
}

/**
 * Writes one outbox row. Senders to one message group take a transaction-scoped lock on the
 * group first: without it two transactions could commit in the opposite order of their row ids,
 * and the relay, which sends a group in id order, would break commit order.
 */
export async function insertOutboxRow<DB>(
  trx: Transaction<DB>,
  message: OutboundMessage,
  keys: readonly string[],
  options: Pick<SendInTransactionOptions, 'schema' | 'consumerGroup' | 'idempotencyKey'>,
): Promise<void> {
  if (!trx.isTransaction) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      'sendInTransaction needs a transaction (db.transaction().execute(trx => ...)); outside one the message could go out for work that rolled back',
    );
  }
  const schema = options.schema ?? DEFAULT_SCHEMA;
  assertSchemaName(schema);
  const row = outboxRow(message, keys, options);
  // Without the user's plugins: they must not rename the outbox's columns.
  const idem = (trx as unknown as Transaction<IdemTables>).withoutPlugins().withSchema(schema);
  if (row.message_group !== null) {
    await sql`select pg_advisory_xact_lock(hashtextextended(${`${schema}/outbox/${row.message_group}`}, 0))`.execute(
      idem,
    );
  }
  await idem.insertInto('outbox').values(row).execute();
}

function outboundKeys(message: OutboundMessage, options: SendInTransactionOptions): readonly string[] {
  if (message.keys !== undefined && message.keys.length > 0) return message.keys;
  if (options.idempotencyKey === undefined) {
    throw rejected(
      'an outbound message needs keys, or the idempotencyKey option to derive one, so a downstream consumer can skip re-sends',
    );
  }
  const sequence = options.sequence ?? 1;
  if (!Number.isInteger(sequence) || sequence < 1) {
    throw new IdemError('INVALID_CONFIGURATION', `option sequence must be an integer >= 1, got ${sequence}`);
  }
  return [derivedKey(options.idempotencyKey, message.topic, sequence)];
}

/** The key of the `sequence`th send (from 1) of a handler run keyed `idempotencyKey`. */
export function derivedKey(idempotencyKey: string, topic: string, sequence: number): string {
  return `${idempotencyKey}/${topic}/${sequence}`;
}

function outboxRow(
  message: OutboundMessage,
  keys: readonly string[],
  options: Pick<SendInTransactionOptions, 'consumerGroup' | 'idempotencyKey'>,
) {
  if (typeof message.topic !== 'string' || message.topic === '')
    throw rejected('topic must be a non-empty string');
  const texts = [message.topic, message.tag, message.messageGroup, ...keys];
  for (const [name, value] of Object.entries(message.properties ?? {})) texts.push(name, value);
  // Postgres refuses NUL in text: say which message is at fault instead of a SQLSTATE.
  if (texts.some((text) => text?.includes('\u0000'))) {
    throw rejected(
      `the message to ${message.topic} has a NUL character in its topic, tag, keys, group or properties`,
    );
  }
  if (message.deliverAt !== undefined && Number.isNaN(message.deliverAt.getTime())) {
    throw rejected('deliverAt is an invalid date');
  }
  return {
    consumer_group: options.consumerGroup ?? null,
    source_key: options.idempotencyKey ?? null,
    topic: message.topic,
    tag: message.tag ?? null,
    keys: [...keys],
    body: encodeBody(message.body),
    properties: JSON.stringify(message.properties ?? {}),
    message_group: message.messageGroup ?? null,
    deliver_at: message.deliverAt ?? null,
    last_error: null,
    message_id: null,
    sent_at: null,
  };
}

function encodeBody(body: unknown): Buffer {
  if (Buffer.isBuffer(body)) return body;
  if (typeof body === 'string') return Buffer.from(body, 'utf8');
  const json = JSON.stringify(body);
  if (json === undefined) throw rejected('the body is not a Buffer, a string or a JSON value');
  return Buffer.from(json, 'utf8');
}

function rejected(message: string): IdemError {
  return new IdemError('MESSAGE_REJECTED', message, { retryable: false });
}
