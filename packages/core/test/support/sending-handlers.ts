import { Consumer, Subscribe } from '../../src/decorators/handler-metadata.js';
import type { HandlerContext } from '../../src/handler-context.js';
import type { OrderCreated } from './handlers.js';

/**
 * Announces each order on `order-events` (twice: created and billed) and on `audit`, then fails
 * when told to, so a test can see that a rolled-back handler sends nothing.
 */
@Consumer()
export class SendingHandlers {
  readonly failing = new Set<string>();

  @Subscribe<OrderCreated>({ topic: 'orders', tag: 'created' })
  async onOrderCreated(order: OrderCreated, ctx: HandlerContext): Promise<void> {
    await ctx.send({ topic: 'order-events', tag: 'created', body: order });
    await ctx.send({ topic: 'order-events', tag: 'billed', body: { orderId: order.orderId } });
    await ctx.send({ topic: 'audit', body: `order ${order.orderId}` });
    if (this.failing.has(order.orderId)) throw new Error(`order ${order.orderId} fails after sending`);
  }
}
