import type { MqHttpOutageMode } from '@idem/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { deepContains, LogRecorder } from '../../../test-support/log-recorder.js';
import { httpTestKit, publishOrders } from './support/http-test-kit.js';

const GROUP = 'GID_billing';
const OUTAGE_MS = 60_000;
const BEFORE = 200;
const DURING = 100;

interface OutageRun {
  readonly mode: MqHttpOutageMode;
  readonly secret: string;
  readonly accessKeyId: string;
  readonly effects: number;
  readonly duplicateEffects: string[];
  readonly pending: number;
  readonly processed: number;
  readonly duplicatesSkipped: number;
  readonly ackFailures: number;
  readonly outageMs: number;
  /** From the endpoint's return to the first message received, and to the first settled. */
  readonly receiveResumeMs: number;
  readonly resumeMs: number;
  readonly logger: LogRecorder;
}

describe('createHttpConsumer through broker outages', () => {
  const kit = httpTestKit();
  let runs: OutageRun[] = [];
  // The four outages run at once, each on its own peer, schema and consumer: ~70 s in all.
  beforeAll(async () => {
    runs = await Promise.all((['refuse', 'reset', '503', 'hang'] as const).map((mode) => runOutage(mode)));
    for (const run of runs) {
      console.warn(
        `[rocketmq-http outage ${run.mode}] messages ${BEFORE + DURING}, outage ${(run.outageMs / 1000).toFixed(1)} s, ` +
          `first message received ${run.receiveResumeMs} ms and settled ${run.resumeMs} ms after the endpoint came back, duplicates skipped ${run.duplicatesSkipped}, ` +
          `acks left to redelivery ${run.ackFailures}, log lines at info or above ${run.logger.visible().length}`,
      );
    }
  }, 150_000);
  afterAll(() => kit.cleanUp());

  /**
   * Consumes a stream, cuts the endpoint off for 60 s in `mode` while messages keep arriving,
   * and measures how long after the endpoint is back the next message settles.
   */
  async function runOutage(mode: MqHttpOutageMode): Promise<OutageRun> {
    const secret = `outage-secret-${mode}-8Hq2vN`;
    const accessKeyId = `outage-key-${mode}-3Jd`;
    const peer = await kit.startPeer({ accessKeyId, accessKeySecret: secret });
    const database = await kit.database();
    const logger = new LogRecorder();
    const handlers = new OrderHandlers();
    // Slow enough that messages are in flight, their acks pending, when the outage starts.
    handlers.controls.delayMs = 10;
    const settledAt: number[] = [];
    const receivedAt: number[] = [];
    publishOrders(peer, BEFORE, `${mode}-order`);
    const consumer = kit.consumer(peer, database, {
      handlers: [handlers],
      concurrency: 4,
      logger,
      onEvent: (event) => {
        if (event.type === 'settled') settledAt.push(Date.now());
        if (event.type === 'received') receivedAt.push(Date.now());
      },
    });
    await consumer.start();
    await peer.waitUntil(() => settledAt.length >= 50, { timeoutMs: 30_000 });
    const outage = peer.outage({ ms: OUTAGE_MS, mode });
    const startedAt = Date.now();
    await outage.started;
    publishOrders(peer, DURING, `${mode}-order`, BEFORE);
    await outage.ended;
    const endedAt = Date.now();
    await peer.waitUntil(() => settledAt.some((at) => at >= endedAt), { timeoutMs: 20_000 });
    const resumedAt = settledAt.find((at) => at >= endedAt) ?? Number.NaN;
    await peer.idle(GROUP, 'orders', { timeoutMs: 30_000 });
    await consumer.stop();
    const health = consumer.health();
    return {
      mode,
      secret,
      accessKeyId,
      effects: await database.effectCount(),
      duplicateEffects: await database.duplicateEffects(),
      pending: peer.pending(GROUP, 'orders'),
      processed: health.outcomes.processed,
      duplicatesSkipped: health.outcomes.duplicate,
      ackFailures: health.ackFailures,
      outageMs: endedAt - startedAt,
      receiveResumeMs: (receivedAt.find((at) => at >= endedAt) ?? Number.NaN) - endedAt,
      resumeMs: resumedAt - endedAt,
      logger,
    };
  }

  it('loses nothing, keeps effects exactly once and resumes within 5 s after a 60 s outage of each kind', () => {
    expect(runs.map((run) => run.mode)).toEqual(['refuse', 'reset', '503', 'hang']);
    for (const run of runs) {
      expect(run.effects, run.mode).toBe(BEFORE + DURING);
      expect(run.duplicateEffects, run.mode).toEqual([]);
      expect(run.pending, run.mode).toBe(0);
      expect(run.processed, run.mode).toBe(BEFORE + DURING);
      expect(run.resumeMs, run.mode).toBeGreaterThanOrEqual(0);
      expect(run.resumeMs, run.mode).toBeLessThan(5000);
    }
  });

  it('logs each outage in a handful of lines and never the access key or its secret', () => {
    for (const run of runs) {
      const visible = run.logger.visible();
      expect(
        visible.length,
        `${run.mode}: ${visible.map((line) => line.message).join(' | ')}`,
      ).toBeLessThanOrEqual(6);
      // One warning when the outage began (a stray reset of an idle keep-alive socket may add a second).
      const warnings = visible.filter((line) => line.level === 'warn').map((line) => line.message);
      expect(warnings[0], run.mode).toMatch(/is unreachable; retrying quietly/);
      expect(warnings.length, run.mode).toBeLessThanOrEqual(2);
      expect(
        visible.filter((line) => line.level === 'error'),
        run.mode,
      ).toEqual([]);
      expect(run.logger.lines.length, run.mode).toBeGreaterThan(0);
      expect(run.logger.linesContaining(run.secret), run.mode).toEqual([]);
      expect(run.logger.linesContaining(run.accessKeyId), run.mode).toEqual([]);
      expect(deepContains(run.logger.lines, run.secret), run.mode).toBe(false);
    }
  });
});
