import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import type { BenchDatabase, BenchOrder } from './bench-database.js';

/** The tag of every bench message. */
export const BENCH_TAG = 'order';

/**
 * Idem's side of the comparison: a handler class writing the same single insert the baseline
 * makes, through `ctx.trx`. Built per row because each row consumes its own topic (the peer
 * gives a new consumer group every message of a topic from the first one on).
 */
export function createEffectHandlers(topic: string): object {
  @Consumer()
  class EffectHandlers {
    @Subscribe({ topic, tag: BENCH_TAG })
    async onOrder(order: BenchOrder, ctx: HandlerContext<BenchDatabase>): Promise<void> {
      await ctx.trx
        .insertInto('bench.effects')
        .values({ id: order.id, order_id: order.orderId, amount_cents: order.amountCents })
        .execute();
    }
  }
  return new EffectHandlers();
}
