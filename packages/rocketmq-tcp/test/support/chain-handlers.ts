import { Consumer, type HandlerContext, Subscribe } from '@idem/core';
import { type Generated, type Kysely, sql } from 'kysely';

/** The two services' own tables; no unique constraints, so a second effect is counted, not refused. */
export interface ChainTables {
  invoices: { order_key: string; seq: Generated<number> };
  emails: { order_key: string; invoice_key: string; seq: Generated<number> };
}

/** The body of InvoiceIssued. */
export interface InvoiceIssued {
  readonly orderKey: string;
}

/** Creates the services' tables in the schema `db` reaches through its search_path. */
export async function createChainTables<DB>(db: Kysely<DB>): Promise<void> {
  await sql`create table invoices (order_key text not null, seq bigserial)`.execute(db);
  await sql`create table emails (order_key text not null, invoice_key text not null, seq bigserial)`.execute(
    db,
  );
}

/**
 * Service A: an order becomes an invoice row and an InvoiceIssued message, both in the order's
 * transaction; the message's key is derived from the order's (`<orderKey>/<topic>/1`).
 */
export function invoicingHandlers(ordersTopic: string, invoicesTopic: string): object {
  @Consumer()
  class InvoicingHandlers {
    @Subscribe({ topic: ordersTopic, decode: 'text' })
    async onOrder(_body: string, ctx: HandlerContext<ChainTables>): Promise<void> {
      await ctx.trx.insertInto('invoices').values({ order_key: ctx.idempotencyKey }).execute();
      const issued: InvoiceIssued = { orderKey: ctx.idempotencyKey };
      await ctx.send({ topic: invoicesTopic, tag: 'issued', body: issued });
    }
  }
  return new InvoicingHandlers();
}

/** Service B: an InvoiceIssued becomes an email row. */
export function emailHandlers(invoicesTopic: string): object {
  @Consumer()
  class EmailHandlers {
    @Subscribe({ topic: invoicesTopic, tag: 'issued', decode: 'json' })
    async onInvoiceIssued(issued: InvoiceIssued, ctx: HandlerContext<ChainTables>): Promise<void> {
      await ctx.trx
        .insertInto('emails')
        .values({ order_key: issued.orderKey, invoice_key: ctx.idempotencyKey })
        .execute();
    }
  }
  return new EmailHandlers();
}
