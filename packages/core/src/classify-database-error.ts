import { isAbortedTransactionError } from 'kysely';
import { IdemError, toError } from './errors.js';

// SQLSTATE codes (https://www.postgresql.org/docs/current/errcodes-appendix.html) that mean the
// database, not the handler, is at fault: trying again later can succeed unchanged.
const UNAVAILABLE_CLASSES = ['08', '53', '58'];
const UNAVAILABLE_CODES = new Set(['57P01', '57P02', '57P03', '57P04', '57P05']);
const CONFLICT_CODES = new Set(['40001', '40P01']);
const LOCK_TIMEOUT_CODE = '55P03';
const MISSING_RELATION_CODES = new Set(['42P01', '3F000']);

// node-postgres reports a lost connection as a plain Error without SQLSTATE.
const CONNECTION_MESSAGES = [
  /connection terminated/i,
  /connection (?:was )?(?:closed|ended)/i,
  /not queryable/i,
  /timeout exceeded when trying to connect/i,
  /cannot use a pool after calling end/i,
  /the database system is (?:starting up|shutting down|in recovery mode)/i,
];
const NETWORK_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Classifies an error raised while talking to Postgres: returns a retryable {@link IdemError}
 * when the database is at fault (unreachable, restarting, serialization conflict, lock timeout,
 * schema missing), or `undefined` when the error belongs to whoever issued the statement.
 *
 * This is the only place that reads SQLSTATE codes.
 */
export function classifyDatabaseError(error: unknown): IdemError | undefined {
  if (error instanceof IdemError) return error.retryable ? error : undefined;
  const err = toError(error);
  const rawCode = (err as { code?: unknown }).code;
  const code = typeof rawCode === 'string' ? rawCode : '';
  if (code.length === 5) {
    if (CONFLICT_CODES.has(code)) {
      return new IdemError(
        'TRANSACTION_CONFLICT',
        `the transaction hit a conflict (SQLSTATE ${code}); it will be retried`,
        {
          retryable: true,
          cause: err,
        },
      );
    }
    if (code === LOCK_TIMEOUT_CODE) {
      return new IdemError(
        'LOCK_TIMEOUT',
        'waited longer than lockTimeoutMs for a lock, usually the same key being processed by a concurrent delivery; it will be retried',
        { retryable: true, cause: err },
      );
    }
    if (UNAVAILABLE_CODES.has(code) || UNAVAILABLE_CLASSES.includes(code.slice(0, 2))) {
      return unavailable(err, `SQLSTATE ${code}`);
    }
    return undefined;
  }
  if (NETWORK_CODES.has(code)) return unavailable(err, code);
  if (CONNECTION_MESSAGES.some((pattern) => pattern.test(err.message)))
    return unavailable(err, 'connection lost');
  return undefined;
}

/**
 * Classifies an error raised by one of Idem's own statements. Those statements are known to be
 * valid, so any failure is the database's: a missing table means the migrations did not run.
 */
export function classifyOwnStatementError(error: unknown, schema: string): IdemError {
  const classified = classifyDatabaseError(error);
  if (classified !== undefined) return classified;
  const err = toError(error);
  const code = (err as { code?: unknown }).code;
  // Retryable for the consumer: it pauses until someone grants, rather than burning attempts.
  if (isInsufficientPrivilege(err)) {
    return new IdemError(
      'PERMISSION_DENIED',
      `the database role lacks a privilege on Idem's tables in schema "${schema}" (${err.message}): grant it (see docs/operations.md, "Least-privilege roles") or run \`idem doctor\` to list what is missing`,
      { retryable: true, cause: err },
    );
  }
  if (typeof code === 'string' && MISSING_RELATION_CODES.has(code)) {
    return new IdemError(
      'SCHEMA_NOT_MIGRATED',
      `Idem's tables are missing in schema "${schema}" (${err.message}): run \`idem migrate\` or call migrateToLatest(db) before consuming`,
      { retryable: true, cause: err },
    );
  }
  return new IdemError('INTERNAL_ERROR', `Idem's own statement failed unexpectedly: ${err.message}`, {
    retryable: true,
    cause: err,
  });
}

function unavailable(cause: Error, what: string): IdemError {
  return new IdemError(
    'DATABASE_UNAVAILABLE',
    `Postgres is unreachable or restarting (${what}: ${cause.message}); consumption pauses until it answers again`,
    { retryable: true, cause },
  );
}

// SQLSTATE class 22 (data exception: NUL in text, invalid encoding, a value out of range) and
// 54000 (program limit exceeded: an index row over the btree limit) are raised by the values a
// statement carries: the same message fails the same way on every attempt.
const MESSAGE_DATA_CLASS = '22';
const PROGRAM_LIMIT_EXCEEDED = '54000';

/**
 * Classifies an error that the message's own data caused (SQLSTATE class 22 or 54000): returns
 * a permanent (not retryable) `MESSAGE_DATA_REJECTED` {@link IdemError}, or `undefined` for any
 * other error. Such a message is dead-lettered alone; treating it as a database outage would
 * pause consumption forever.
 */
export function classifyMessageDataError(error: unknown): IdemError | undefined {
  if (error instanceof IdemError) return error.code === 'MESSAGE_DATA_REJECTED' ? error : undefined;
  const err = toError(error);
  const code = (err as { code?: unknown }).code;
  if (typeof code !== 'string' || code.length !== 5) return undefined;
  if (!code.startsWith(MESSAGE_DATA_CLASS) && code !== PROGRAM_LIMIT_EXCEEDED) return undefined;
  return new IdemError(
    'MESSAGE_DATA_REJECTED',
    `Postgres refused the message's data (SQLSTATE ${code}: ${err.message}); retrying cannot fix it`,
    { cause: err },
  );
}

/**
 * True when a handler caught a failed statement and went on: the transaction was already
 * aborted, so a later statement fails with SQLSTATE 25P02, or COMMIT comes back as ROLLBACK
 * (kysely's `AbortedTransactionError`). Without this check such a message would be acked with
 * nothing written.
 */
export function isSwallowedStatementFailure(error: unknown): boolean {
  return isAbortedTransactionError(error) || (error as { code?: unknown } | undefined)?.code === '25P02';
}

/** True for SQLSTATE 42501: the role lacks a privilege; retrying will not help, a GRANT will. */
export function isInsufficientPrivilege(error: unknown): boolean {
  return (error as { code?: unknown } | undefined)?.code === '42501';
}
