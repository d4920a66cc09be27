import { sql } from 'kysely';
import { describe, expect, it } from 'vitest';
import { createDatabase } from '../src/create-database.js';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import { createProcessor } from '../src/processor/create-processor.js';
import type { HandlerContext } from '../src/processor/handler-context.js';
import { BATCH_STRATEGIES } from './support/dispatch-modes.js';
import { OrderHandlers } from './support/handlers.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { type TestTables, useTestDatabase } from './support/test-database.js';

/** Fails the orders whose ids are listed, after writing their effect (which must roll back). */
class SelectiveOrderHandlers extends OrderHandlers {
  constructor(private readonly failing: Set<string>) {
    super();
  }
  override async onOrderCreated(
    order: { orderId: string; amount: number },
    ctx: Parameters<OrderHandlers['onOrderCreated']>[1],
  ): Promise<void> {
    this.runs.set(order.orderId, (this.runs.get(order.orderId) ?? 0) + 1);
    await super.onOrderCreated(order, ctx);
    if (this.failing.has(order.orderId)) throw new Error(`order ${order.orderId} fails`);
  }
  /** How often each order's handler ran. */
  readonly runs = new Map<string, number>();
}

/** Swallows a failed statement for the orders listed, leaving the transaction aborted. */
@Consumer({ group: 'billing' })
class SwallowingHandlers {
  constructor(private readonly swallowing: Set<string>) {}
  @Subscribe<{ orderId: string }>({ topic: 'orders', tag: 'created' })
  async handle(order: { orderId: string }, ctx: HandlerContext<TestTables>): Promise<void> {
    if (this.swallowing.has(order.orderId)) {
      await sql`select * from idem_no_such_table`.execute(ctx.trx).catch(() => {});
      return;
    }
    await ctx.trx.insertInto('effects').values({ key: ctx.idempotencyKey, handler: 'h', value: 1 }).execute();
  }
}

describe.each(BATCH_STRATEGIES)('createProcessor().dispatchBatch, %s', (batchStrategy) => {
  const database = useTestDatabase();
  const processorFor = (handlers: object, options: { maxAttempts?: number } = {}) => {
    const { db, schema } = database();
    return createProcessor({
      db,
      schema,
      handlers: [handlers],
      consumerGroup: 'billing',
      batchStrategy,
      ...options,
    });
  };

  it('commits the other messages when one handler fails, and processes the failed one on redelivery', async () => {
    const failing = new Set(['o-3']);
    const processor = processorFor(new SelectiveOrderHandlers(failing));
    const messages = ['o-1', 'o-2', 'o-3', 'o-4'].map((orderId) =>
      inboundMessage({ keys: [orderId], json: { orderId, amount: 1 } }),
    );

    const results = await processor.dispatchBatch(messages);

    expect(results.map((result) => result.outcome)).toEqual([
      'processed',
      'processed',
      'failed',
      'processed',
    ]);
    expect((await database().effects()).map((row) => row.key)).toEqual(['o-1', 'o-2', 'o-4']);
    expect(await database().count('processed_keys')).toBe(3);

    failing.clear();
    const third = messages[2];
    if (third === undefined) throw new Error('unreachable');
    const retried = await processor.dispatchBatch([redeliveryOf(third), redeliveryOf(messages[0] ?? third)]);
    expect(retried.map((result) => result.outcome)).toEqual(['processed', 'duplicate']);
    expect((await database().effects()).map((row) => row.key)).toEqual(['o-1', 'o-2', 'o-3', 'o-4']);
  });

  it('runs the failing handler once per dispatch, and commits the others', async () => {
    const handlers = new SelectiveOrderHandlers(new Set(['o-2']));
    const processor = processorFor(handlers);
    const results = await processor.dispatchBatch(
      ['o-1', 'o-2', 'o-3'].map((orderId) =>
        inboundMessage({ keys: [orderId], json: { orderId, amount: 1 } }),
      ),
    );
    expect(results.map((result) => result.outcome)).toEqual(['processed', 'failed', 'processed']);
    expect(handlers.runs.get('o-2')).toBe(1);
    expect((await database().effects()).map((row) => row.key)).toEqual(['o-1', 'o-3']);
  });

  it('fails only the handler that swallowed a failed statement, and commits the others', async () => {
    const processor = processorFor(new SwallowingHandlers(new Set(['o-2'])));
    const results = await processor.dispatchBatch(
      ['o-1', 'o-2', 'o-3'].map((orderId) => inboundMessage({ keys: [orderId], json: { orderId } })),
    );
    expect(results.map((result) => result.outcome === 'failed' && result.error.message)).toEqual([
      false,
      expect.stringMatching(/went on without rethrowing/),
      false,
    ]);
    expect((await database().effects()).map((row) => row.key)).toEqual(['o-1', 'o-3']);
    expect(await database().count('processed_keys')).toBe(2);
  });

  it('treats the same key twice in one batch as one effect and one duplicate', async () => {
    const processor = processorFor(new OrderHandlers());
    const message = inboundMessage({ keys: ['o-5'] });
    const results = await processor.dispatchBatch([message, redeliveryOf(message)]);
    expect(results.map((result) => result.outcome)).toEqual(['processed', 'duplicate']);
    expect(await database().count('effects')).toBe(1);
  });

  it('dead-letters poison and exhausted messages inside the batch and commits the rest', async () => {
    const handlers = new SelectiveOrderHandlers(new Set(['o-7']));
    const processor = processorFor(handlers, { maxAttempts: 2 });
    const results = await processor.dispatchBatch([
      inboundMessage({ keys: ['o-6'], body: Buffer.from('not json') }),
      inboundMessage({ keys: ['o-7'], json: { orderId: 'o-7', amount: 1 }, deliveryAttempt: 2 }),
      inboundMessage({ keys: ['o-8'], json: { orderId: 'o-8', amount: 1 } }),
    ]);
    expect(
      results.map((result) => [result.outcome, 'error' in result ? result.error.code : undefined]),
    ).toEqual([
      ['dead-lettered', 'BODY_DECODE_FAILED'],
      ['dead-lettered', 'ATTEMPTS_EXHAUSTED'],
      ['processed', undefined],
    ]);
    expect(await database().count('dead_letters')).toBe(2);
    expect((await database().effects()).map((row) => row.key)).toEqual(['o-8']);
  });

  it('fails every message as retryable when Postgres cannot be reached, writing nothing', async () => {
    const unreachable = createDatabase({
      connectionString: 'postgres://idem@127.0.0.1:1/idem',
      connectionTimeoutMs: 500,
    });
    try {
      const processor = createProcessor({
        db: unreachable,
        handlers: [new OrderHandlers()],
        consumerGroup: 'billing',
        batchStrategy,
      });
      const results = await processor.dispatchBatch([
        inboundMessage({ keys: ['o-9'] }),
        inboundMessage({ keys: ['o-10'] }),
      ]);
      expect(
        results.map((result) => result.outcome === 'failed' && [result.retryable, result.error.code]),
      ).toEqual([
        [true, 'DATABASE_UNAVAILABLE'],
        [true, 'DATABASE_UNAVAILABLE'],
      ]);
      expect(await processor.checkDatabase()).toMatchObject({
        code: 'DATABASE_UNAVAILABLE',
        retryable: true,
      });
    } finally {
      await unreachable.destroy();
    }
  });

  it('returns no results for an empty batch', async () => {
    const processor = processorFor(new OrderHandlers());
    expect(await processor.dispatchBatch([])).toEqual([]);
    expect(await processor.checkDatabase()).toBeUndefined();
  });
});
