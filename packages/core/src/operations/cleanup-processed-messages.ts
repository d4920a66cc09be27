import { type Kysely, sql } from 'kysely';
import { IdemError } from '../errors.js';
import { assertSchemaName, DEFAULT_SCHEMA } from '../schema-name.js';
import { withSessionAdvisoryLock } from './advisory-lock.js';
import { DEFAULT_DEDUP_WINDOW_MS } from './check-dedup-window.js';
import { idemTable } from './idem-table.js';
import { toOperationError } from './operation-error.js';
import { readOldestProcessedKey } from './read-oldest-processed-key.js';

/** Options of {@link cleanupProcessedMessages}. */
export interface CleanupOptions {
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  /** Keys are kept at least this long. Default {@link DEFAULT_DEDUP_WINDOW_MS} (4 days). */
  readonly dedupWindowMs?: number;
  /** Same as `dedupWindowMs` (the `idem cleanup --older-than` name); give one of them. */
  readonly olderThanMs?: number;
  /**
   * Length of one time slice: new slices are created this far apart and a whole slice is dropped
   * at once, so disk holds up to the window plus one slice. Default: a quarter of the window.
   */
  readonly sliceMs?: number;
  /** Slices created ahead of time, so a late run never leaves consumers without one. Default 2. */
  readonly slicesAhead?: number;
  /**
   * Longest wait for a lock (attaching or dropping a slice, emptying the legacy table). Dropping
   * needs ACCESS EXCLUSIVE, and claims that arrive while it waits queue behind it: so the wait is
   * short, and a step that would wait longer (a long transaction still reads the slice) is tried
   * again (three tries in all) in this run, then deferred to the next run. Default 100.
   */
  readonly lockTimeoutMs?: number;
  /** Dead letters deleted per statement. Default 1000. */
  readonly batchSize?: number;
  /** Stop deleting dead letters after this many batches; the next run goes on. Default 1000. */
  readonly maxBatches?: number;
  /**
   * Also delete dead letters resolved (replayed or purged) longer ago than this. Off by default;
   * needs DELETE on `dead_letters`, which the runtime role does not have.
   */
  readonly resolvedDeadLettersOlderThanMs?: number;
  /** Stops the dead-letter deletion between two batches. */
  readonly signal?: AbortSignal;
}

/** A retention run that happened. */
export interface CleanupReport {
  readonly status: 'done';
  /** Processed keys removed with the slices (and the legacy table), as Postgres estimates them. */
  readonly deleted: number;
  readonly slicesCreated: number;
  readonly slicesDropped: number;
  /** True when the pre-upgrade table was emptied because all its keys were past the window. */
  readonly legacyTruncated: boolean;
  /** Steps put off because a lock was not free within `lockTimeoutMs`; the next run retries. */
  readonly deferred: number;
  /** Dead-letter delete statements run. */
  readonly batches: number;
  readonly durationMs: number;
  /** Slices that ended before this instant (database clock) were due. */
  readonly cutoff: Date;
  /** False when a step was deferred or `maxBatches` stopped the dead-letter deletion. */
  readonly caughtUp: boolean;
  /** The start of the oldest slice still stored (no key is older), `undefined` when none. */
  readonly oldestRemainingAt: Date | undefined;
  /** Age of `oldestRemainingAt`: stays below window + slice while retention keeps up. */
  readonly lagMs: number | undefined;
  /** Resolved dead letters deleted (with `resolvedDeadLettersOlderThanMs`). */
  readonly deadLettersDeleted: number;
}

/** A run that did not happen because another session holds the retention lock. */
export interface CleanupSkipped {
  readonly status: 'skipped';
  readonly skipped: 'another instance is cleaning';
}

/** What {@link cleanupProcessedMessages} resolved to. */
export type CleanupResult = CleanupReport | CleanupSkipped;

const DEFAULT_BATCH_SIZE = 1000;
const DEFAULT_MAX_BATCHES = 1000;
const DEFAULT_LOCK_TIMEOUT_MS = 100;
const DEFAULT_SLICES_AHEAD = 2;
/** Rotations tried in one run while a lock is busy; the transactions in the way usually end soon. */
const LOCK_ATTEMPTS = 3;
/** Pause between two tries, long enough for claims queued behind a try to drain. */
const LOCK_RETRY_PAUSE_MS = 250;

