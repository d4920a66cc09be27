import { describe, expect, it } from 'vitest';
import { checkDedupWindow } from '../../src/operations/check-dedup-window.js';
import {
  ROCKETMQ_DEFAULT_MESSAGE_RETENTION_MS,
  ROCKETMQ_RETRY_BACKOFF_MS,
  rocketMqRetryHorizonMs,
} from '../../src/operations/rocketmq-retry-defaults.js';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;

describe('RocketMQ retry defaults', () => {
  it('exports the 16 default backoff delays, 10 s up to 2 h', () => {
    expect(ROCKETMQ_RETRY_BACKOFF_MS.map((ms) => ms / 1000)).toEqual([
      10, 30, 60, 120, 180, 240, 300, 360, 420, 480, 540, 600, 1200, 1800, 3600, 7200,
    ]);
    expect(ROCKETMQ_DEFAULT_MESSAGE_RETENTION_MS).toBe(72 * HOUR);
  });

  it('sums the backoff of the default 16 retries to 4 h 45 m 40 s', () => {
    expect(rocketMqRetryHorizonMs()).toBe((4 * 3600 + 45 * 60 + 40) * 1000);
    expect(rocketMqRetryHorizonMs(2)).toBe(40_000);
    expect(rocketMqRetryHorizonMs(0)).toBe(0);
    // Retries past the table wait as long as the last level.
    expect(rocketMqRetryHorizonMs(18)).toBe(rocketMqRetryHorizonMs() + 2 * 2 * HOUR);
  });
});

describe('checkDedupWindow', () => {
  it('accepts a window covering the broker retention plus the retry horizon', () => {
    const result = checkDedupWindow({ dedupWindowMs: 7 * DAY });
    expect(result).toMatchObject({
      safe: true,
      warnings: [],
      requiredMs: 72 * HOUR + rocketMqRetryHorizonMs(),
    });
  });

  it('warns with the numbers when a late duplicate could get through', () => {
    const result = checkDedupWindow({ dedupWindowMs: DAY });
    expect(result.safe).toBe(false);
    expect(result.warnings).toEqual([
      expect.objectContaining({
        code: 'DEDUP_WINDOW_TOO_SHORT',
        dedupWindowMs: DAY,
        requiredMs: 72 * HOUR + 17_140_000,
        shortfallMs: 48 * HOUR + 17_140_000,
      }),
    ]);
    expect(result.warnings[0]?.message).toBe(
      'dedup window 1d is shorter than broker retention 3d + retry horizon 4h 45m 40s = 3d 4h 45m 40s: ' +
        'a duplicate arriving more than 1d after its key was stored (possible for up to 3d 4h 45m 40s) would ' +
        'run its handler again; keep keys at least 3d 4h 45m 40s',
    );
  });

  it("uses the broker's retention and the group's horizon when given", () => {
    expect(
      checkDedupWindow({ dedupWindowMs: 2 * DAY, brokerRetentionMs: DAY, maxRetryHorizonMs: HOUR }).safe,
    ).toBe(true);
    expect(
      checkDedupWindow({ dedupWindowMs: 2 * DAY, brokerRetentionMs: 2 * DAY, maxRetryHorizonMs: 1 }).safe,
    ).toBe(false);
  });

  it('rejects a negative or non-finite number', () => {
    expect(() => checkDedupWindow({ dedupWindowMs: -1 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
    );
    expect(() => checkDedupWindow({ dedupWindowMs: DAY, brokerRetentionMs: Number.NaN })).toThrow(
      /brokerRetentionMs/,
    );
  });
});
