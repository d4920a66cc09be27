import { type Kysely, sql } from 'kysely';
import { IdemError } from '../errors.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import { idemTable } from './idem-table.js';
import { toOperationError } from './operation-error.js';
import { assertDeadLetterId } from './read-dead-letters.js';
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
  db: Kysely<DB>,
  options: PurgeDeadLettersOptions,
): Promise<PurgeReport> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const ids = selectedIds(options);
  const conn = db as unknown as Kysely<unknown>;
  try {
    if (ids === 'all') {
      const groupFilter =
        options.consumerGroup === undefined ? sql`` : sql`and consumer_group = ${options.consumerGroup}`;
      const result = await sql<{ id: string }>`
        update ${idemTable(schema, 'dead_letters')} set resolved_at = now(), resolution = 'purged'
        where resolved_at is null ${groupFilter} returning id`.execute(conn);
      return { purgedIds: result.rows.map((row) => String(row.id)).sort(byNumber), notOpenIds: [] };
    }
    const inGroup =
      options.consumerGroup === undefined
        ? ids
        : (
            await sql<{ id: string }>`
              select id from ${idemTable(schema, 'dead_letters')}
              where id = any(${ids}::bigint[]) and consumer_group = ${options.consumerGroup}`.execute(conn)
          ).rows.map((row) => String(row.id));
    const purged = new Set(await resolveDeadLetters(conn, schema, inGroup, 'purged'));
    return {
      purgedIds: ids.filter((id) => purged.has(id)),
      notOpenIds: ids.filter((id) => !purged.has(id)),
    };
  } catch (error) {
    throw toOperationError(error, schema, `mark dead letters purged in ${schema}.dead_letters`);
  }
}

/** `all`, or the distinct valid ids; one of the two must be given. */
export function selectedIds(options: {
  readonly ids?: readonly string[];
  readonly all?: boolean;
}): string[] | 'all' {
  const hasIds = options.ids !== undefined && options.ids.length > 0;
  if (hasIds === (options.all === true)) {
    throw new IdemError('INVALID_CONFIGURATION', 'give dead letter ids, or all: true (not both)');
  }
  if (options.all === true) return 'all';
  const ids = [...new Set(options.ids)];
  for (const id of ids) assertDeadLetterId(id);
  return ids;
}

function byNumber(a: string, b: string): number {
  return BigInt(a) < BigInt(b) ? -1 : BigInt(a) > BigInt(b) ? 1 : 0;
}
