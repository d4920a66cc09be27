import { type Kysely, sql } from 'kysely';
import { IdemError } from '../errors.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import { withSessionAdvisoryLock } from './advisory-lock.js';
import { idemTable } from './idem-table.js';
import { toOperationError } from './operation-error.js';

/** Options of {@link cleanupProcessedMessages}. Give `olderThanMs` or `dedupWindowMs`. */
export interface CleanupOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  /** Delete processed keys stored longer ago than this. */
  readonly olderThanMs?: number;
  /** Same as `olderThanMs`, named after the setting it enforces. */
  readonly dedupWindowMs?: number;
  /** Keys deleted per statement (and per transaction). Default 1000. */
  readonly batchSize?: number;
  /** Stop after this many batches; the next run goes on. Default 1000. */
  readonly maxBatches?: number;
  /** Only this consumer group's keys. Default: every group. */
  readonly consumerGroup?: string;
  /**
   * Also delete dead letters resolved (replayed or purged) longer ago than this. Off by default;
   * needs DELETE on `dead_letters`, which the runtime role does not have.
   */
  readonly resolvedDeadLettersOlderThanMs?: number;
  /** Stops the run between two batches. */
  readonly signal?: AbortSignal;
}

/** A cleanup that ran. */
export interface CleanupReport {
  readonly status: 'done';
  /** Processed keys deleted. */
  readonly deleted: number;
  readonly batches: number;
  readonly durationMs: number;
  /** Keys stored before this instant (database clock) were due for deletion. */
  readonly cutoff: Date;
  /** False when `maxBatches` or the signal stopped the run with due keys left. */
  readonly caughtUp: boolean;
  /** When the oldest remaining key was stored; `undefined` when none remain. */
  readonly oldestRemainingAt: Date | undefined;
  /**
   * The lag: age of the oldest remaining key. Stays near the window when retention keeps up and
   * grows past it when it does not.
   */
  readonly lagMs: number | undefined;
  /** Resolved dead letters deleted (with `resolvedDeadLettersOlderThanMs`). */
  readonly deadLettersDeleted: number;
}

/** A cleanup that did not run because another session holds the retention lock. */
export interface CleanupSkipped {
  readonly status: 'skipped';
  readonly skipped: 'another instance is cleaning';
}

/** What {@link cleanupProcessedMessages} resolved to. */
export type CleanupResult = CleanupReport | CleanupSkipped;

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_MAX_BATCHES = 1000;

/**
 * Deletes processed keys older than the window in small batches, each its own short
 * transaction, oldest first, so no statement holds locks or a snapshot for long and consumers
 * keep inserting meanwhile. Only one session per schema cleans at a time (a Postgres advisory
 * lock): a concurrent call resolves `{ status: 'skipped' }` at once instead of competing.
 *
 * A key deleted here no longer stops a duplicate: keep the window longer than the broker can
 * redeliver (see {@link checkDedupWindow}).
 *
 * @example
 * ```ts
 * const result = await cleanupProcessedMessages(db, { dedupWindowMs: 7 * 86_400_000 });
 * if (result.status === 'done') logger.info({ deleted: result.deleted, lagMs: result.lagMs }, 'retention');
 * ```
 * @throws IdemError `INVALID_CONFIGURATION` for bad options, `PERMISSION_DENIED` when the role
 *   lacks DELETE, or the database's retryable failure (`DATABASE_UNAVAILABLE`, ...).
 */
