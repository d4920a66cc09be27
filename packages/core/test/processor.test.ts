import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { createProcessor } from '../src/create-processor.js';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import type { HandlerContext } from '../src/handler-context.js';
import { migrateToLatest } from '../src/migrate.js';
import { OrderHandlers } from './support/handlers.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { type TestTables, useTestDatabase } from './support/test-database.js';

describe('createProcessor().dispatch', () => {
  const database = useTestDatabase();

  function setup(options: { maxAttempts?: number; onPayloadMismatch?: 'dead-letter' | 'ignore' } = {}) {
    const { db, schema } = database();
    const handlers = new OrderHandlers();
    const processor = createProcessor({
      db,
      schema,
      handlers: [handlers],
      consumerGroup: 'billing',
      ...options,
    });
    return { handlers, processor };
  }

  it('processes a message once and skips its redelivery as a duplicate', async () => {
    const { handlers, processor } = setup();
    const message = inboundMessage({ keys: ['order-1'] });

    const first = await processor.dispatch(message);
    const second = await processor.dispatch(redeliveryOf(message));

    expect(first).toMatchObject({
      outcome: 'processed',
      key: 'order-1',
      handler: 'OrderHandlers.onOrderCreated',
    });
    expect(second).toMatchObject({ outcome: 'duplicate', key: 'order-1', duplicateKind: 'redelivery' });
    expect(handlers.calls).toBe(1);
    expect(await database().effects()).toEqual([{ key: 'order-1', handler: 'onOrderCreated', value: 10 }]);
  });

  it("leaves the handler's unqualified table names to the application's search path, apart from Idem's schema", async () => {
    const { db, schema } = database();
    const idemSchema = `${schema}_idem`;
    await migrateToLatest(db, { schema: idemSchema });
    try {
      const processor = createProcessor({
        db,
        schema: idemSchema,
        handlers: [new OrderHandlers()],
        consumerGroup: 'billing',
      });
      expect(await processor.dispatch(inboundMessage({ keys: ['order-apart'] }))).toMatchObject({
        outcome: 'processed',
      });
      expect(await database().effects()).toEqual([
        { key: 'order-apart', handler: 'onOrderCreated', value: 10 },
      ]);
      const claimed = await sql<{
        n: string;
      }>`select count(*) as n from ${sql.table(`${idemSchema}.processed_keys`)}`.execute(db);
      expect(claimed.rows[0]?.n).toBe('1');
    } finally {
      await sql`drop schema ${sql.id(idemSchema)} cascade`.execute(db);
    }
  });

  it('tells a producer re-send (same key, new message id) apart from a broker redelivery', async () => {
    const { processor } = setup();
    await processor.dispatch(inboundMessage({ keys: ['order-2'] }));
    const resend = await processor.dispatch(inboundMessage({ keys: ['order-2'] }));
    expect(resend).toMatchObject({
      outcome: 'duplicate',
      duplicateKind: 'producer-resend',
      payloadMismatch: false,
    });
  });

  it('keys by the message id when the message has no keys', async () => {
    const { processor } = setup();
    const message = inboundMessage({ keys: [] });
    expect(await processor.dispatch(message)).toMatchObject({ outcome: 'processed', key: message.messageId });
  });

  it('leaves no key and no effect when the handler throws, and processes the next delivery', async () => {
    const { handlers, processor } = setup();
    handlers.failNext = 1;
    const message = inboundMessage({ keys: ['order-3'] });

    const failed = await processor.dispatch(message);
    expect(failed).toMatchObject({ outcome: 'failed', retryable: false, error: { code: 'HANDLER_FAILED' } });
    expect(await database().count('processed_keys')).toBe(0);
    expect(await database().count('effects')).toBe(0);

    expect(await processor.dispatch(redeliveryOf(message))).toMatchObject({ outcome: 'processed' });
    expect(await database().count('effects')).toBe(1);
  });

  it('fails a handler that swallowed a failed statement instead of acking an empty commit', async () => {
    const { db, schema } = database();
    @Consumer({ group: 'billing' })
    class SwallowingHandler {
      @Subscribe({ topic: 'orders', tag: 'created' })
      async handle(_body: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
        await ctx.trx
          .insertInto('effects')
          .values({ key: ctx.idempotencyKey, handler: 'swallow', value: 1 })
          .execute();
        await ctx.trx
          .insertInto('effects')
          .values({ key: ctx.idempotencyKey, handler: 'swallow', value: 2 })
          .execute()
          .catch(() => {});
      }
    }
    const processor = createProcessor({ db, schema, handlers: [new SwallowingHandler()] });
    const result = await processor.dispatch(inboundMessage({ keys: ['order-swallow'] }));
    expect(result).toMatchObject({ outcome: 'failed', error: { code: 'HANDLER_FAILED' } });
    expect(result.outcome === 'failed' && result.error.message).toMatch(/went on without rethrowing/);
    expect(await database().count('processed_keys')).toBe(0);
  });

  it('dead-letters a body that is not JSON at once, with the reason, and never runs the handler', async () => {
    const { handlers, processor } = setup();
    const message = inboundMessage({ keys: ['order-4'], body: Buffer.from('{not json') });

    const result = await processor.dispatch(message);
    const again = await processor.dispatch(redeliveryOf(message));

    expect(result).toMatchObject({ outcome: 'dead-lettered', error: { code: 'BODY_DECODE_FAILED' } });
    expect(again).toMatchObject({ outcome: 'dead-lettered' });
    expect(handlers.calls).toBe(0);
    const rows = await database()
      .db.withSchema(database().schema)
      .selectFrom('dead_letters' as never)
      .selectAll()
      .execute();
    expect(rows).toHaveLength(1);
    expect(rows[0]).toMatchObject({
      consumer_group: 'billing',
      idempotency_key: 'order-4',
      reason: 'BODY_DECODE_FAILED',
      occurrences: 2,
      body: Buffer.from('{not json'),
    });
  });

  it('dead-letters a body that fails the schema, naming the field', async () => {
    const { db, schema } = database();
    @Consumer({ group: 'billing' })
    class ValidatingHandler {
      calls = 0;
      @Subscribe({
        topic: 'orders',
        schema: z.object({ orderId: z.string(), amount: z.number().positive() }),
      })
      handle(): void {
        this.calls += 1;
      }
    }
    const handler = new ValidatingHandler();
    const processor = createProcessor({ db, schema, handlers: [handler] });
    const result = await processor.dispatch(inboundMessage({ json: { orderId: 'o-5', amount: -3 } }));
    expect(result).toMatchObject({ outcome: 'dead-lettered', error: { code: 'SCHEMA_VALIDATION_FAILED' } });
    expect(result.outcome === 'dead-lettered' && result.error.message).toMatch(/amount/);
    expect(handler.calls).toBe(0);
  });

  it('dead-letters a message with body and error once the attempts are exhausted', async () => {
    const { handlers, processor } = setup({ maxAttempts: 3 });
    handlers.failNext = 10;
    const message = inboundMessage({ keys: ['order-6'] });

    const outcomes = [];
    for (let attempt = 1; attempt <= 3; attempt += 1) {
      outcomes.push((await processor.dispatch({ ...message, deliveryAttempt: attempt })).outcome);
    }

    expect(outcomes).toEqual(['failed', 'failed', 'dead-lettered']);
    const deadLetters = await database()
      .db.withSchema(database().schema)
      .selectFrom('dead_letters' as never)
      .selectAll()
      .execute();
    expect(deadLetters).toEqual([
      expect.objectContaining({
        reason: 'ATTEMPTS_EXHAUSTED',
        delivery_attempt: 3,
        handler: 'OrderHandlers.onOrderCreated',
        body: message.body,
        error_message: expect.stringMatching(/payment service down/),
      }),
    ]);
    expect(await database().count('effects')).toBe(0);
  });

  it('dead-letters at once when the handler throws DeadLetterError', async () => {
    const { handlers, processor } = setup();
    handlers.rejectNext = true;
    const result = await processor.dispatch(inboundMessage({ keys: ['order-7'] }));
    expect(result).toMatchObject({ outcome: 'dead-lettered', error: { code: 'HANDLER_REJECTED' } });
    expect(await database().count('effects')).toBe(0);
  });

  it('processes the same message once per consumer group', async () => {
    const { db, schema } = database();
    const billing = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlersForAnyGroup()],
      consumerGroup: 'billing',
    });
    const shipping = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlersForAnyGroup()],
      consumerGroup: 'shipping',
    });
    const message = inboundMessage({ keys: ['order-8'] });

    const outcomes = [
      (await billing.dispatch(message)).outcome,
      (await shipping.dispatch(message)).outcome,
      (await billing.dispatch(redeliveryOf(message))).outcome,
      (await shipping.dispatch(redeliveryOf(message))).outcome,
    ];

    expect(outcomes).toEqual(['processed', 'processed', 'duplicate', 'duplicate']);
    expect((await database().effects()).map((row) => row.key).sort()).toEqual([
      'billing:order-8',
      'shipping:order-8',
    ]);
  });

  it('dead-letters a message that reuses a processed key with a different body', async () => {
    const { processor } = setup();
    await processor.dispatch(inboundMessage({ keys: ['order-9'], json: { orderId: 'o-9', amount: 10 } }));
    const clash = await processor.dispatch(
      inboundMessage({ keys: ['order-9'], json: { orderId: 'o-9', amount: 99 } }),
    );
    expect(clash).toMatchObject({ outcome: 'dead-lettered', error: { code: 'PAYLOAD_MISMATCH' } });
    expect(await database().effects()).toEqual([{ key: 'order-9', handler: 'onOrderCreated', value: 10 }]);
  });

  it('acks a payload mismatch as a flagged duplicate when told to ignore it', async () => {
    const { processor } = setup({ onPayloadMismatch: 'ignore' });
    await processor.dispatch(inboundMessage({ keys: ['order-10'], json: { orderId: 'o-10', amount: 10 } }));
    const clash = await processor.dispatch(
      inboundMessage({ keys: ['order-10'], json: { orderId: 'o-10', amount: 1 } }),
    );
    expect(clash).toMatchObject({
      outcome: 'duplicate',
      payloadMismatch: true,
      duplicateKind: 'producer-resend',
    });
    expect(await database().count('dead_letters')).toBe(0);
  });

  it('dead-letters a message no handler takes', async () => {
    const { processor } = setup();
    const result = await processor.dispatch(inboundMessage({ tag: 'cancelled' }));
    expect(result).toMatchObject({ outcome: 'dead-lettered', error: { code: 'NO_HANDLER' } });
  });

  it('dead-letters a message whose key function returns nothing', async () => {
    const { db, schema } = database();
    @Consumer({ group: 'billing' })
    class KeyedByBody {
      @Subscribe<{ orderId?: string }>({ topic: 'orders', key: (_message, body) => body.orderId })
      handle(): void {}
    }
    const processor = createProcessor({ db, schema, handlers: [new KeyedByBody()] });
    expect(await processor.dispatch(inboundMessage({ json: { orderId: 'o-11' } }))).toMatchObject({
      outcome: 'processed',
      key: 'o-11',
    });
    expect(await processor.dispatch(inboundMessage({ json: {} }))).toMatchObject({
      outcome: 'dead-lettered',
      error: { code: 'INVALID_IDEMPOTENCY_KEY' },
    });
  });

  it('reports every result to onResult', async () => {
    const { db, schema } = database();
    const seen: string[] = [];
    const processor = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
      onResult: (result) => seen.push(result.outcome),
    });
    const message = inboundMessage({ keys: ['order-12'] });
    await processor.dispatch(message);
    await processor.dispatch(message);
    expect(seen).toEqual(['processed', 'duplicate']);
  });

  it('reports a missing schema as a retryable SCHEMA_NOT_MIGRATED failure', async () => {
    const { db } = database();
    const processor = createProcessor({
      db,
      schema: 'idem_never_migrated',
      handlers: [new OrderHandlers()],
      consumerGroup: 'g',
    });
    const result = await processor.dispatch(inboundMessage());
    expect(result).toMatchObject({
      outcome: 'failed',
      retryable: true,
      error: { code: 'SCHEMA_NOT_MIGRATED' },
    });
    expect(result.outcome === 'failed' && result.error.message).toMatch(/idem migrate/);
  });
});

/** Writes one effect per group and key, to show the two groups' effects side by side. */
@Consumer()
class OrderHandlersForAnyGroup {
  @Subscribe({ topic: 'orders', tag: 'created' })
  async handle(_order: unknown, ctx: HandlerContext<TestTables>): Promise<void> {
    await ctx.trx
      .insertInto('effects')
      .values({ key: `${ctx.consumerGroup}:${ctx.idempotencyKey}`, handler: 'any', value: 1 })
      .execute();
  }
}
