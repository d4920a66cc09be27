import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import type { Generated } from 'kysely';

/** Where the upstream order service publishes; service A consumes it. */
export const ORDERS_TOPIC = 'orders';
/** Where service A announces invoices through its outbox; service B consumes it. */
export const INVOICES_TOPIC = 'invoices';

/** An order event as the upstream service publishes it (key: the order id). */
export interface OrderPlaced {
  readonly orderId: string;
  readonly amountCents: number;
}

/** What service A announces once an invoice is written. */
export interface InvoiceIssued {
  readonly orderId: string;
  readonly amountCents: number;
}

/**
 * Both services' own tables. No unique constraints on purpose: a second effect for an order
 * must be counted by the test, not refused by Postgres.
 */
export interface ChainTables {
  invoices: { order_id: string; amount_cents: number; seq: Generated<number> };
  emails: { order_id: string; message_key: string; seq: Generated<number> };
}

/** Service A (billing): one invoice per order, announced as `InvoiceIssued` through the outbox. */
@Consumer()
export class BillingHandlers {
  @Subscribe<OrderPlaced>({ topic: ORDERS_TOPIC, decode: 'json' })
  async onOrderPlaced(order: OrderPlaced, ctx: HandlerContext<ChainTables>): Promise<void> {
    await ctx.trx
      .insertInto('invoices')
      .values({ order_id: order.orderId, amount_cents: order.amountCents })
      .execute();
    // No keys: the outbox derives one from the incoming key, which is what service B dedups on.
    const issued: InvoiceIssued = { orderId: order.orderId, amountCents: order.amountCents };
    await ctx.send({ topic: INVOICES_TOPIC, tag: 'InvoiceIssued', body: issued });
  }
}

/** Service B (mailer): one email row per announced invoice. */
@Consumer()
export class MailerHandlers {
  @Subscribe<InvoiceIssued>({ topic: INVOICES_TOPIC, tag: 'InvoiceIssued', decode: 'json' })
  async onInvoiceIssued(invoice: InvoiceIssued, ctx: HandlerContext<ChainTables>): Promise<void> {
    await ctx.trx
      .insertInto('emails')
      .values({ order_id: invoice.orderId, message_key: ctx.idempotencyKey })
      .execute();
  }
}
