import { describe, expect, it } from 'vitest';
import type { LogFields, Logger } from '../../src/logger.js';
import { DEFAULT_DEDUP_WINDOW_MS } from '../../src/operations/check-dedup-window.js';
import {
  type CleanupResult,
  cleanupProcessedMessages,
} from '../../src/operations/cleanup-processed-messages.js';
import { startRetention } from '../../src/operations/start-retention.js';
import { useTestDatabase } from '../support/test-database.js';
import { backdate, insertProcessedKeys } from './operations-support.js';

const DAY = 86_400_000;

interface LogLine {
  readonly level: 'debug' | 'info' | 'warn' | 'error';
  readonly fields: LogFields;
  readonly message: string;
}

function recordingLogger(lines: LogLine[]): Logger {
  const at =
    (level: LogLine['level']) =>
    (fields: LogFields, message: string): void => {
      lines.push({ level, fields, message });
    };
  return { debug: at('debug'), info: at('info'), warn: at('warn'), error: at('error') };
}

describe('startRetention', () => {
  const database = useTestDatabase();

  it('cleans in the background, logs each run, and stops', async () => {
    const { db, schema } = database();
    await cleanupProcessedMessages(db, { schema, dedupWindowMs: 7 * DAY });
    await insertProcessedKeys(database(), { count: 12, ageMs: 0 });
    await backdate(database(), 10 * DAY);
    const lines: LogLine[] = [];
    const runs: CleanupResult[] = [];
    let firstRun: () => void = () => {};
    const ran = new Promise<void>((resolve) => {
      firstRun = resolve;
    });
    const retention = startRetention({
      db,
      schema,
      dedupWindowMs: 7 * DAY,
      intervalMs: 60_000,
      initialDelayMs: 0,
      batchSize: 5,
      logger: recordingLogger(lines),
      onRun: (result) => {
        runs.push(result);
        firstRun();
      },
    });
    await ran;
    await retention.stop();

    // Slices of 1.75 days: slice 0 (the 12 keys) ended 8.25 days ago and is dropped whole.
    expect(runs).toEqual([expect.objectContaining({ status: 'done', slicesDropped: 1, caughtUp: true })]);
    expect(await database().count('processed_keys')).toBe(0);
    expect(lines).toContainEqual(
      expect.objectContaining({
        level: 'info',
        message: 'retention run finished',
        fields: expect.objectContaining({ schema, slicesDropped: 1 }),
      }),
    );
    // A safe window logs no warning.
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
  });

  it('warns at start, with the numbers, when the window lets late duplicates through', async () => {
    const { db, schema } = database();
    const lines: LogLine[] = [];
    const retention = startRetention({ db, schema, dedupWindowMs: DAY, logger: recordingLogger(lines) });
    await retention.stop();
    expect(lines).toEqual([
      expect.objectContaining({
        level: 'warn',
        fields: expect.objectContaining({
          code: 'DEDUP_WINDOW_TOO_SHORT',
          dedupWindowMs: DAY,
          requiredMs: 3 * DAY + 17_140_000,
        }),
        message: expect.stringMatching(
          /^dedup window 1d is shorter than broker retention 3d \+ retry horizon 4h 45m 40s/,
        ),
      }),
    ]);
  });

  it('keeps keys for a safe default window when none is given', async () => {
    const { db, schema } = database();
    const lines: LogLine[] = [];
    const runs: CleanupResult[] = [];
    const retention = startRetention({
      db,
      schema,
      intervalMs: 60_000,
      initialDelayMs: 0,
      logger: recordingLogger(lines),
      onRun: (result) => runs.push(result),
    });
    await expect.poll(() => runs.length).toBe(1);
    await retention.stop();

    // 4 days: longer than RocketMQ's 72 h retention plus its 4 h 45 m retry horizon, no warning.
    expect(DEFAULT_DEDUP_WINDOW_MS).toBe(4 * DAY);
    expect(lines.filter((line) => line.level === 'warn')).toEqual([]);
    expect(runs[0]).toMatchObject({ status: 'done', slicesCreated: 2 });
    expect(runs[0]?.status === 'done' && runs[0].cutoff.getTime()).toBeLessThan(
      Date.now() - 4 * DAY + 60_000,
    );
  });

  it('logs one warning when runs start failing, not one per run', async () => {
    const { db } = database();
    const lines: LogLine[] = [];
    const retention = startRetention({
      db,
      schema: 'idem_never_migrated',
      dedupWindowMs: 7 * DAY,
      intervalMs: 1,
      initialDelayMs: 0,
      logger: recordingLogger(lines),
    });
    const failures = () => lines.filter((line) => line.message.startsWith('retention run failed'));
    while (failures().length < 3) await new Promise((resolve) => setTimeout(resolve, 10));
    await retention.stop();

    expect(failures().filter((line) => line.level === 'warn')).toEqual([
      expect.objectContaining({
        message: 'retention run failed; retrying every interval',
        fields: expect.objectContaining({ code: 'SCHEMA_NOT_MIGRATED' }),
      }),
    ]);
    expect(
      failures()
        .slice(1)
        .every((line) => line.level === 'debug'),
    ).toBe(true);
  });

  it('rejects a bad interval at once', () => {
    const { db } = database();
    expect(() => startRetention({ db, dedupWindowMs: 7 * DAY, intervalMs: 0 })).toThrow(
      expect.objectContaining({ code: 'INVALID_CONFIGURATION' }),
    );
  });
});
