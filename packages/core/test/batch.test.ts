import { describe, expect, it } from 'vitest';
import { createDatabase } from '../src/create-database.js';
import { createProcessor } from '../src/create-processor.js';
import { OrderHandlers } from './support/handlers.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { useTestDatabase } from './support/test-database.js';

/** Fails the orders whose ids are listed, after writing their effect (which must roll back). */
class SelectiveOrderHandlers extends OrderHandlers {
  constructor(private readonly failing: Set<string>) {
    super();
  }
  override async onOrderCreated(
    order: { orderId: string; amount: number },
    ctx: Parameters<OrderHandlers['onOrderCreated']>[1],
  ): Promise<void> {
    await super.onOrderCreated(order, ctx);
    if (this.failing.has(order.orderId)) throw new Error(`order ${order.orderId} fails`);
  }
}

describe('createProcessor().dispatchBatch', () => {
  const database = useTestDatabase();

  it('commits the other messages when one handler fails, and processes the failed one on redelivery', async () => {
    const { db, schema } = database();
    const failing = new Set(['o-3']);
    const processor = createProcessor({
      db,
      schema,
      handlers: [new SelectiveOrderHandlers(failing)],
      consumerGroup: 'billing',
    });
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

  it('treats the same key twice in one batch as one effect and one duplicate', async () => {
    const { db, schema } = database();
    const processor = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
    });
    const message = inboundMessage({ keys: ['o-5'] });
    const results = await processor.dispatchBatch([message, redeliveryOf(message)]);
    expect(results.map((result) => result.outcome)).toEqual(['processed', 'duplicate']);
    expect(await database().count('effects')).toBe(1);
  });

  it('dead-letters poison and exhausted messages inside the batch and commits the rest', async () => {
    const { db, schema } = database();
    const handlers = new SelectiveOrderHandlers(new Set(['o-7']));
    const processor = createProcessor({
      db,
      schema,
      handlers: [handlers],
      consumerGroup: 'billing',
      maxAttempts: 2,
    });
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
    const { db, schema } = database();
    const processor = createProcessor({
      db,
      schema,
      handlers: [new OrderHandlers()],
      consumerGroup: 'billing',
    });
    expect(await processor.dispatchBatch([])).toEqual([]);
    expect(await processor.checkDatabase()).toBeUndefined();
  });
});
