import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** Options of {@link createTestSchema}. */
export interface TestSchemaOptions {
  /** The Postgres to create the schema in, as a connection string. */
  readonly databaseUrl: string;
  /** The start of the schema's name, before a random suffix: lower-case letters, digits, `_`. `test` by default. */
  readonly prefix?: string;
}

/** One test's private schema in a shared Postgres. */
export interface TestSchema {
  /** The schema's name: pass it to `migrateToLatest(db, { schema })` and the consumer's `schema` option. */
  readonly name: string;
  /**
   * `databaseUrl` with the schema as its `search_path`, so every connection made from it creates
   * and finds unqualified tables (the test's own) in the schema.
   */
  readonly url: string;
  /** Drops the schema and everything in it. Skip it when the test failed, to read its state afterwards. */
  drop(): Promise<void>;
}

const PREFIX = /^[a-z_][a-z0-9_]{0,40}$/;

/**
 * Creates a fresh, empty schema with a random name, so tests that share one Postgres (and run in
 * parallel) never see each other's rows; as pg-boss's own suite does.
 *
 * Drop it when the test passes and keep it when the test fails: its tables are the best account
 * of what happened. A vitest fixture does both:
 *
 * @example
 * ```ts
 * const test = base.extend<{ schema: TestSchema }>({
 *   schema: async ({ task }, use) => {
 *     const schema = await createTestSchema({ databaseUrl: process.env.DATABASE_URL! });
 *     await use(schema);
 *     if (task.result?.state !== 'fail') await schema.drop();
 *   },
 * });
 * test('ships once', async ({ schema }) => {
 *   const db = createDatabase<Database>({ connectionString: schema.url });
 *   await migrateToLatest(db, { schema: schema.name });
 *   // ...
 * });
 * ```
 */
export async function createTestSchema(options: TestSchemaOptions): Promise<TestSchema> {
  const prefix = options.prefix ?? 'test';
  // The name is written into DDL and into the search_path option: only plain identifiers.
  if (!PREFIX.test(prefix))
    throw new TypeError(`createTestSchema: prefix must match ${PREFIX}, got ${prefix}`);
  const name = `${prefix}_${randomBytes(6).toString('hex')}`;
  await execute(options.databaseUrl, `create schema ${name}`);
  return {
    name,
    url: withSearchPath(options.databaseUrl, name),
    drop: () => execute(options.databaseUrl, `drop schema if exists ${name} cascade`),
  };
}

/** `url` with `-c search_path=<schema>` added to the options libpq sends at connect. */
function withSearchPath(databaseUrl: string, schema: string): string {
  const url = new URL(databaseUrl);
  const existing = url.searchParams.get('options');
  url.searchParams.set('options', [existing, `-c search_path=${schema}`].filter(Boolean).join(' '));
  return url.toString();
}

async function execute(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    await client.query(statement);
  } finally {
    await client.end();
  }
}
