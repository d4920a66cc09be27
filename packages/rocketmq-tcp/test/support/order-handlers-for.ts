import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import type { EffectTables } from '../../../../test-support/effects/effects-database.js';
import { OrderHandlers } from '../../../../test-support/effects/order-handlers.js';

/**
 * {@link OrderHandlers} subscribed to `topic` instead of `orders`: the real broker gets a fresh
 * topic per test, so leftovers of one test never reach the next.
 */
export function orderHandlersFor(topic: string): OrderHandlers {
  if (topic === 'orders') return new OrderHandlers();
  // A subclass's record for a method replaces its base class's record for the same method.
  @Consumer()
  class TopicOrderHandlers extends OrderHandlers {
    @Subscribe({ topic, decode: 'text' })
    override onOrder(body: string, ctx: HandlerContext<EffectTables>): Promise<void> {
      return super.onOrder(body, ctx);
    }
  }
  return new TopicOrderHandlers();
}