export async function cleanupProcessedMessages<DB>(
  db: Kysely<DB>,
  options: CleanupOptions,
): Promise<CleanupResult> {
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const windowMs = readWindow(options);
  const batchSize = positiveInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE);
  const maxBatches = positiveInteger('maxBatches', options.maxBatches ?? DEFAULT_MAX_BATCHES);
  const deadLetterWindowMs = options.resolvedDeadLettersOlderThanMs;
  if (deadLetterWindowMs !== undefined) nonNegative('resolvedDeadLettersOlderThanMs', deadLetterWindowMs);
  const processed = idemTable(schema, 'processed_messages');
  const deadLetters = idemTable(schema, 'dead_letters');
  const startedAt = performance.now();
  try {
    const outcome = await withSessionAdvisoryLock(
      db as unknown as Kysely<unknown>,
      `idem:retention:${schema}`,
      async (connection) => {
        const cutoff = await cutoffBefore(connection, windowMs);
        const group = options.consumerGroup;
        const groupFilter = group === undefined ? sql`` : sql`and consumer_group = ${group}`;
        let deleted = 0;
        let batches = 0;
        let caughtUp = false;
        while (batches < maxBatches && options.signal?.aborted !== true) {
          // The primary key finds each row again; the processed_at index feeds the oldest first.
          // No FOR UPDATE: it would need UPDATE on the table, and only this locked session
          // deletes committed keys, so there is nobody to skip.
          const result = await connection.transaction().execute(
            async (trx) =>
              await sql`
                delete from ${processed} p
                using (
                  select consumer_group, idempotency_key from ${processed}
                  where processed_at < ${cutoff} ${groupFilter}
                  order by processed_at
                  limit ${batchSize}
                ) due
                where p.consumer_group = due.consumer_group and p.idempotency_key = due.idempotency_key`.execute(
                trx,
              ),
          );
          const count = Number(result.numAffectedRows ?? 0n);
          batches += 1;
          deleted += count;
          if (count < batchSize) {
            caughtUp = true;
            break;
          }
        }
        const deadLettersDeleted =
          deadLetterWindowMs === undefined
            ? 0
            : await deleteResolvedDeadLetters(
                connection,
                deadLetters,
                deadLetterWindowMs,
                batchSize,
                options,
              );
        const oldest = await sql<{ oldest: Date | null; age_ms: number | null }>`
          select min(processed_at) as oldest,
                 (extract(epoch from now() - min(processed_at)) * 1000)::float8 as age_ms
          from ${processed} where true ${groupFilter}`.execute(connection);
        const row = oldest.rows[0];
        return {
          status: 'done',
          deleted,
          batches,
          durationMs: performance.now() - startedAt,
          cutoff,
          caughtUp,
          oldestRemainingAt: row?.oldest ?? undefined,
          lagMs: row?.age_ms ?? undefined,
          deadLettersDeleted,
        } satisfies CleanupReport;
      },
    );
    return outcome.acquired ? outcome.value : { status: 'skipped', skipped: 'another instance is cleaning' };
  } catch (error) {
    throw toOperationError(error, schema, `delete expired keys from ${schema}.processed_messages`);
  }
}

async function deleteResolvedDeadLetters(
  connection: Kysely<unknown>,
  deadLetters: ReturnType<typeof idemTable>,
  windowMs: number,
  batchSize: number,
  options: CleanupOptions,
): Promise<number> {
  const cutoff = await cutoffBefore(connection, windowMs);
  const groupFilter =
    options.consumerGroup === undefined ? sql`` : sql`and consumer_group = ${options.consumerGroup}`;
  let deleted = 0;
  while (options.signal?.aborted !== true) {
    // Open dead letters are never deleted here, whatever their age: only resolved ones expire.
    const result = await sql`
      delete from ${deadLetters} where id in (
        select id from ${deadLetters}
        where resolved_at is not null and resolved_at < ${cutoff} ${groupFilter}
        order by id limit ${batchSize})`.execute(connection);
    const count = Number(result.numAffectedRows ?? 0n);
    deleted += count;
    if (count < batchSize) break;
  }
  return deleted;
}

// The database's clock decides what is old, so instances with skewed clocks agree.
async function cutoffBefore(connection: Kysely<unknown>, windowMs: number): Promise<Date> {
  const result = await sql<{ cutoff: Date }>`
    select now() - make_interval(secs => ${windowMs / 1000}::float8) as cutoff`.execute(connection);
  const cutoff = result.rows[0]?.cutoff;
  if (cutoff === undefined) throw new Error('now() returned no row');
  return cutoff;
}

function readWindow(options: CleanupOptions): number {
  const { olderThanMs, dedupWindowMs } = options;
  if ((olderThanMs === undefined) === (dedupWindowMs === undefined)) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      'give exactly one of olderThanMs and dedupWindowMs: how old a processed key must be to be deleted',
    );
  }
  return nonNegative(
    olderThanMs === undefined ? 'dedupWindowMs' : 'olderThanMs',
    olderThanMs ?? dedupWindowMs,
  );
}

function nonNegative(name: string, value: number | undefined): number {
  if (value === undefined || !Number.isFinite(value) || value < 0) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `${name} must be a non-negative number of milliseconds, got ${value}`,
    );
  }
  return value;
}

function positiveInteger(name: string, value: number): number {
  if (!Number.isInteger(value) || value < 1) {
    throw new IdemError('INVALID_CONFIGURATION', `${name} must be an integer >= 1, got ${value}`);
  }
  return value;
}
