import { createDatabase, migrateToLatest } from '@idem/core';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';

/** The effect every consumer in the bench writes: one row per order message. */
export interface BenchDatabase {
  'bench.effects': { id: string; order_id: string; amount_cents: number };
}

/** The body of every bench message. */
export interface BenchOrder {
  readonly id: string;
  readonly orderId: string;
  readonly amountCents: number;
}

/** The statement the baseline and the pg floor run per message (Idem's handler writes the same row). */
export const INSERT_EFFECT = 'insert into bench.effects (id, order_id, amount_cents) values ($1, $2, $3)';

/** A pool big enough for the highest concurrency measured plus the cleanup's connection. */
export function createBenchDatabase(databaseUrl: string): Kysely<BenchDatabase> {
  return createDatabase<BenchDatabase>({ connectionString: databaseUrl, maxConnections: 40 });
}

/**
 * The pool of the hand-written subjects (baseline, pg floor). pg-pool's `end()` resolves once its
 * clients are told to end, before they have disconnected; when the embedded Postgres stops right
 * after, an idle client still hears "terminating connection" and, with no listener on the pool,
 * that error killed the bench after it had printed its report.
 */
export function createBenchPool(databaseUrl: string): pg.Pool {
  const pool = new pg.Pool({ connectionString: databaseUrl, max: 40 });
  pool.on('error', (error) => {
    process.stderr.write(`bench pool: an idle connection failed: ${error.message}\n`);
  });
  return pool;
}

/** Migrates Idem's tables and creates the effect table. */
export async function prepareBenchDatabase(db: Kysely<BenchDatabase>): Promise<void> {
  await migrateToLatest(db);
  await sql`create schema if not exists bench`.execute(db);
  await sql`create table if not exists bench.effects (
    id text primary key,
    order_id text not null,
    amount_cents integer not null,
    created_at timestamptz not null default now()
  )`.execute(db);
}

/**
 * Empties the effect table and Idem's processed keys, so each row starts from the same table
 * sizes and its inserts do not pay for the previous rows' index growth. The retention rows keep
 * the processed keys they generated.
 */
export async function resetTables(db: Kysely<BenchDatabase>, keepProcessedKeys = false): Promise<void> {
  if (keepProcessedKeys) await sql`truncate bench.effects`.execute(db);
  else await sql`truncate bench.effects, idem.processed_keys`.execute(db);
}

/** Rows in the effect table: each row of the bench checks that every message wrote its effect. */
export async function countEffects(db: Kysely<BenchDatabase>): Promise<number> {
  const result = await sql<{ n: string }>`select count(*) as n from bench.effects`.execute(db);
  return Number(result.rows[0]?.n ?? 0);
}

/** The bench message with this sequence number, under a prefix unique to its row. */
export function benchOrder(prefix: string, index: number): BenchOrder {
  return { id: `${prefix}-${index}`, orderId: `order-${index % 10_000}`, amountCents: 100 + (index % 900) };
}
