import { createDatabase, migrateToLatest } from '@idem/core';
import { createTestSchema } from '@idem/testing';
import { type Generated, type Kysely, sql } from 'kysely';
import { inject } from 'vitest';

/**
 * The application table the test handlers write to; `seq` keeps the order effects were written
 * in, `transport` which adapter delivered the message.
 */
export interface EffectTables {
  effects: {
    key: string;
    transport: string;
    message_group: string | null;
    seq: Generated<number>;
    attempt: number;
  };
}

/**
 * A private schema for one test of either adapter: Idem's tables plus `effects`, reached through
 * `search_path`.
 */
export interface EffectsDatabase {
  readonly db: Kysely<EffectTables>;
  readonly schema: string;
  readonly url: string;
  effectCount(): Promise<number>;
  /** Keys with more than one effect for one transport: must always be empty. */
  duplicateEffects(): Promise<string[]>;
  deadLetterReasons(): Promise<string[]>;
  /** Effect keys of each message group, in the order they were written. */
  keysByGroup(): Promise<Map<string, string[]>>;
  drop(): Promise<void>;
}

/** Creates the schema on `url` (the run's Postgres by default). */
export async function createEffectsDatabase(url: string = inject('databaseUrl')): Promise<EffectsDatabase> {
  const testSchema = await createTestSchema({ databaseUrl: url, prefix: 't' });
  const schema = testSchema.name;
  const db = createDatabase<EffectTables>({ connectionString: testSchema.url, maxConnections: 10 });
  await migrateToLatest(db, { schema });
  // No unique constraint on purpose: a second effect for a key must be counted, not rejected.
  await sql`create table effects (key text not null, transport text not null, message_group text, seq bigserial, attempt int not null)`.execute(
    db,
  );
  const count = async (query: string): Promise<number> =>
    Number((await sql<{ n: string }>`${sql.raw(query)}`.execute(db)).rows[0]?.n ?? 0);
  return {
    db,
    schema,
    url: testSchema.url,
    effectCount: () => count('select count(*) as n from effects'),
    duplicateEffects: async () =>
      (
        await sql<{
          key: string;
        }>`select key from effects group by transport, key having count(*) > 1`.execute(db)
      ).rows.map((row) => row.key),
    deadLetterReasons: async () =>
      (await sql<{ reason: string }>`select reason from dead_letters order by id`.execute(db)).rows.map(
        (row) => row.reason,
      ),
    async keysByGroup() {
      const rows = (
        await sql<{
          key: string;
          message_group: string | null;
        }>`select key, message_group from effects order by seq`.execute(db)
      ).rows;
      const groups = new Map<string, string[]>();
      for (const row of rows) {
        const group = row.message_group ?? '';
        groups.set(group, [...(groups.get(group) ?? []), row.key]);
      }
      return groups;
    },
    async drop() {
      await db.destroy();
      await testSchema.drop();
    },
  };
}
