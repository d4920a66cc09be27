import { describe, expect, it } from 'vitest';
import { formatDuration, parseDuration } from '../../src/operations/duration.js';

describe('parseDuration', () => {
  it('reads the units operators write', () => {
    expect(parseDuration('30m')).toBe(30 * 60_000);
    expect(parseDuration('12h')).toBe(12 * 3_600_000);
    expect(parseDuration('7d')).toBe(7 * 86_400_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('1h30m')).toBe(90 * 60_000);
    expect(parseDuration('1.5h')).toBe(90 * 60_000);
    expect(parseDuration('250ms')).toBe(250);
    expect(parseDuration('1500')).toBe(1500);
  });

  it('rejects what it cannot read with a coded error that shows the accepted form', () => {
    for (const text of ['', 'd', '7 days', '-1h', '1h foo', '3y']) {
      expect(() => parseDuration(text)).toThrow(expect.objectContaining({ code: 'INVALID_CONFIGURATION' }));
    }
    expect(() => parseDuration('7 days')).toThrow(/e\.g\. 30m, 12h, 7d/);
  });
});

describe('formatDuration', () => {
  it('writes durations the way operators read them', () => {
    expect(formatDuration(250)).toBe('250ms');
    expect(formatDuration(17_140_000)).toBe('4h 45m 40s');
    expect(formatDuration(7 * 86_400_000)).toBe('7d');
    expect(formatDuration(72 * 3_600_000 + 17_140_000)).toBe('3d 4h 45m 40s');
  });
});
