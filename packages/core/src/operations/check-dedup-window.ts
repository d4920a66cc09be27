import { IdemError } from '../errors.js';
import { formatDuration } from './duration.js';
import { ROCKETMQ_DEFAULT_MESSAGE_RETENTION_MS, rocketMqRetryHorizonMs } from './rocketmq-retry-defaults.js';

/**
 * The dedup window used when none is given: 4 days, longer than RocketMQ's default message
 * retention (72 h) plus the backoff of its 16 default retries (4 h 45 m 40 s), with room to spare.
 */
export const DEFAULT_DEDUP_WINDOW_MS = 4 * 86_400_000;

/** Options of {@link checkDedupWindow}. */
export interface DedupWindowCheckOptions {
  /** How long processed keys are kept (the retention window). */
  readonly dedupWindowMs: number;
  /** How long the broker keeps messages. Default 72 h, RocketMQ's `fileReservedTime`. */
  readonly brokerRetentionMs?: number;
  /**
   * How long after its first delivery the group may still redeliver a message. Default: the
   * backoff of RocketMQ's 16 default retries (4 h 45 m 40 s), see {@link rocketMqRetryHorizonMs}.
   */
  readonly maxRetryHorizonMs?: number;
}

/** One reason the dedup window is unsafe, with the numbers behind it. */
export interface DedupWindowWarning {
  readonly code: 'DEDUP_WINDOW_TOO_SHORT';
  readonly message: string;
  readonly dedupWindowMs: number;
  readonly requiredMs: number;
  readonly shortfallMs: number;
}

/** What {@link checkDedupWindow} found. */
export interface DedupWindowCheck {
  readonly safe: boolean;
  /** The shortest safe window: broker retention plus retry horizon. */
  readonly requiredMs: number;
  readonly brokerRetentionMs: number;
  readonly maxRetryHorizonMs: number;
  readonly warnings: readonly DedupWindowWarning[];
}

/**
 * Tells whether processed keys are kept long enough that no late duplicate can get through:
 * the broker can deliver a message again for as long as it stores it (an offset reset, a lost
 * ack), and a failing message keeps coming back for the group's retry horizon. A key deleted
 * before both have passed lets such a duplicate run its handler a second time.
 *
 * @throws IdemError `INVALID_CONFIGURATION` when a number is not a non-negative finite value.
 */
export function checkDedupWindow(options: DedupWindowCheckOptions): DedupWindowCheck {
  const brokerRetentionMs = options.brokerRetentionMs ?? ROCKETMQ_DEFAULT_MESSAGE_RETENTION_MS;
  const maxRetryHorizonMs = options.maxRetryHorizonMs ?? rocketMqRetryHorizonMs();
  for (const [name, value] of Object.entries({
    dedupWindowMs: options.dedupWindowMs,
    brokerRetentionMs,
    maxRetryHorizonMs,
  })) {
    if (!Number.isFinite(value) || value < 0) {
      throw new IdemError(
        'INVALID_CONFIGURATION',
        `${name} must be a non-negative number of milliseconds, got ${value}`,
      );
    }
  }
  const requiredMs = brokerRetentionMs + maxRetryHorizonMs;
  const shortfallMs = requiredMs - options.dedupWindowMs;
  const warnings: DedupWindowWarning[] =
    shortfallMs <= 0
      ? []
      : [
          {
            code: 'DEDUP_WINDOW_TOO_SHORT',
            message:
              `dedup window ${formatDuration(options.dedupWindowMs)} is shorter than broker retention ` +
              `${formatDuration(brokerRetentionMs)} + retry horizon ${formatDuration(maxRetryHorizonMs)} = ` +
              `${formatDuration(requiredMs)}: a duplicate arriving more than ${formatDuration(options.dedupWindowMs)} ` +
              `after its key was stored (possible for up to ${formatDuration(requiredMs)}) would run its handler ` +
              `again; keep keys at least ${formatDuration(requiredMs)}`,
            dedupWindowMs: options.dedupWindowMs,
            requiredMs,
            shortfallMs,
          },
        ];
  return { safe: warnings.length === 0, requiredMs, brokerRetentionMs, maxRetryHorizonMs, warnings };
}
