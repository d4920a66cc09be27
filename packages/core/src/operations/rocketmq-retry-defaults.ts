/**
 * How long RocketMQ keeps a message on disk by default (`fileReservedTime=72` hours): within
 * this time a consumer offset reset or a lost ack can deliver it again.
 */
export const ROCKETMQ_DEFAULT_MESSAGE_RETENTION_MS = 72 * 3_600_000;

/** RocketMQ's default maximum number of redeliveries of a failed message (`maxReconsumeTimes`). */
export const ROCKETMQ_DEFAULT_MAX_RETRIES = 16;

/**
 * The delay before each redelivery of a failed message with RocketMQ's default delay levels:
 * retry 1 waits 10 s, retry 16 waits 2 h. Retries beyond the table wait as long as the last.
 */
export const ROCKETMQ_RETRY_BACKOFF_MS: readonly number[] = Object.freeze(
  [10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200].map(
    (seconds) => seconds * 1000,
  ),
);

/**
 * How long after its first delivery RocketMQ may still redeliver a failing message: the sum of
 * the backoff delays of `maxRetries` retries (4 h 45 m 40 s for the default 16). Handler time
 * and invisible durations come on top; the dedup window check leaves room for them through the
 * broker's retention, which is much longer.
 */
export function rocketMqRetryHorizonMs(maxRetries: number = ROCKETMQ_DEFAULT_MAX_RETRIES): number {
  const retries = Math.max(0, Math.floor(maxRetries));
  const last = ROCKETMQ_RETRY_BACKOFF_MS.at(-1) ?? 0;
  let total = 0;
  for (let retry = 0; retry < retries; retry += 1) total += ROCKETMQ_RETRY_BACKOFF_MS[retry] ?? last;
  return total;
}
