import type { Kysely } from 'kysely';
import { toOperationError } from '../operations/operation-error.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import { selectedIds } from './dead-letter-ids.js';
import { idemTablesIn } from './idem-tables-in.js';
import { resolveDeadLetters } from './resolve-dead-letters.js';

/** Options of {@link purgeDeadLetters}: give `ids`, or `all: true`. */
export interface PurgeDeadLettersOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  readonly ids?: readonly string[];
  /** Every open dead letter (of `consumerGroup`, when given). */
  readonly all?: boolean;
  readonly consumerGroup?: string;
}

/** What {@link purgeDeadLetters} did. */
export interface PurgeReport {
  /** The ids marked purged. */
  readonly purgedIds: readonly string[];
  /** Ids asked for that were not open (unknown, already resolved, or of another group). */
  readonly notOpenIds: readonly string[];
}

/**
 * Gives up on open dead letters: marks them resolved with resolution `purged`. Nothing is
 * deleted, so the audit trail (body, reason, who failed) stays until retention deletes resolved
 * rows older than its window (`resolvedDeadLettersOlderThanMs`).
 *
 * @throws IdemError `INVALID_CONFIGURATION` unless exactly one of `ids` and `all` is given.
 */
export async function purgeDeadLetters<DB>(
  userDb: Kysely<DB>,
  options: PurgeDeadLettersOptions,
): Promise<PurgeReport> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const ids = selectedIds(options);
  try {
    const idem = idemTablesIn(db, schema);
    if (ids === 'all') {
      let purge = idem
        .updateTable('dead_letters')
        .set((eb) => ({ resolved_at: eb.fn<Date>('now'), resolution: 'purged' }))
        .where('resolved_at', 'is', null);
      if (options.consumerGroup !== undefined)
        purge = purge.where('consumer_group', '=', options.consumerGroup);
      const rows = await purge.returning('id').execute();
      return { purgedIds: rows.map((row) => String(row.id)).sort(byNumber), notOpenIds: [] };
    }
    const { consumerGroup } = options;
    const inGroup =
      consumerGroup === undefined
        ? ids
        : (
            await idem
              .selectFrom('dead_letters')
              .select('id')
              .where((eb) => eb('id', '=', eb.fn.any(eb.val(ids))))
              .where('consumer_group', '=', consumerGroup)
              .execute()
          ).map((row) => String(row.id));
    const purged = new Set(await resolveDeadLetters(db, schema, inGroup, 'purged'));
    return {
      purgedIds: ids.filter((id) => purged.has(id)),
      notOpenIds: ids.filter((id) => !purged.has(id)),
    };
  } catch (error) {
    throw toOperationError(error, schema, `mark dead letters purged in ${schema}.dead_letters`);
  }
}

function byNumber(a: string, b: string): number {
  return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
}
