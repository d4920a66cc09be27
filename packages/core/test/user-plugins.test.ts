import { CamelCasePlugin, type Kysely, sql } from 'kysely';
import { describe, expect } from 'vitest';
import { listDeadLetters } from '../src/dead-letters/read-dead-letters.js';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import { DeadLetterError } from '../src/errors.js';
import { cleanupProcessedMessages } from '../src/operations/cleanup-processed-messages.js';
import { listOutbox } from '../src/operations/outbox-operations.js';
import { createProcessor } from '../src/processor/create-processor.js';
import type { HandlerContext } from '../src/processor/handler-context.js';
import { inboundMessage } from './support/messages.js';
import { databaseTest as test } from './support/test-database.js';

/** What the application sees through kysely's CamelCasePlugin: camelCase names, snake_case columns. */
interface CamelTables {
  invoices: { orderId: string; amountCents: number };
}

@Consumer({ group: 'billing' })
class InvoiceHandlers {
  @Subscribe<{ amountCents: number }>({ topic: 'orders', tag: 'created' })
  async onOrder(order: { amountCents: number }, ctx: HandlerContext<CamelTables>): Promise<void> {
    if (order.amountCents < 0) throw new DeadLetterError('negative amount');
    // Written through the user's plugin: `orderId` reaches the column order_id.
    await ctx.trx
      .insertInto('invoices')
      .values({ orderId: ctx.idempotencyKey, amountCents: order.amountCents })
      .execute();
    await ctx.send({ topic: 'invoices', body: JSON.stringify({ orderId: ctx.idempotencyKey }) });
  }
}

const order = (key: string, amountCents: number) => inboundMessage({ keys: [key], json: { amountCents } });

// kysely's CamelCasePlugin renames columns in queries and result rows. Idem's own statements must
// not go through it: the claim read back `idempotency_key` as `idempotencyKey`, saw no claimed
// key and reported every first delivery as a duplicate, its handler never run.
describe('a database with kysely plugins (CamelCasePlugin)', () => {
  test.for(['single', 'batch'] as const)(
    'processes each message once in %s mode, handlers keeping the plugin, Idem not seeing it',
    async (mode, { database }) => {
      await sql`create table invoices (order_id text primary key, amount_cents integer not null)`.execute(
        database.db,
      );
      const db = (database.db as unknown as Kysely<CamelTables>).withPlugin(new CamelCasePlugin());
      const processor = createProcessor({ db, schema: database.schema, handlers: [new InvoiceHandlers()] });
      const messages = [order('order-1', 100), order('order-2', 250), order('order-bad', -1)];
      const dispatch = (batch: typeof messages) =>
        mode === 'single'
          ? Promise.all(batch.map((message) => processor.dispatch(message)))
          : processor.dispatchBatch(batch);

      expect((await dispatch(messages)).map((result) => result.outcome)).toEqual([
        'processed',
        'processed',
        'dead-lettered',
      ]);
      expect((await dispatch(messages.slice(0, 2))).map((result) => result.outcome)).toEqual([
        'duplicate',
        'duplicate',
      ]);
      expect(await db.selectFrom('invoices').selectAll().orderBy('orderId').execute()).toEqual([
        { orderId: 'order-1', amountCents: 100 },
        { orderId: 'order-2', amountCents: 250 },
      ]);

      // Idem's operations given the same database read their own columns.
      const deadLetters = await listDeadLetters(db, { schema: database.schema });
      expect(deadLetters).toMatchObject([{ idempotencyKey: 'order-bad', consumerGroup: 'billing' }]);
      const outbox = await listOutbox(db, { schema: database.schema });
      expect(outbox.map((row) => row.topic)).toEqual(['invoices', 'invoices']);
      const cleanup = await cleanupProcessedMessages(db, { schema: database.schema });
      expect(cleanup).toMatchObject({
        status: 'done',
        deleted: expect.any(Number),
        slicesCreated: expect.any(Number),
        legacyTruncated: expect.any(Boolean),
      });
    },
  );
});
