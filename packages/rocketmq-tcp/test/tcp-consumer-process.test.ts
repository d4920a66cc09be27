import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import { BACKENDS, type BackendFixture, useBackend } from './support/backend-fixture.js';
import { startChildConsumer } from './support/child-consumer.js';
import { DeliveryLedger, settledCount } from './support/delivery-ledger.js';

describe.each(BACKENDS)('a TCP consumer process on the %s', (backend) => {
  const setup = useBackend(backend);

  function childEnv(
    fixture: BackendFixture,
    mode: 'single' | 'batch',
    delayMs: number,
  ): Record<string, string> {
    const { database, endpoints, group, topic, timing } = fixture;
    return {
      IDEM_TEST_DATABASE_URL: database.url,
      IDEM_TEST_SCHEMA: database.schema,
      IDEM_TEST_ENDPOINTS: endpoints,
      IDEM_TEST_GROUP: group,
      IDEM_TEST_TOPIC: topic,
      IDEM_TEST_MODE: mode,
      IDEM_TEST_HANDLER_DELAY_MS: String(delayMs),
      IDEM_TEST_INVISIBLE_MS: String(timing.invisibleDurationMs),
      IDEM_TEST_LONG_POLLING_MS: String(timing.longPollingTimeoutMs),
      IDEM_TEST_EVENTS: '1',
    };
  }

  it('keeps effects exactly-once when killed with SIGKILL mid-batch and started again', async (ctx) => {
    const fixture = await setup(ctx);
    const { database, publish } = fixture;
    await publish(600);
    const ledger = new DeliveryLedger();
    // 50 ms per message: a batch of 16 keeps its transaction open for most of a second.
    const firstLedger = ledger.track('first');
    const first = await startChildConsumer(childEnv(fixture, 'batch', 50), { onLine: firstLedger.onLine });
    const firstRun = firstLedger.incarnation;
    await expect
      .poll(() => firstRun.settled.processed >= 100 && firstRun.received - settledCount(firstRun) >= 8, {
        timeout: 60_000,
        interval: 50,
        message: 'a batch in flight after 100 processed',
      })
      .toBe(true);
    // Kill inside the next batch: delivered, its transaction open, not yet acked.
    await sleep(150);
    const inFlight = firstRun.received - settledCount(firstRun);
    firstRun.killed = true;
    first.process.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const effectsAtKill = await database.effectCount();

    const secondLedger = ledger.track('second');
    const second = await startChildConsumer(childEnv(fixture, 'batch', 0), { onLine: secondLedger.onLine });
    await expect
      .poll(async () => (await database.effectCount()) >= 600, {
        timeout: 120_000,
        interval: 50,
        message: '600 effects',
      })
      .toBe(true);
    // The killed batch comes back after its invisible duration; wait for it to be skipped or processed.
    await expect
      .poll(() => ledger.deliveries.some((delivery) => delivery.attempt > 1) && ledger.quietForMs() > 1000, {
        timeout: 60_000,
        interval: 50,
        message: 'the redelivery of the killed batch',
      })
      .toBe(true);
    second.process.kill('SIGTERM');
    await second.exited;

    const redeliveries = ledger.deliveries.filter((delivery) => delivery.attempt > 1).length;
    console.warn(
      `kill -9 on the ${backend}: 600 messages, ${effectsAtKill} effects and ${inFlight} deliveries in flight when killed, ` +
        `${redeliveries} redeliveries, second process ${JSON.stringify(secondLedger.incarnation.settled)}, final ${await database.effectCount()}`,
    );
    expect(redeliveries).toBeGreaterThan(0);
    expect(settledCount(secondLedger.incarnation)).toBe(secondLedger.incarnation.received);
    expect(await database.effectCount()).toBe(600);
    expect(await database.duplicateEffects()).toEqual([]);
  }, 240_000);

  it('stops gracefully under load: finishes and acks in-flight messages, then the process exits by itself', async (ctx) => {
    const fixture = await setup(ctx);
    const { database, publish, start, settled, peer, group, topic } = fixture;
    await publish(2000);
    const ledger = new DeliveryLedger();
    const tracked = ledger.track('child');
    const child = await startChildConsumer(childEnv(fixture, 'single', 30), { onLine: tracked.onLine });
    await expect
      .poll(() => tracked.incarnation.settled.processed >= 50, {
        timeout: 60_000,
        interval: 50,
        message: '50 processed',
      })
      .toBe(true);
    const stopRequestedAt = Date.now();
    child.process.kill('SIGTERM');
    const exit = await child.exited;
    const stopMs = Date.now() - stopRequestedAt;

    const effects = await database.effectCount();
    console.warn(
      `graceful stop on the ${backend}: exited ${exit.code} after ${stopMs} ms with ${effects} effects, ` +
        `${tracked.incarnation.received} received, ${tracked.incarnation.ackFailures} acks not confirmed`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('stopped');
    // Everything received was settled before the process ended, and every ack was confirmed.
    expect(settledCount(tracked.incarnation)).toBe(tracked.incarnation.received);
    expect(tracked.incarnation.settled.processed).toBe(effects);
    expect(tracked.incarnation.ackFailures).toBe(0);
    if (peer !== undefined) {
      expect(peer.stats().acks).toBe(effects);
      expect(peer.pending(group, topic)).toBe(2000 - effects);
    }
    // A successor finds nothing of the first process's work to redo: no duplicates.
    const successor = await start({ concurrency: 32 });
    await settled(successor, async () => (await database.effectCount()) >= 2000, 120_000);
    expect(successor.health().outcomes).toMatchObject({ processed: 2000 - effects, duplicate: 0 });
    expect(await database.duplicateEffects()).toEqual([]);
  }, 240_000);
});
