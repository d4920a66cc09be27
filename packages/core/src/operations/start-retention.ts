import type { Kysely } from 'kysely';
import { IdemError, toError } from '../errors.js';
import { type Logger, silentLogger } from '../logger.js';
import { DEFAULT_SCHEMA } from '../schema-name.js';
import { checkDedupWindow, DEFAULT_DEDUP_WINDOW_MS } from './check-dedup-window.js';
import { type CleanupResult, cleanupProcessedMessages } from './cleanup-processed-messages.js';

/** Options of {@link startRetention}. */
export interface RetentionOptions<DB = unknown> {
  readonly db: Kysely<DB>;
  /** The Postgres schema of Idem's tables. Default `idem`. */
  readonly schema?: string;
  /** Processed keys are kept at least this long. Default 4 days ({@link DEFAULT_DEDUP_WINDOW_MS}). */
  readonly dedupWindowMs?: number;
  /** Length of one time slice (keys are kept up to window + slice). Default: a quarter of the window. */
  readonly sliceMs?: number;
  /** Slices created ahead of time. Default 2. */
  readonly slicesAhead?: number;
  /** Longest wait for a lock before a step is tried again (see cleanupProcessedMessages). Default 100. */
  readonly lockTimeoutMs?: number;
  /** Time between two runs. Default 10 minutes. */
  readonly intervalMs?: number;
  /**
   * Delay before the first run. Default: a random delay below `min(intervalMs, 60 s)`, so
   * instances started together do not all try at once (only one would clean anyway).
   */
  readonly initialDelayMs?: number;
  /** Dead letters deleted per statement (with `resolvedDeadLettersOlderThanMs`). */
  readonly batchSize?: number;
  readonly maxBatches?: number;
  /** Broker retention for the start-up safety check. Default 72 h. */
  readonly brokerRetentionMs?: number;
  /** Retry horizon for the start-up safety check. Default: RocketMQ's 16 default retries. */
  readonly maxRetryHorizonMs?: number;
  /** Also delete dead letters resolved longer ago than this (needs DELETE on dead_letters). */
  readonly resolvedDeadLettersOlderThanMs?: number;
  readonly logger?: Logger;
  /** Called after every run, for metrics. Must not throw. */
  readonly onRun?: (result: CleanupResult) => void;
}

/** A running retention schedule. */
export interface Retention {
  /** Cancels future runs, stops a run in progress after its current batch, and waits for it. */
  stop(): Promise<void>;
}

const DEFAULT_INTERVAL_MS = 10 * 60_000;

/**
 * Applies the dedup window every `intervalMs` in this process, in the background (creates time
 * slices ahead, drops expired ones whole; see {@link cleanupProcessedMessages}), and logs one
 * line per run. Start it in every instance: one session per schema cleans at a time
 * and the others skip. The timer does not keep the process alive.
 *
 * Checks the dedup window against the broker's retention at start and logs a warning when a
 * late duplicate could get through.
 *
 * @example
 * ```ts
 * const retention = startRetention({ db, dedupWindowMs: 7 * 86_400_000, logger });
 * // on shutdown
 * await retention.stop();
 * ```
 * @throws IdemError `INVALID_CONFIGURATION` for bad options (at once, not at the first run).
 */
export function startRetention<DB>(options: RetentionOptions<DB>): Retention {
  const logger = options.logger ?? silentLogger;
  const schema = options.schema ?? DEFAULT_SCHEMA;
  const intervalMs = options.intervalMs ?? DEFAULT_INTERVAL_MS;
  if (!Number.isFinite(intervalMs) || intervalMs < 1) {
    throw new IdemError('INVALID_CONFIGURATION', `intervalMs must be a positive number, got ${intervalMs}`);
  }
  const dedupWindowMs = options.dedupWindowMs ?? DEFAULT_DEDUP_WINDOW_MS;
  const check = checkDedupWindow({
    dedupWindowMs,
    ...(options.brokerRetentionMs === undefined ? {} : { brokerRetentionMs: options.brokerRetentionMs }),
    ...(options.maxRetryHorizonMs === undefined ? {} : { maxRetryHorizonMs: options.maxRetryHorizonMs }),
  });
  for (const warning of check.warnings) {
    logger.warn(
      { schema, dedupWindowMs: warning.dedupWindowMs, requiredMs: warning.requiredMs, code: warning.code },
      warning.message,
    );
  }

  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let failing = false;

  const runOnce = async (): Promise<void> => {
    try {
      const result = await cleanupProcessedMessages(options.db, {
        schema,
        dedupWindowMs,
        signal: controller.signal,
        ...(options.sliceMs === undefined ? {} : { sliceMs: options.sliceMs }),
        ...(options.slicesAhead === undefined ? {} : { slicesAhead: options.slicesAhead }),
        ...(options.lockTimeoutMs === undefined ? {} : { lockTimeoutMs: options.lockTimeoutMs }),
        ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
        ...(options.maxBatches === undefined ? {} : { maxBatches: options.maxBatches }),
        ...(options.resolvedDeadLettersOlderThanMs === undefined
          ? {}
          : { resolvedDeadLettersOlderThanMs: options.resolvedDeadLettersOlderThanMs }),
      });
      if (failing) logger.info({ schema }, 'retention works again');
      failing = false;
      if (result.status === 'skipped') {
        logger.debug({ schema }, 'retention skipped: another instance is cleaning');
      } else {
        logger.info(
          {
            schema,
            deleted: result.deleted,
            slicesCreated: result.slicesCreated,
            slicesDropped: result.slicesDropped,
            legacyTruncated: result.legacyTruncated,
            deferred: result.deferred,
            durationMs: Math.round(result.durationMs),
            lagMs: result.lagMs === undefined ? undefined : Math.round(result.lagMs),
            caughtUp: result.caughtUp,
            deadLettersDeleted: result.deadLettersDeleted,
          },
          'retention run finished',
        );
      }
      report(result);
    } catch (error) {
      // One line when retention starts failing, not one per run while the cause lasts.
      const err = toError(error);
      const fields = { schema, code: (err as { code?: unknown }).code, err };
      if (failing) logger.debug(fields, 'retention run failed again');
      else logger.warn(fields, 'retention run failed; retrying every interval');
      failing = true;
    }
  };

  const report = (result: CleanupResult): void => {
    try {
      options.onRun?.(result);
    } catch (error) {
      logger.error({ err: error }, 'onRun threw; retention keeps running');
    }
  };

  const schedule = (delayMs: number): void => {
    if (controller.signal.aborted) return;
    timer = setTimeout(() => {
      running = runOnce().finally(() => {
        running = undefined;
        schedule(intervalMs);
      });
    }, delayMs);
    timer.unref();
  };

  schedule(options.initialDelayMs ?? Math.random() * Math.min(intervalMs, 60_000));

  return {
    async stop() {
      controller.abort();
      if (timer !== undefined) clearTimeout(timer);
      await running;
    },
  };
}
