import { createDatabase, migrateToLatest } from '@idem/core';
import { createTestSchema } from '@idem/testing';
import { type Kysely, sql } from 'kysely';

/** Two schemas of its own for one test file: the app's tables in one, Idem's (migrated) in the other. */
export interface NestTestSchemas {
  /** The database URL with `search_path` set to the app's schema, so unqualified tables land there. */
  readonly url: string;
  /** Idem's schema, kept apart from the app's as a Nest service would configure it. */
  readonly idemSchema: string;
  drop(): Promise<void>;
}

/** Creates the app's schema and Idem's beside it, migrated, in the tests' Postgres. */
export async function createNestTestSchemas(databaseUrl: string): Promise<NestTestSchemas> {
  const app = await createTestSchema({ databaseUrl, prefix: 'nest' });
  const idem = await createTestSchema({ databaseUrl, prefix: 'nest_idem' });
  const setup = createDatabase<unknown>({ connectionString: databaseUrl, maxConnections: 2 });
  try {
    await migrateToLatest(setup, { schema: idem.name });
  } finally {
    await setup.destroy();
  }
  return {
    url: app.url,
    idemSchema: idem.name,
    drop: async () => {
      await app.drop();
      await idem.drop();
    },
  };
}

/** Creates the `effects` table the test handlers write to. */
export async function createEffectsTable(db: Kysely<unknown>): Promise<void> {
  await sql`create table effects (key text primary key, note text not null)`.execute(db);
}
