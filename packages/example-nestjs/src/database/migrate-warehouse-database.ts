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

/**
 * Brings Idem's tables (in `idemSchema`) and then the warehouse's own tables (in the connection's
 * current schema) up to date.
 */
export async function migrateWarehouseDatabase(
  db: Kysely<WarehouseDatabase>,
  idemSchema: string,
): Promise<void> {
  await migrateIdem(db, { schema: idemSchema });
  // Named explicitly: without a schema, kysely takes a `kysely_migration` table in *any* schema
  // of the database for its own, and another service's (or test's) history would hide ours.
  const { rows } = await sql<{ schema: string }>`select current_schema() as schema`.execute(db);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: async () => migrations },
    migrationTableSchema: rows[0]?.schema ?? 'public',
  });
  for (let attempt = 1; ; attempt += 1) {
    const { error, results = [] } = await migrator.migrateToLatest();
    if (error === undefined) return;
    // kysely's migrator lists every schema's tables first; one another session drops meanwhile
    // fails that lookup (3F000, 42P01) before anything ran, so trying again is safe.
    const code = (error as { code?: unknown }).code;
    const nothingRan = results.every((result) => result.status === 'NotExecuted');
    if (!(nothingRan && (code === '3F000' || code === '42P01')) || attempt === 5) throw error;
  }
}
