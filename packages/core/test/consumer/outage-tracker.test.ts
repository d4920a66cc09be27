import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { OutageTracker } from '../../src/consumer/outage-tracker.js';
import type { Logger } from '../../src/logger.js';

function recordingLogger(): Logger & { lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    debug() {},
    info: (_fields, message) => lines.push(`info ${message}`),
    warn: (_fields, message) => lines.push(`warn ${message}`),
    error: (_fields, message) => lines.push(`error ${message}`),
  };
}

describe('OutageTracker', () => {
  beforeEach(() => {
    vi.useFakeTimers({ now: new Date('2026-11-25T08:00:00Z') });
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  it('logs one warning when failures last past the grace period and one info line when calls succeed again', () => {
    const logger = recordingLogger();
    const tracker = new OutageTracker(logger, 'the broker', {}, { graceMs: 1000, stableMs: 2000 });
    for (let second = 0; second < 5; second += 1) {
      tracker.failed(new Error('UNAVAILABLE'));
      vi.advanceTimersByTime(1000);
    }
    expect(tracker.state.up).toBe(false);
    for (let second = 0; second < 3; second += 1) {
      tracker.succeeded();
      vi.advanceTimersByTime(1000);
    }
    expect(logger.lines).toEqual([
      'warn the broker is unreachable; retrying quietly until it is back',
      'info the broker is reachable again after 5.0 s',
    ]);
    expect(tracker.outages).toBe(1);
  });

  it('logs nothing for a failure shorter than the grace period', () => {
    const logger = recordingLogger();
    const tracker = new OutageTracker(logger, 'the broker', {}, { graceMs: 1000, stableMs: 2000 });
    tracker.failed(new Error('ECONNRESET'));
    vi.advanceTimersByTime(300);
    tracker.succeeded();
    expect(logger.lines).toEqual([]);
    expect(tracker.state.up).toBe(true);
  });

  it('keeps one outage while the dependency flaps on its way back', () => {
    const logger = recordingLogger();
    const tracker = new OutageTracker(logger, 'the broker', {}, { graceMs: 1000, stableMs: 2000 });
    tracker.failed(new Error('down'));
    vi.advanceTimersByTime(1500);
    tracker.failed(new Error('down'));
    for (let flap = 0; flap < 4; flap += 1) {
      tracker.succeeded();
      vi.advanceTimersByTime(500);
      tracker.failed(new Error('settings not yet registered'));
      vi.advanceTimersByTime(500);
    }
    tracker.succeeded();
    vi.advanceTimersByTime(2500);
    tracker.succeeded();
    expect(logger.lines.filter((line) => line.startsWith('warn'))).toHaveLength(1);
    expect(logger.lines.filter((line) => line.startsWith('info'))).toHaveLength(1);
  });

  it('hands the failure to the logger as an error object under err, its stack and cause kept', () => {
    const fields: Record<string, unknown>[] = [];
    const logger: Logger = { ...recordingLogger(), warn: (line) => void fields.push(line) };
    const tracker = new OutageTracker(logger, 'the broker', {}, { graceMs: 0, stableMs: 0 });
    const failure = new Error('UNAVAILABLE', { cause: new Error('connect ECONNREFUSED') });
    tracker.failed(failure);
    expect(fields).toEqual([{ err: failure }]);
  });
});