/**
 * Applies the dedup window in O(1) per time slice: creates the slices of `processed_keys`
 * ahead of time and drops every slice whose keys are all older than the window, whole (no row is
 * deleted one by one), and empties the pre-upgrade legacy table once it has aged out. Only one
 * session per schema runs it at a time (a Postgres advisory lock): a concurrent call resolves
 * `{ status: 'skipped' }` at once.
 *
 * A key dropped here no longer stops a duplicate: keep the window longer than the broker can
 * redeliver (see {@link checkDedupWindow}). Keys stay between one window and one window plus a
 * slice.
 *
 * @example
 * ```ts
 * const result = await cleanupProcessedMessages(db, { dedupWindowMs: 7 * 86_400_000 });
 * if (result.status === 'done') logger.info({ dropped: result.slicesDropped, lagMs: result.lagMs }, 'retention');
 * ```
 * @throws IdemError `INVALID_CONFIGURATION` for bad options, `PERMISSION_DENIED` when the role
 *   may not run the retention function, or the database's retryable failure.
 */
export async function cleanupProcessedMessages<DB>(
  userDb: Kysely<DB>,
  options: CleanupOptions = {},
): Promise<CleanupResult> {
  // Idem's statements run without the user's plugins (see idemTablesIn).
  const db = userDb.withoutPlugins();
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const windowMs = readWindow(options);
  const sliceMs = positive('sliceMs', options.sliceMs ?? windowMs / 4);
  const ahead = positiveInteger('slicesAhead', options.slicesAhead ?? DEFAULT_SLICES_AHEAD);
  const lockTimeoutMs = positiveInteger('lockTimeoutMs', options.lockTimeoutMs ?? DEFAULT_LOCK_TIMEOUT_MS);
  const batchSize = positiveInteger('batchSize', options.batchSize ?? DEFAULT_BATCH_SIZE);
  const maxBatches = positiveInteger('maxBatches', options.maxBatches ?? DEFAULT_MAX_BATCHES);
  const deadLetterWindowMs = options.resolvedDeadLettersOlderThanMs;
  if (deadLetterWindowMs !== undefined) nonNegative('resolvedDeadLettersOlderThanMs', deadLetterWindowMs);
  const rotate = sql.id(schema, 'rotate_processed_messages');
  assertSchemaName(schema);
  const startedAt = performance.now();
  try {
    const outcome = await withSessionAdvisoryLock(
      db as unknown as Kysely<unknown>,
      `idem:retention:${schema}`,
      async (connection) => {
        const row = await rotateUntilDone(connection, rotate, {
          windowMs,
          sliceMs,
          ahead,
          lockTimeoutMs,
          signal: options.signal,
        });
        const deadLetters =
          deadLetterWindowMs === undefined
            ? { deleted: 0, batches: 0, caughtUp: true }
            : await deleteResolvedDeadLetters(connection, schema, deadLetterWindowMs, {
                batchSize,
                maxBatches,
                signal: options.signal,
              });
        const oldest = await readOldestProcessedKey(connection, schema);
        return {
          status: 'done',
          deleted: Number(row.dropped_keys) + Number(row.legacy_keys),
          slicesCreated: row.created,
          slicesDropped: row.dropped,
          legacyTruncated: row.legacy_truncated,
          deferred: row.deferred,
          batches: deadLetters.batches,
          durationMs: performance.now() - startedAt,
          cutoff: row.cutoff,
          caughtUp: row.deferred === 0 && deadLetters.caughtUp,
          oldestRemainingAt: oldest?.at,
          lagMs: oldest?.ageMs,
          deadLettersDeleted: deadLetters.deleted,
        } satisfies CleanupReport;
      },
    );
    return outcome.acquired ? outcome.value : { status: 'skipped', skipped: 'another instance is cleaning' };
  } catch (error) {
    throw toOperationError(error, schema, `rotate the slices of ${schema}.processed_keys`);
  }
}

interface RotationRow {
  created: number;
  dropped: number;
  dropped_keys: string;
  deferred: number;
  legacy_truncated: boolean;
  legacy_keys: string;
  cutoff: Date;
}

interface RotationPlan {
  readonly windowMs: number;
  readonly sliceMs: number;
  readonly ahead: number;
  readonly lockTimeoutMs: number;
  readonly signal: AbortSignal | undefined;
}

