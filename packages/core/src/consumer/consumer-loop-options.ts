import { IdemError } from '../errors.js';
import type { InboundMessage } from '../message.js';
import type { DispatchResult } from '../processor/dispatch-result.js';
import type { DatabaseUnavailableAtStart } from './check-database-at-start.js';

/** Something that happened in a consumer, for metrics and tracing. */
export type ConsumerEvent =
  | { readonly type: 'received'; readonly count: number }
  | { readonly type: 'settled'; readonly result: DispatchResult; readonly message: InboundMessage }
  | { readonly type: 'ack-failed'; readonly count: number; readonly error: unknown };

/** How a consumer hands messages to the processor. */
export type DispatchMode = 'single' | 'batch';

/**
 * How a consumer receives, dispatches and stops, whatever the transport: the options every
 * adapter's consumer takes beside the processor's and its own connection options.
 */
export interface ConsumerLoopOptions {
  /** Deliveries in flight at most (received and not settled). Default 16. */
  readonly concurrency?: number;
  /**
   * Messages asked for per receive (and per transaction in batch mode). Default
   * `min(concurrency, 16)`; a transport may allow fewer (ApsaraMQ's HTTP API: 16).
   */
  readonly batchSize?: number;
  /**
   * `single` (default): one transaction per message. `batch`: one transaction per received
   * batch with a savepoint per message; several times the throughput.
   */
  readonly mode?: DispatchMode;
  /**
   * Redelivery delay after a handler failure, by delivery attempt, where the transport can set
   * it (RocketMQ 5 gRPC). Default 1 s doubling to 60 s.
   */
  readonly retryDelayMs?: (attempt: number) => number;
  /** How long `stop()` waits for in-flight messages. Default 30 s. */
  readonly shutdownTimeoutMs?: number;
  /**
   * What `start()` does when Postgres does not answer. `wait` (default): log one warn line, retry
   * quietly, and resolve once Postgres answered and the schema check passed (one info line);
   * `stop()` ends the wait. `fail`: reject at once with `DATABASE_UNAVAILABLE`.
   *
   * Waiting is the default because the database and the service restart independently in
   * orchestrated deployments: a consumer that fails its start crash-loops with growing restart
   * delays (Kubernetes' back-off reaches 5 minutes) and starts late, while a waiting one consumes
   * the moment Postgres is back. Messages are safe either way: nothing is received before the
   * database answered. A schema that is missing or behind always fails `start()` with
   * `SCHEMA_NOT_MIGRATED`: that needs `idem migrate`, not patience.
   */
  readonly onDatabaseUnavailableAtStart?: DatabaseUnavailableAtStart;
  /** Called for each {@link ConsumerEvent} (received, settled, ack-failed); must not throw. */
  readonly onEvent?: (event: ConsumerEvent) => void;
}

/** {@link ConsumerLoopOptions} checked, with their defaults. */
export interface ResolvedConsumerLoopOptions {
  readonly concurrency: number;
  readonly batchSize: number;
  readonly mode: DispatchMode;
  readonly retryDelayMs: (attempt: number) => number;
  readonly shutdownTimeoutMs: number;
  readonly onDatabaseUnavailableAtStart: DatabaseUnavailableAtStart;
  /** A no-op when none was given. */
  readonly onEvent: (event: ConsumerEvent) => void;
}

/** What a transport cannot do, for {@link resolveConsumerLoopOptions}. */
export interface ConsumerLoopLimits {
  /** The most messages one receive can return (ApsaraMQ's HTTP API: 16). Default none. */
  readonly maxBatchSize?: number;
}

const DEFAULT_MAX_BATCH = 16;

/**
 * Checks the consumer loop options once, for every transport, and fills in the defaults.
 *
 * @throws IdemError `INVALID_CONFIGURATION` naming the option, what it must be and what it got.
 */
export function resolveConsumerLoopOptions(
  options: ConsumerLoopOptions,
  limits: ConsumerLoopLimits = {},
): ResolvedConsumerLoopOptions {
  const concurrency = integerInRange('concurrency', options.concurrency ?? 16);
  const maxBatchSize = limits.maxBatchSize ?? Number.POSITIVE_INFINITY;
  const batchSize = integerInRange(
    'batchSize',
    options.batchSize ?? Math.min(concurrency, DEFAULT_MAX_BATCH, maxBatchSize),
    maxBatchSize,
  );
  const mode = options.mode ?? 'single';
  if (mode !== 'single' && mode !== 'batch') throw invalid('mode', mode, "'single' or 'batch'");
  const shutdownTimeoutMs = options.shutdownTimeoutMs ?? 30_000;
  if (typeof shutdownTimeoutMs !== 'number' || !Number.isFinite(shutdownTimeoutMs) || shutdownTimeoutMs < 0) {
    throw invalid('shutdownTimeoutMs', shutdownTimeoutMs, 'a number of milliseconds >= 0');
  }
  const onDatabaseUnavailableAtStart = options.onDatabaseUnavailableAtStart ?? 'wait';
  if (onDatabaseUnavailableAtStart !== 'wait' && onDatabaseUnavailableAtStart !== 'fail') {
    throw invalid('onDatabaseUnavailableAtStart', onDatabaseUnavailableAtStart, "'wait' or 'fail'");
  }
  const { retryDelayMs = defaultRetryDelayMs, onEvent = ignoreEvent } = options;
  if (typeof retryDelayMs !== 'function') throw invalid('retryDelayMs', retryDelayMs, 'a function');
  if (typeof onEvent !== 'function') throw invalid('onEvent', onEvent, 'a function');
  return {
    concurrency,
    batchSize,
    mode,
    retryDelayMs,
    shutdownTimeoutMs,
    onDatabaseUnavailableAtStart,
    onEvent,
  };
}

function ignoreEvent(): void {}

function defaultRetryDelayMs(attempt: number): number {
  return Math.min(1000 * 2 ** (attempt - 1), 60_000);
}

/**
 * Checks an integer option of a consumer: `value`, between 1 and `max`.
 *
 * @throws IdemError `INVALID_CONFIGURATION` naming the option.
 */
export function integerInRange(name: string, value: unknown, max = Number.POSITIVE_INFINITY): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > max) {
    throw invalid(
      name,
      value,
      max === Number.POSITIVE_INFINITY ? 'an integer >= 1' : `an integer from 1 to ${max}`,
    );
  }
  return value;
}

function invalid(name: string, value: unknown, expected: string): IdemError {
  const shown = typeof value === 'function' ? 'a function' : JSON.stringify(value);
  return new IdemError('INVALID_CONFIGURATION', `option ${name} must be ${expected}, got ${shown}`);
}
