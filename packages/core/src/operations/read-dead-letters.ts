import { type Kysely, sql } from 'kysely';
import { IdemError } from '../errors.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import {
  type DeadLetter,
  type DeadLetterRow,
  type DeadLetterSummary,
  toDeadLetterSummary,
} from './dead-letter-record.js';
import { idemTable } from './idem-table.js';
import { toOperationError } from './operation-error.js';

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

const SUMMARY_COLUMNS = sql`id, consumer_group, idempotency_key, message_id, topic, tag, keys, properties,
  message_group, transport, born_at, delivery_attempt, handler, reason, error_message, occurrences,
  first_dead_lettered_at, last_dead_lettered_at, resolved_at, resolution, octet_length(body) as body_bytes`;

/**
 * Lists dead letters, newest first, without their bodies (see {@link getDeadLetter}); only open
 * ones unless `includeResolved`.
 */
export async function listDeadLetters<DB>(
  db: Kysely<DB>,
  options: ListDeadLettersOptions = {},
): Promise<DeadLetterSummary[]> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1) {
    throw new IdemError('INVALID_CONFIGURATION', `limit must be an integer >= 1, got ${limit}`);
  }
  const filters = [
    options.includeResolved === true ? undefined : sql`resolved_at is null`,
    options.consumerGroup === undefined ? undefined : sql`consumer_group = ${options.consumerGroup}`,
    options.topic === undefined ? undefined : sql`topic = ${options.topic}`,
    options.reason === undefined ? undefined : sql`reason = ${options.reason}`,
  ].filter((filter) => filter !== undefined);
  const where = filters.length === 0 ? sql`` : sql`where ${sql.join(filters, sql` and `)}`;
  try {
    const result = await sql<DeadLetterRow>`
      select ${SUMMARY_COLUMNS} from ${idemTable(schema, 'dead_letters')}
      ${where} order by id desc limit ${limit}`.execute(db);
    return result.rows.map(toDeadLetterSummary);
  } catch (error) {
    throw toOperationError(error, schema, `read ${schema}.dead_letters`);
  }
}

/** One dead letter with its body, or `undefined` when no row has this id. */
export async function getDeadLetter<DB>(
  db: Kysely<DB>,
  id: string,
  options: GetDeadLetterOptions = {},
): Promise<DeadLetter | undefined> {
  const [found] = await getDeadLetters(db, [id], options.schema ?? DEFAULT_SCHEMA);
  return found;
}

/** The dead letters with these ids (those that exist), with bodies, in id order. */
export async function getDeadLetters<DB>(
  db: Kysely<DB>,
  ids: readonly string[],
  schema: string,
): Promise<DeadLetter[]> {
  for (const id of ids) assertDeadLetterId(id);
  if (ids.length === 0) return [];
  try {
    const result = await sql<DeadLetterRow & { body: Buffer; original_headers: string | null }>`
      select ${SUMMARY_COLUMNS}, body, original_headers from ${idemTable(schema, 'dead_letters')}
      where id = any(${[...ids]}::bigint[]) order by id`.execute(db);
    return result.rows.map((row) => ({
      ...toDeadLetterSummary(row),
      body: row.body,
      ...(row.original_headers === null ? {} : { originalHeaders: row.original_headers }),
    }));
  } catch (error) {
    throw toOperationError(error, schema, `read ${schema}.dead_letters`);
  }
}

/**
 * Rejects an id that is not a dead letter's row id (a positive integer).
 *
 * @throws IdemError `INVALID_CONFIGURATION`.
 */
export function assertDeadLetterId(id: string): void {
  if (!/^[1-9]\d{0,18}$/.test(id)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `dead letter id ${JSON.stringify(id)} is not a row id (a positive integer)`,
    );
  }
}
