import { randomBytes } from 'node:crypto';
import { migrateToLatest } from '@idem/core';
import { type Kysely, sql } from 'kysely';
import pg from 'pg';

/** A schema of its own for one test file: the app's tables in `name`, Idem's in `name_idem`. */
export interface TestSchema {
  readonly name: string;
  readonly idemSchema: string;
  /** The database URL with `search_path` set to the schema, so unqualified tables land there. */
  readonly url: string;
  drop(): Promise<void>;
}

/** Creates a fresh schema (and Idem's beside it, migrated) in the tests' Postgres. */
export async function createTestSchema(databaseUrl: string, db?: Kysely<unknown>): Promise<TestSchema> {
  const name = `nest_${randomBytes(4).toString('hex')}`;
  const idemSchema = `${name}_idem`;
  await admin(databaseUrl, `create schema ${name}`);
  const url = new URL(databaseUrl);
  url.searchParams.set('options', `-c search_path=${name}`);
  if (db !== undefined) await migrateToLatest(db, { schema: idemSchema });
  return {
    name,
    idemSchema,
    url: url.toString(),
    drop: () => admin(databaseUrl, `drop schema if exists ${name}, ${idemSchema} cascade`),
  };
}

/** Creates the `effects` table the test handlers write to. */
export async function createEffectsTable(db: Kysely<unknown>): Promise<void> {
  await sql`create table effects (key text primary key, note text not null)`.execute(db);
}

async function admin(databaseUrl: string, statement: string): Promise<void> {
  const client = new pg.Client(databaseUrl);
  await client.connect();
  await client.query(statement).finally(() => client.end());
}
