import type { Kysely } from 'kysely';
import type { Migration } from 'kysely/migration';

/**
 * Room for hostile input. Keys that Postgres cannot store or index as they are (NUL, a lone
 * surrogate, more than 512 bytes) are stored as a `sha256:` digest; `original_key` keeps the key
 * itself (WTF-8 bytes) for operators. Dead letters store safe forms of such headers and keep the
 * exact ones as JSON in `original_headers`, so a replay rebuilds the message unchanged.
 */
export function hostileInput(schema: string): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      const s = db.schema.withSchema(schema);
      await s.alterTable('processed_messages').addColumn('original_key', 'bytea').execute();
      await s.alterTable('dead_letters').addColumn('original_headers', 'text').execute();
    },
    async down(db: Kysely<unknown>): Promise<void> {
      const s = db.schema.withSchema(schema);
      await s.alterTable('dead_letters').dropColumn('original_headers').execute();
      await s.alterTable('processed_messages').dropColumn('original_key').execute();
    },
  };
}
