import { migrateToLatest as migrateIdem } from '@idem/core';
import { type Kysely, sql } from 'kysely';
import { type Migration, Migrator } from 'kysely/migration';
import type { WarehouseDatabase } from './warehouse-database.js';

const migrations: Record<string, Migration> = {
  '0001-shipments': {
    async up(db) {
      await db.schema
        .createTable('shipments')
        .addColumn('order_id', 'text', (c) => c.primaryKey())
        .addColumn('address', 'text', (c) => c.notNull())
        .addColumn('items', 'integer', (c) => c.notNull())
        .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(db.fn('now')))
        .execute();
      await db.schema
        .createTable('stock_reservations')
        .addColumn('sku', 'text', (c) => c.primaryKey())
        .addColumn('reserved', 'integer', (c) => c.notNull())
        .execute();
    },
    async down(db) {
      await db.schema.dropTable('stock_reservations').execute();
      await db.schema.dropTable('shipments').execute();
    },
  },
};

/** Brings Idem's tables (in `idemSchema`) and then the warehouse's own tables up to date. */
export async function migrateWarehouseDatabase(
  db: Kysely<WarehouseDatabase>,
  idemSchema: string,
): Promise<void> {
  await migrateIdem(db, { schema: idemSchema });
  const { error } = await new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
  }).migrateToLatest();
  if (error !== undefined) throw error;
}
