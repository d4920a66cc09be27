import type { Kysely } from 'kysely';
import { sql } from 'kysely';
import type { Migration } from 'kysely/migration';

/** A migration made of raw statements run one after the other, in the migration's transaction. */
export function statementsMigration(up: readonly string[], down: readonly string[]): Migration {
  const run = async (db: Kysely<unknown>, statements: readonly string[]): Promise<void> => {
    for (const statement of statements) {
      await sql.raw(statement).execute(db);
    }
  };
  return {
    up: async (db) => await run(db, up),
    down: async (db) => await run(db, down),
  };
}
