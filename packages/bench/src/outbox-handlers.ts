import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import type { BenchDatabase, BenchOrder } from './bench-database.js';
import { BENCH_TAG } from './effect-handlers.js';

/** The tag of the message the outbox rows' handler sends. */
export const BILLED_TAG = 'billed';

/**
 * The outbox rows' handler: the same insert as {@link createEffectHandlers}, plus one message to
 * `outTopic` through `ctx.send`, so the difference between the two rows is the outbox alone.
 * Its key is Idem's derived one, `<order id>/<outTopic>/1`.
 */
export function createOutboxHandlers(topic: string, outTopic: string): object {
  @Consumer()
  class OutboxHandlers {
    @Subscribe({ topic, tag: BENCH_TAG })
    async onOrder(order: BenchOrder, ctx: HandlerContext<BenchDatabase>): Promise<void> {
      await ctx.trx
        .insertInto('bench.effects')
        .values({ id: order.id, order_id: order.orderId, amount_cents: order.amountCents })
        .execute();
      await ctx.send({
        topic: outTopic,
        tag: BILLED_TAG,
        body: { id: order.id, amountCents: order.amountCents },
      });
    }
  }
  return new OutboxHandlers();
}
