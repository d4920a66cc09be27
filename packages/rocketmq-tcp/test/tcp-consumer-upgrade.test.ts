import { describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from './support/backend-fixture.js';

// The peer's restart drops the port for downMs; the real broker's is the upgrade itself: the
// proxy JVM stopped (SIGTERM or SIGKILL) and started again on the same store.
const RESTARTS = [
  { mode: 'kill', downMs: 2000 },
  { mode: 'graceful', downMs: 3500 },
  { mode: 'kill', downMs: 5000 },
] as const;

describe.each(BACKENDS)('createTcpConsumer through broker upgrades on the %s', (backend) => {
  const setup = useBackend(backend);
  // The real broker's restarts take 10-30 s each: fewer messages keep the test bounded.
  const messages = backend === 'peer' ? 5000 : 3000;

  it(`writes exactly one effect per message while the broker restarts 3 times`, async (ctx) => {
    const { database, publish, start, restart, settled, peer } = await setup(ctx);
    const lines: string[] = [];
    const logger = {
      debug() {},
      info: (_fields: object, message: string) => lines.push(`info ${message}`),
      warn: (_fields: object, message: string) => lines.push(`warn ${message}`),
      error: (_fields: object, message: string) => lines.push(`error ${message}`),
    };
    await publish(messages);
    const startedAt = Date.now();
    const settledAt: number[] = [];
    let received = 0;
    let redelivered = 0;
    const consumer = await start({
      concurrency: 64,
      logger,
      onEvent: (event) => {
        if (event.type === 'received') received += event.count;
        if (event.type === 'settled' && event.message.deliveryAttempt > 1) redelivered += 1;
        if (event.type === 'settled') settledAt.push(Date.now());
      },
    });
    const restartTimes: string[] = [];
    const backAt: number[] = [];
    for (const [index, options] of RESTARTS.entries()) {
      const target = ((index + 1) * messages) / 4;
      await expect
        .poll(() => consumer.health().outcomes.processed >= target, { timeout: 120_000, interval: 100 })
        .toBe(true);
      const began = Date.now();
      await restart(options);
      backAt.push(Date.now());
      restartTimes.push(`${options.mode} ${((Date.now() - began) / 1000).toFixed(1)} s`);
    }
    await settled(consumer, async () => (await database.effectCount()) >= messages, 180_000);

    const { outcomes, ackFailures } = consumer.health();
    console.warn(
      [
        `upgrade test on the ${backend}:`,
        `  messages           ${messages}`,
        `  restarts           ${restartTimes.join(', ')} (down ${RESTARTS.map((r) => r.downMs).join(' ms, ')} ms)`,
        // From the broker being back to the next message settled; none when every message had
        // settled before it was back (the last restart can come after the last message).
        `  recovery lag       ${backAt.map((at) => recoveryLag(at, settledAt)).join(', ')}`,
        `  deliveries         ${received} received, ${redelivered} with attempt > 1${peer === undefined ? '' : ` (peer: ${peer.stats().redeliveries} redeliveries)`}`,
        `  processed          ${outcomes.processed}`,
        `  duplicates skipped ${outcomes.duplicate}`,
        `  acks given up      ${ackFailures}`,
        `  effects            ${await database.effectCount()}`,
        `  wall time          ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
        `  log lines (info+)  ${lines.length - 1}: ${lines.filter((line) => !line.startsWith('info')).join(' | ')}`,
      ].join('\n'),
    );
    if (peer !== undefined) expect(peer.stats().restarts).toBe(3);
    expect(await database.effectCount()).toBe(messages);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(outcomes.processed).toBe(messages);
    // Deliveries cut off by a restart never reach the consumer; every one that did is accounted for.
    expect(outcomes.processed + outcomes.duplicate).toBe(received);
    if (backend === 'peer') expect(outcomes.duplicate).toBeGreaterThan(0);
    expect(await database.deadLetterReasons()).toEqual([]);
    // One line when the broker goes away and one when it is back, per restart (plus start/stop lines).
    expect(lines.filter((line) => line.startsWith('warn')).length).toBeLessThanOrEqual(3);
    expect(lines.filter((line) => line.includes('reachable again')).length).toBeLessThanOrEqual(3);
  }, 420_000);
});

/** Seconds from `backAt` to the first settle at or after it, or why there is none. */
function recoveryLag(backAt: number, settledAt: readonly number[]): string {
  const next = settledAt.find((at) => at >= backAt);
  return next === undefined ? 'none (all settled before it)' : `${((next - backAt) / 1000).toFixed(1)} s`;
}
