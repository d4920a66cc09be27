import type { Kysely } from 'kysely';
import type { DeadLetterResolution } from './dead-letter.js';
import { idemTablesIn } from './idem-tables-in.js';

/**
 * Closes open dead letters with a resolution and returns the ids it closed. An id already
 * resolved is left as it was, so two operators acting at once cannot resolve a row twice.
 * The row stays for the audit trail; retention deletes resolved rows once they are old.
 */
export async function resolveDeadLetters<DB>(
  userDb: Kysely<DB>,
  schema: string,
  ids: readonly string[],
  resolution: DeadLetterResolution,
): Promise<string[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  if (ids.length === 0) return [];
  const rows = await idemTablesIn(db, schema)
    .updateTable('dead_letters')
    .set((eb) => ({ resolved_at: eb.fn<Date>('now'), resolution }))
    .where((eb) => eb('id', '=', eb.fn.any(eb.val([...ids]))))
    .where('resolved_at', 'is', null)
    .returning('id')
    .execute();
  return rows.map((row) => String(row.id));
}
