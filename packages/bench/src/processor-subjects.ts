import { createHash } from 'node:crypto';
import {
  type BatchHandlerContext,
  type BatchMessage,
  type BatchStrategy,
  Consumer,
  createProcessor,
  type InboundMessage,
  Subscribe,
} from '@idem/core';
import type { Kysely } from 'kysely';
import type pg from 'pg';
import { type BenchDatabase, type BenchOrder, INSERT_EFFECT } from './bench-database.js';
import { BENCH_TAG, createEffectHandlers } from './effect-handlers.js';

/** The topic of every processor-alone message; no broker is involved. */
export const PROCESSOR_TOPIC = 'bench-processor';
const CONSUMER_GROUP = 'bench-processor';

/** Handles one unit of work: one message (single mode) or one batch. */
export type Subject = (messages: readonly InboundMessage[]) => Promise<void>;

/**
 * Idem's processor with the per-message handler the broker rows use (one insert per message):
 * `dispatch` for one message, `dispatchBatch` for more. Every message must come back processed.
 */
export function idemSubject(db: Kysely<BenchDatabase>, batchStrategy: BatchStrategy): Subject {
  const processor = createProcessor({
    db,
    handlers: [createEffectHandlers(PROCESSOR_TOPIC)],
    consumerGroup: CONSUMER_GROUP,
    batchStrategy,
  });
  return async (messages) => {
    const [only] = messages;
    const results =
      messages.length === 1 && only !== undefined
        ? [await processor.dispatch(only)]
        : await processor.dispatchBatch(messages);
    assertProcessed(results);
  };
}

/** Idem's processor with a batch handler that writes all its messages' effects in one insert. */
export function idemBatchHandlerSubject(db: Kysely<BenchDatabase>): Subject {
  @Consumer()
  class BatchEffectHandlers {
    @Subscribe({ topic: PROCESSOR_TOPIC, tag: BENCH_TAG, batch: true })
    async onOrders(orders: BatchMessage<BenchOrder>[], ctx: BatchHandlerContext<BenchDatabase>) {
      await ctx.trx
        .insertInto('bench.effects')
        .values(
          orders.map(({ body }) => ({ id: body.id, order_id: body.orderId, amount_cents: body.amountCents })),
        )
        .execute();
    }
  }
  const processor = createProcessor({
    db,
    handlers: [new BatchEffectHandlers()],
    consumerGroup: CONSUMER_GROUP,
  });
  return async (messages) => assertProcessed(await processor.dispatchBatch(messages));
}

/**
 * Idem's statements written by hand with pg, on one connection: BEGIN, the lock timeout, the
 * claim of the keys (Idem's own claim function, one call), the effects, COMMIT. With
 * `multiRow` the effects go in one insert (what a batch handler writes), else one insert each.
 * The same work a consumer must do regardless is done too: decode the body, hash it.
 */
export function handWrittenSubject(pool: pg.Pool, options: { multiRow: boolean }): Subject {
  return async (messages) => {
    const orders = messages.map((message) => JSON.parse(message.body.toString('utf8')) as BenchOrder);
    const hashes = messages.map((message) => createHash('sha256').update(message.body).digest());
    const client = await pool.connect();
    try {
      await client.query('begin');
      await client.query(`select set_config('lock_timeout', '5000ms', true)`);
      const claimed = await client.query(
        `select k from idem.claim_processed_messages($1::text, $2::text[], $3::bytea[], $4::text[], $5::text[],
           $6::text[], $7::text[], $8::bytea[], $9::integer[], $10::text[]) as k`,
        [
          CONSUMER_GROUP,
          messages.map((message) => message.keys[0]),
          messages.map(() => null),
          messages.map((message) => message.messageId),
          messages.map((message) => message.topic),
          messages.map((message) => message.tag ?? ''),
          messages.map(() => 'BenchHandlers.onOrder'),
          hashes,
          messages.map((message) => message.deliveryAttempt),
          messages.map((message) => message.transport),
        ],
      );
      if (claimed.rowCount !== messages.length) throw new Error('the hand-written claim skipped a key');
      await insertEffects(client, orders, options.multiRow);
      await client.query('commit');
    } finally {
      client.release();
    }
  };
}

/** The floor with no deduplication at all: BEGIN, the effects in one insert, COMMIT. */
export function multiRowFloorSubject(pool: pg.Pool): Subject {
  return async (messages) => {
    const orders = messages.map((message) => JSON.parse(message.body.toString('utf8')) as BenchOrder);
    const client = await pool.connect();
    try {
      await client.query('begin');
      await insertEffects(client, orders, true);
      await client.query('commit');
    } finally {
      client.release();
    }
  };
}

async function insertEffects(client: pg.PoolClient, orders: readonly BenchOrder[], multiRow: boolean) {
  if (!multiRow) {
    for (const order of orders)
      await client.query(INSERT_EFFECT, [order.id, order.orderId, order.amountCents]);
    return;
  }
  // A VALUES list, as kysely's `values([...])` in the batch handler writes it.
  const rows = orders.map((_, index) => `($${index * 3 + 1}, $${index * 3 + 2}, $${index * 3 + 3})`);
  await client.query(
    `insert into bench.effects (id, order_id, amount_cents) values ${rows.join(', ')}`,
    orders.flatMap((order) => [order.id, order.orderId, order.amountCents]),
  );
}

function assertProcessed(results: readonly { readonly outcome: string }[]): void {
  const other = results.find((result) => result.outcome !== 'processed');
  if (other !== undefined) throw new Error(`a bench message came back ${JSON.stringify(other)}`);
}
