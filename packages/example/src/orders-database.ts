import { createDatabase } from '@idem/core';
import type { Generated, Kysely } from 'kysely';

/** The service's own tables, as kysely sees them. */
export interface OrdersDatabase {
  invoices: {
    order_id: string;
    customer_id: string;
    amount_cents: number;
    status: 'open' | 'paid';
    created_at: Generated<Date>;
    paid_at: Date | null;
  };
  /** The mailer's table: one row per invoice e-mail sent. */
  invoice_emails: {
    order_id: string;
    customer_id: string;
    /** The announcement's message key: what the mailer deduplicates on. */
    message_key: string;
    sent_at: Generated<Date>;
  };
}

/** The service's database: a pool that survives Postgres restarts. */
export function createOrdersDatabase(connectionString: string): Kysely<OrdersDatabase> {
  return createDatabase<OrdersDatabase>({ connectionString, maxConnections: 20 });
}
