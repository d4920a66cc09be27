import { createTestSchema } from '@idem/testing';
import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterEach, beforeEach, inject, type TestContext, test } from 'vitest';
import { migrateToLatest } from '../../src/migrate.js';

/** The application tables the test handlers write to. */
export interface TestTables {
  effects: { key: string; handler: string; value: number };
}

/** One test's private database: its own schema holds Idem's tables and the test's effects. */
export interface TestDatabase {
  readonly db: Kysely<TestTables>;
  readonly schema: string;
  readonly url: string;
  readonly pool: pg.Pool;
  /** Every effect row, sorted by key. */
  effects(): Promise<TestTables['effects'][]>;
  count(table: 'processed_keys' | 'dead_letters' | 'effects'): Promise<number>;
  /** Drops the schema; destroy `db` first. */
  dropSchema(): Promise<void>;
}

/**
 * Gives each test a fresh schema on the run's Postgres (pg-boss style), with Idem's migrations
 * applied and an `effects` table, reached through `search_path`. The schema is dropped when the
 * test passes and kept when it fails, so its state can be read afterwards.
 */
export function useTestDatabase(options: { poolSize?: number } = {}): () => TestDatabase {
  let current: TestDatabase | undefined;
  beforeEach(async () => {
    current = await createTestDatabase(options.poolSize ?? 10);
  });
  afterEach(async (context: TestContext) => {
    if (current === undefined) return;
    await releaseTestDatabase(current, context.task);
    current = undefined;
  });
  return () => {
    if (current === undefined) throw new Error('useTestDatabase() is only usable inside a test');
    return current;
  };
}

/**
 * `useTestDatabase()` as a `test.extend` fixture: `databaseTest('...', async ({ database }) => ...)`
 * gets a fresh schema (pool of 10), dropped when the test passes and kept when it fails.
 */
export const databaseTest = test.extend<{ database: TestDatabase }>({
  database: async ({ task }, use) => {
    const database = await createTestDatabase(10);
    await use(database);
    await releaseTestDatabase(database, task);
  },
});

/** Closes the pool; drops the schema of a passing test, keeps a failing one's and says so. */
async function releaseTestDatabase(
  database: TestDatabase,
  task: { readonly name: string; readonly result?: { readonly state?: string } },
): Promise<void> {
  await database.db.destroy();
  if (task.result?.state === 'fail')
    console.warn(`kept schema ${database.schema} of failed test "${task.name}"`);
  else await database.dropSchema();
}

/** Creates a test schema and a pool bound to it; the caller destroys `db`. */
export async function createTestDatabase(poolSize: number): Promise<TestDatabase> {
  const url = inject('databaseUrl');
  const testSchema = await createTestSchema({ databaseUrl: url, prefix: 't' });
  const schema = testSchema.name;
  const pool = new pg.Pool({ connectionString: testSchema.url, max: poolSize });
  // Tests kill backends on purpose; an idle pooled client dying must not crash the run.
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<TestTables>({ dialect: new PostgresDialect({ pool }) });
  await migrateToLatest(db, { schema });
  await db.schema
    .createTable('effects')
    .addColumn('key', 'text', (c) => c.primaryKey())
    .addColumn('handler', 'text', (c) => c.notNull())
    .addColumn('value', 'integer', (c) => c.notNull())
    .execute();
  return {
    db,
    schema,
    url,
    pool,
    dropSchema: () => testSchema.drop(),
    effects: async () => await db.selectFrom('effects').selectAll().orderBy('key').execute(),
    count: async (table) => {
      const row = await sql<{ n: string }>`select count(*) as n from ${sql.table(`${schema}.${table}`)}`
        .execute(db)
        .then((result) => result.rows[0]);
      return Number(row?.n ?? 0);
    },
  };
}
