import { migrateToLatest as migrateIdem } from '@idem/core';
import { type Kysely, sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import type { OrdersDatabase } from './orders-database.js';

/** The service's own migrations. Idem keeps its tables and history apart (schema `idem`). */
const migrations: Record<string, Migration> = {
  '0001-invoices': {
    async up(db) {
      await db.schema
        .createTable('invoices')
        .ifNotExists()
        // The primary key is a second line of defence: Idem already makes the insert happen once.
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('amount_cents', 'integer', (c) => c.notNull())
        .addColumn('status', 'text', (c) => c.notNull().defaultTo('open'))
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .addColumn('paid_at', 'timestamptz')
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('invoices').ifExists().execute();
    },
  },
  '0002-invoice-emails': {
    async up(db) {
      await db.schema
        .createTable('invoice_emails')
        .ifNotExists()
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('customer_id', 'text', (c) => c.notNull())
        .addColumn('message_key', 'text', (c) => c.notNull())
        .addColumn('sent_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('invoice_emails').ifExists().execute();
    },
  },
};

/** Brings Idem's tables and then the service's own tables up to date. */
export async function migrateOrdersDatabase(db: Kysely<OrdersDatabase>): Promise<void> {
  await migrateIdem(db);
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  }).migrateToLatest();
  if (error !== undefined) throw error;
}
