import { describe, expect, it } from 'vitest';
import { Consumer, Subscribe } from '../src/decorators/handler-metadata.js';
import { DeadLetterError } from '../src/errors.js';
import { createProcessor } from '../src/processor/create-processor.js';
import type { DispatchResult } from '../src/processor/dispatch-result.js';
import type { BatchHandlerContext, BatchMessage } from '../src/processor/handler-context.js';
import { DISPATCH_MODES, dispatchIn } from './support/dispatch-modes.js';
import type { OrderCreated } from './support/handlers.js';
import { inboundMessage, redeliveryOf } from './support/messages.js';
import { outboxRows } from './support/outbox-rows.js';
import { type TestTables, useTestDatabase } from './support/test-database.js';

/**
 * Writes all its orders' effects in one multi-row insert, sends one event per order, and fails
 * (throws, or rejects the order) when one of the orders it got is listed.
 */
@Consumer({ group: 'billing' })
class BatchOrderHandlers {
  /** The order ids of each call, in call order. */
  readonly calls: string[][] = [];
  readonly failing = new Set<string>();
  readonly rejecting = new Set<string>();

  @Subscribe<OrderCreated>({ topic: 'orders', tag: 'created', batch: true })
  async onOrders(orders: BatchMessage<OrderCreated>[], ctx: BatchHandlerContext<TestTables>): Promise<void> {
    this.calls.push(orders.map(({ body }) => body.orderId));
    await ctx.trx
      .insertInto('effects')
      .values(
        orders.map(({ body, idempotencyKey }) => ({
          key: idempotencyKey,
          handler: 'batch',
          value: body.amount,
        })),
      )
      .execute();
    for (const order of orders) await order.send({ topic: 'order-events', body: order.body });
    const rejected = orders.find(({ body }) => this.rejecting.has(body.orderId));
    if (rejected !== undefined) throw new DeadLetterError(`order ${rejected.body.orderId} is unknown`);
    const failed = orders.find(({ body }) => this.failing.has(body.orderId));
    if (failed !== undefined) throw new Error(`order ${failed.body.orderId} fails`);
  }
}

const order = (orderId: string, overrides: Parameters<typeof inboundMessage>[0] = {}) =>
  inboundMessage({ keys: [orderId], json: { orderId, amount: 1 }, ...overrides });

const outcomes = (results: readonly DispatchResult[]) =>
  results.map((result) => [result.outcome, 'error' in result ? result.error.code : undefined]);

describe.each(DISPATCH_MODES)('batch handlers, %s dispatch', (mode) => {
  const database = useTestDatabase();

  function setup(batchStrategy: 'optimistic' | 'savepoints' = 'optimistic') {
    const { db, schema } = database();
    const handlers = new BatchOrderHandlers();
    const processor = createProcessor({ db, schema, handlers: [handlers], batchStrategy });
    return { handlers, processor };
  }

  it('gets the claimed messages of its route in one call (an array of one in single mode), never a duplicate', async () => {
    const { handlers, processor } = setup();
    await processor.dispatch(order('o-0'));
    handlers.calls.length = 0;
    const first = order('o-1');

    const results = await dispatchIn(mode, processor, [
      first,
      order('o-0'),
      order('o-2'),
      redeliveryOf(first),
      order('o-3', { tag: 'cancelled' }),
    ]);

    expect(outcomes(results)).toEqual([
      ['processed', undefined],
      ['duplicate', undefined],
      ['processed', undefined],
      ['duplicate', undefined],
      ['dead-lettered', 'NO_HANDLER'],
    ]);
    expect(handlers.calls).toEqual(mode === 'batch' ? [['o-1', 'o-2']] : [['o-1'], ['o-2']]);
    expect((await database().effects()).map((row) => row.key)).toEqual(['o-0', 'o-1', 'o-2']);
  });

  it.each(['optimistic', 'savepoints'] as const)(
    'fails all its messages when it throws, then runs them one at a time so only the bad one fails (%s)',
    async (batchStrategy) => {
      const { handlers, processor } = setup(batchStrategy);
      handlers.failing.add('o-2');

      const results = await dispatchIn(mode, processor, [order('o-1'), order('o-2'), order('o-3')]);

      expect(outcomes(results)).toEqual([
        ['processed', undefined],
        ['failed', 'HANDLER_FAILED'],
        ['processed', undefined],
      ]);
      expect(handlers.calls).toEqual(
        mode === 'batch' ? [['o-1', 'o-2', 'o-3'], ['o-1'], ['o-2'], ['o-3']] : [['o-1'], ['o-2'], ['o-3']],
      );
      expect((await database().effects()).map((row) => row.key)).toEqual(['o-1', 'o-3']);
      expect(await database().count('processed_keys')).toBe(2);
    },
  );

  it('dead-letters the message it rejects and commits the others', async () => {
    const { handlers, processor } = setup();
    handlers.rejecting.add('o-2');
    const results = await dispatchIn(mode, processor, [order('o-1'), order('o-2'), order('o-3')]);
    expect(outcomes(results)).toEqual([
      ['processed', undefined],
      ['dead-lettered', 'HANDLER_REJECTED'],
      ['processed', undefined],
    ]);
    expect(await database().count('dead_letters')).toBe(1);
  });

  it('keys each message’s sends as a handler of that message alone would, and sends nothing for a failed one', async () => {
    const { handlers, processor } = setup();
    handlers.failing.add('o-2');
    await dispatchIn(mode, processor, [order('o-1'), order('o-2'), order('o-3')]);
    const rows = await outboxRows(database());
    expect(rows.map((row) => [row.source_key, row.keys])).toEqual([
      ['o-1', ['billing/o-1/order-events/1']],
      ['o-3', ['billing/o-3/order-events/1']],
    ]);
  });

  it('runs alone each message of a FIFO message group after a failure, quarantining the rest of the group', async () => {
    const { handlers, processor } = setup();
    handlers.rejecting.add('g-1');
    const inGroup = (orderId: string) => order(orderId, { messageGroup: 'cart-a' });
    const results = await dispatchIn(mode, processor, [order('o-1'), inGroup('g-1'), inGroup('g-2')]);
    expect(outcomes(results)).toEqual([
      ['processed', undefined],
      ['dead-lettered', 'HANDLER_REJECTED'],
      ['dead-lettered', 'GROUP_QUARANTINED'],
    ]);
    expect((await database().effects()).map((row) => row.key)).toEqual(['o-1']);
  });
});
