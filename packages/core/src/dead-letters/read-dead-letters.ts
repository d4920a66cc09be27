import type { Kysely } from 'kysely';
import { IdemError } from '../errors.js';
import { toOperationError } from '../operations/operation-error.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import type { DeadLetter, DeadLetterSummary } from './dead-letter.js';
import { assertDeadLetterId } from './dead-letter-ids.js';
import { idemTablesIn } from './idem-tables-in.js';
import {
  selectDeadLetterSummaries,
  selectDeadLetters,
  toDeadLetter,
  toDeadLetterSummary,
} from './select-dead-letters.js';

/** Options of {@link listDeadLetters}. */
export interface ListDeadLettersOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  readonly consumerGroup?: string;
  readonly topic?: string;
  /** Only this reason (error code), e.g. `BODY_DECODE_FAILED`. */
  readonly reason?: string;
  /** Also list replayed and purged ones. Default false: open dead letters only. */
  readonly includeResolved?: boolean;
  /** At most this many, newest first (by id: the order they were first dead-lettered). Default 100. */
  readonly limit?: number;
}

/** Options of {@link getDeadLetter}. */
export interface GetDeadLetterOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
}

/**
 * Lists dead letters, newest first, without their bodies (see {@link getDeadLetter}); only open
 * ones unless `includeResolved`.
 */
export async function listDeadLetters<DB>(
  userDb: Kysely<DB>,
  options: ListDeadLettersOptions = {},
): Promise<DeadLetterSummary[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new IdemError('INVALID_CONFIGURATION', `limit must be an integer >= 1, got ${limit}`);
  }
  try {
    let query = selectDeadLetterSummaries(idemTablesIn(db, schema)).orderBy('id', 'desc').limit(limit);
    if (options.includeResolved !== true) query = query.where('resolved_at', 'is', null);
    if (options.consumerGroup !== undefined)
      query = query.where('consumer_group', '=', options.consumerGroup);
    if (options.topic !== undefined) query = query.where('topic', '=', options.topic);
    if (options.reason !== undefined) query = query.where('reason', '=', options.reason);
    const rows = await query.execute();
    return rows.map(toDeadLetterSummary);
  } catch (error) {
    throw toOperationError(error, schema, `read ${schema}.dead_letters`);
  }
}

/** One dead letter with its body, or `undefined` when no row has this id. */
export async function getDeadLetter<DB>(
  userDb: Kysely<DB>,
  id: string,
  options: GetDeadLetterOptions = {},
): Promise<DeadLetter | undefined> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const [found] = await getDeadLetters(db, [id], options.schema ?? DEFAULT_SCHEMA);
  return found;
}

/** The dead letters with these ids (those that exist), with bodies, in id order. */
export async function getDeadLetters<DB>(
  userDb: Kysely<DB>,
  ids: readonly string[],
  schema: string,
): Promise<DeadLetter[]> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  for (const id of ids) assertDeadLetterId(id);
  if (ids.length === 0) return [];
  try {
    const rows = await selectDeadLetters(idemTablesIn(db, schema))
      // One array parameter however many ids: `= any($1)`, not a list of placeholders.
      .where((eb) => eb('id', '=', eb.fn.any(eb.val([...ids]))))
      .orderBy('id')
      .execute();
    return rows.map(toDeadLetter);
  } catch (error) {
    throw toOperationError(error, schema, `read ${schema}.dead_letters`);
  }
}
