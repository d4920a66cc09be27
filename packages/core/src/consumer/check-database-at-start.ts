import { IdemError } from '../errors.js';
import type { Logger } from '../logger.js';
import type { Processor } from '../processor/create-processor.js';
import { createBackoff, sleep } from './backoff.js';

/**
 * What `start()` does when Postgres does not answer: `wait` until it does (the default), or
 * `fail` at once with `DATABASE_UNAVAILABLE`.
 */
export type DatabaseUnavailableAtStart = 'wait' | 'fail';

/** Options of {@link checkDatabaseAtStart}. */
export interface CheckDatabaseAtStartOptions {
  readonly processor: Pick<Processor, 'schema' | 'checkDatabase' | 'checkSchemaVersion'>;
  readonly onUnavailable: DatabaseUnavailableAtStart;
  readonly logger: Logger;
  /** Aborted by `stop()`: ends a wait, and the check rejects with `STARTUP_FAILED`. */
  readonly signal: AbortSignal;
  readonly fields: Record<string, unknown>;
  /** Longest pause between two attempts while waiting. Default 2 s. */
  readonly maxRetryDelayMs?: number;
}

/**
 * Resolves once Postgres answered, Idem's schema is at the version this `@idem/core` needs and
 * Idem's tables can be read. Rejects with the coded error when the schema is not migrated or the
 * role may not read the tables (no wait fixes a deployment mistake unattended, so it is said at
 * once); when Postgres is unreachable, rejects with `DATABASE_UNAVAILABLE` under `fail`, or logs
 * one warn line, retries quietly, and logs one info line when it answers under `wait`.
 */
export async function checkDatabaseAtStart(options: CheckDatabaseAtStartOptions): Promise<void> {
  const { processor, logger, signal, fields } = options;
  const backoff = createBackoff({ initialMs: 100, maxMs: options.maxRetryDelayMs ?? 2000 });
  let waitingSince: number | undefined;
  for (;;) {
    // The version check first: against a missing schema the probe's error is less precise.
    const problem = (await processor.checkSchemaVersion()) ?? (await processor.checkDatabase());
    if (problem === undefined) {
      if (waitingSince !== undefined) {
        const waitedMs = Date.now() - waitingSince;
        logger.info(
          { ...fields, waitedMs },
          `Postgres answered after ${(waitedMs / 1000).toFixed(1)} s and schema "${processor.schema}" is current; starting to consume`,
        );
      }
      return;
    }
    if (problem.code !== 'DATABASE_UNAVAILABLE') {
      throw new IdemError(problem.code, `cannot start consuming: ${problem.message}`, { cause: problem });
    }
    const cause = causeOf(problem);
    if (options.onUnavailable === 'fail') {
      throw new IdemError(
        'DATABASE_UNAVAILABLE',
        `cannot start consuming: Postgres is unreachable (${cause}); check the database URL and that the server runs, or leave onDatabaseUnavailableAtStart at 'wait' to start once it answers`,
        { retryable: true, cause: problem },
      );
    }
    if (waitingSince === undefined) {
      waitingSince = Date.now();
      logger.warn(
        { ...fields, code: problem.code, error: cause },
        `Postgres is unreachable at start (${cause}); waiting for it before consuming, retrying quietly`,
      );
    }
    await sleep(backoff.next(), signal);
    if (signal.aborted) {
      throw new IdemError(
        'STARTUP_FAILED',
        `stop() was called while start() waited for Postgres (${cause}); nothing was consumed`,
        { cause: problem },
      );
    }
  }
}

/** The driver's own words (`connect ECONNREFUSED 127.0.0.1:5432`), not Idem's wrapping. */
function causeOf(error: IdemError): string {
  const cause = error.cause;
  if (cause instanceof Error && cause.message !== '') return cause.message;
  if (cause instanceof AggregateError) return cause.errors.map(String).join('; ');
  return error.message;
}
