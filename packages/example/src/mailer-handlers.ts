import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import { INVOICES_TOPIC, InvoiceIssued } from './invoice-handlers.js';
import type { OrdersDatabase } from './orders-database.js';

/**
 * The mailer: one invoice e-mail per announced invoice. The announcement's key is derived from
 * the order's, so a re-send by billing's outbox (after a crash) is skipped like any redelivery.
 * The row stands in for the e-mail; a real mailer would pass `ctx.idempotencyKey` to its e-mail
 * API as the idempotency key, because a call outside the transaction is not covered.
 */
@Consumer({ group: 'mailer' })
export class MailerHandlers {
  @Subscribe({ topic: INVOICES_TOPIC, tag: 'issued', schema: InvoiceIssued })
  async onInvoiceIssued(invoice: InvoiceIssued, ctx: HandlerContext<OrdersDatabase>): Promise<void> {
    await ctx.trx
      .insertInto('invoice_emails')
      .values({ order_id: invoice.orderId, customer_id: invoice.customerId, message_key: ctx.idempotencyKey })
      .execute();
  }
}
