import { Consumer, DeadLetterError, type HandlerContext, Subscribe } from '@idem/core';
import { z } from 'zod';
import type { OrdersDatabase } from './orders-database.js';

/** What the order service publishes when an order is placed (tag `created`, key = order id). */
export const OrderCreated = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  amountCents: z.number().int().positive(),
});
export type OrderCreated = z.infer<typeof OrderCreated>;

/** What billing announces once an invoice is written (topic `invoices`, tag `issued`). */
export const InvoiceIssued = z.object({
  orderId: z.string().min(1),
  customerId: z.string().min(1),
  amountCents: z.number().int().positive(),
});
export type InvoiceIssued = z.infer<typeof InvoiceIssued>;

/** The topic billing announces invoices on. */
export const INVOICES_TOPIC = 'invoices';

/** Published when an order is paid (tag `paid`). */
export const OrderPaid = z.object({ orderId: z.string().min(1), paidAt: z.iso.datetime() });
export type OrderPaid = z.infer<typeof OrderPaid>;

/**
 * Billing: one invoice per order, announced to other services, and marked paid when the payment
 * arrives. Every write goes through `ctx.trx` and the announcement through `ctx.send` (a row of
 * the same transaction), so each happens exactly once however often RocketMQ delivers the event.
 */
@Consumer({ group: 'billing' })
export class InvoiceHandlers {
  @Subscribe({ topic: 'orders', tag: 'created', schema: OrderCreated })
  async onOrderCreated(order: OrderCreated, ctx: HandlerContext<OrdersDatabase>): Promise<void> {
    await ctx.trx
      .insertInto('invoices')
      .values({
        order_id: order.orderId,
        customer_id: order.customerId,
        amount_cents: order.amountCents,
        status: 'open',
        paid_at: null,
      })
      .execute();
    // Sent after the commit, never for a rolled-back or duplicate delivery. No keys: Idem derives
    // one from the order's key, so the mailer skips any re-send of this announcement.
    const issued: InvoiceIssued = {
      orderId: order.orderId,
      customerId: order.customerId,
      amountCents: order.amountCents,
    };
    await ctx.send({ topic: INVOICES_TOPIC, tag: 'issued', body: issued });
  }

  // The payment event's own business key: a payment is a different event from the order.
  @Subscribe({
    topic: 'orders',
    tag: 'paid',
    schema: OrderPaid,
    key: (_message, paid: OrderPaid) => `paid:${paid.orderId}`,
  })
  async onOrderPaid(paid: OrderPaid, ctx: HandlerContext<OrdersDatabase>): Promise<void> {
    const result = await ctx.trx
      .updateTable('invoices')
      .set({ status: 'paid', paid_at: new Date(paid.paidAt) })
      .where('order_id', '=', paid.orderId)
      .executeTakeFirst();
    // Thrown (not returned) so the delivery is retried: the order event may still be on its way.
    if (result.numUpdatedRows === 0n) throw new Error(`no invoice yet for order ${paid.orderId}`);
    if (paid.orderId.startsWith('fraud-')) throw new DeadLetterError(`order ${paid.orderId} is flagged`);
  }
}
