import { type Kysely, sql } from 'kysely';
import type { DeadLetterResolution } from './dead-letter-record.js';
import { idemTable } from './idem-table.js';

/**
 * Closes open dead letters with a resolution and returns the ids it closed. An id already
 * resolved is left as it was, so two operators acting at once cannot resolve a row twice.
 * The row stays for the audit trail; retention deletes resolved rows once they are old.
 */
export async function resolveDeadLetters(
  db: Kysely<unknown>,
  schema: string,
  ids: readonly string[],
  resolution: DeadLetterResolution,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const result = await sql<{ id: string }>`
    update ${idemTable(schema, 'dead_letters')} set resolved_at = now(), resolution = ${resolution}
    where id = any(${[...ids]}::bigint[]) and resolved_at is null
    returning id`.execute(db);
  return result.rows.map((row) => String(row.id));
}
