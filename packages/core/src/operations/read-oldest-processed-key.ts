import { type Kysely, sql } from 'kysely';
import { idemTable } from './idem-table.js';

/** An upper bound on the age of the oldest stored processed key. */
export interface OldestProcessedKey {
  readonly at: Date;
  readonly ageMs: number;
}

/**
 * When the oldest processed key could have been stored: the start of the oldest slice, or the
 * oldest key of the pre-upgrade legacy table if that is older. Reads two tiny indexes, never the
 * keys themselves, so it costs the same at 10^9 keys. `undefined` when nothing is stored.
 */
export async function readOldestProcessedKey(
  db: Kysely<unknown>,
  schema: string,
): Promise<OldestProcessedKey | undefined> {
  const result = await sql<{ at: Date | null; age_ms: number | null }>`
    select o.at, (extract(epoch from now() - o.at) * 1000)::float8 as age_ms
    from (select least(
      (select min(starts_at) from ${idemTable(schema, 'processed_message_slices')} where starts_at <= now()),
      (select min(processed_at) from ${idemTable(schema, 'processed_messages')})) as at) o`.execute(db);
  const row = result.rows[0];
  if (row?.at == null || row.age_ms === null) return undefined;
  return { at: row.at, ageMs: Math.max(0, row.age_ms) };
}