/**
 * Runs the rotation function, each call its own short transaction, until nothing is deferred and
 * nothing detached is left, or a lock stayed busy for {@link LOCK_ATTEMPTS} calls; sums what the
 * calls did and keeps the last one's deferred steps. A call that detached slices is followed at
 * once by one that drops them, outside any lock claims take. Pausing after a busy lock, instead of
 * one long lock wait, lets the claims that queued behind the try through, so they wait at most
 * `lockTimeoutMs` each time.
 */
async function rotateUntilDone(
  connection: Kysely<unknown>,
  rotate: ReturnType<typeof sql.id>,
  { windowMs, sliceMs, ahead, lockTimeoutMs, signal }: RotationPlan,
): Promise<RotationRow> {
  let total: RotationRow | undefined;
  let busy = 0;
  for (;;) {
    const rotated = await sql<RotationRow>`
      select r.*, now() - make_interval(secs => ${windowMs / 1000}::float8) as cutoff
      from ${rotate}(
        make_interval(secs => ${windowMs / 1000}::float8),
        make_interval(secs => ${sliceMs / 1000}::float8),
        ${ahead}::integer, ${`${lockTimeoutMs}ms`}::text) r`.execute(connection);
    const row = rotated.rows[0];
    if (row === undefined) throw new Error('rotate_processed_messages returned no row');
    total =
      total === undefined
        ? row
        : {
            ...row,
            created: total.created + row.created,
            dropped: total.dropped + row.dropped,
            dropped_keys: String(Number(total.dropped_keys) + Number(row.dropped_keys)),
            legacy_truncated: total.legacy_truncated || row.legacy_truncated,
            legacy_keys: String(Number(total.legacy_keys) + Number(row.legacy_keys)),
          };
    if (row.deferred > 0) {
      busy += 1;
      if (busy >= LOCK_ATTEMPTS || signal?.aborted === true) return total;
      await new Promise((resolve) => setTimeout(resolve, LOCK_RETRY_PAUSE_MS));
    } else if (row.dropped === 0) {
      return total;
    }
  }
}

interface DeadLetterDeletion {
  readonly batchSize: number;
  readonly maxBatches: number;
  readonly signal: AbortSignal | undefined;
}

async function deleteResolvedDeadLetters(
  connection: Kysely<unknown>,
  schema: string,
  windowMs: number,
  { batchSize, maxBatches, signal }: DeadLetterDeletion,
): Promise<{ deleted: number; batches: number; caughtUp: boolean }> {
  const deadLetters = idemTable(schema, 'dead_letters');
  let deleted = 0;
  let batches = 0;
  while (batches < maxBatches && signal?.aborted !== true) {
    // Open dead letters are never deleted here, whatever their age: only resolved ones expire.
    // Each statement is its own short transaction, so it holds its row locks briefly.
    const result = await sql`
      delete from ${deadLetters} where id in (
        select id from ${deadLetters}
        where resolved_at is not null
          and resolved_at < now() - make_interval(secs => ${windowMs / 1000}::float8)
        order by id limit ${batchSize})`.execute(connection);
    const count = Number(result.numAffectedRows ?? 0n);
    deleted += count;
    batches += 1;
    if (count < batchSize) return { deleted, batches, caughtUp: true };
  }
  return { deleted, batches, caughtUp: false };
}

function readWindow(options: CleanupOptions): number {
  const { olderThanMs, dedupWindowMs } = options;
  if (olderThanMs !== undefined && dedupWindowMs !== undefined) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      'give at most one of olderThanMs and dedupWindowMs: how long a processed key is kept',
    );
  }
  if ('consumerGroup' in options) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      'consumerGroup is no longer supported: retention drops whole time slices, which hold every group',
    );
  }
  return nonNegative(
    olderThanMs === undefined ? 'dedupWindowMs' : 'olderThanMs',
    olderThanMs ?? dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS,
  );
}

function nonNegative(name: string, value: number): number {
  if (!Number.isFinite(value) || value < 0) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `${name} must be a non-negative number of milliseconds, got ${value}`,
    );
  }
  return value;
}

function positive(name: string, value: number): number {
  if (!Number.isFinite(value) || value <= 0) {
    throw new IdemError(
      'INVALID_CONFIGURATION',
      `${name} must be a positive number of milliseconds, got ${value}`,
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
