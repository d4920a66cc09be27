import { Consumer, Subscribe } from '../../src/decorators/handler-metadata.js';
import { DeadLetterError } from '../../src/errors.js';
import type { HandlerContext } from '../../src/handler-context.js';
import type { TestTables } from './test-database.js';

export interface OrderCreated {
  readonly orderId: string;
  readonly amount: number;
}

/**
 * Writes one effect row per order through `ctx.trx`; the effects table's primary key would
 * reject a second write, so a duplicate effect cannot go unnoticed.
 */
@Consumer()
export class OrderHandlers {
  calls = 0;
  failNext = 0;
  rejectNext = false;

  @Subscribe<OrderCreated>({ topic: 'orders', tag: 'created' })
  async onOrderCreated(order: OrderCreated, ctx: HandlerContext<TestTables>): Promise<void> {
    this.calls += 1;
    await ctx.trx
      .insertInto('effects')
      .values({ key: ctx.idempotencyKey, handler: 'onOrderCreated', value: order.amount })
      .execute();
    if (this.rejectNext) {
      this.rejectNext = false;
      throw new DeadLetterError(`order ${order.orderId} is for an unknown customer`);
    }
    if (this.failNext > 0) {
      this.failNext -= 1;
      throw new Error(`payment service down for ${order.orderId}`);
    }
  }
}
