import { describe, expect, it } from 'vitest';
import { GROUP, useTcpFixture } from './support/tcp-fixture.js';

describe('createTcpConsumer through broker upgrades', () => {
  const fixture = useTcpFixture();

  it('writes exactly 5,000 effects while the broker restarts 3 times, 2-5 s down each', async () => {
    const { peer, database, publish, start } = fixture();
    const lines: string[] = [];
    const logger = {
      debug() {},
      info: (_fields: object, message: string) => lines.push(`info ${message}`),
      warn: (_fields: object, message: string) => lines.push(`warn ${message}`),
      error: (_fields: object, message: string) => lines.push(`error ${message}`),
    };
    publish(5000);
    const startedAt = Date.now();
    let received = 0;
    const consumer = await start({
      concurrency: 64,
      logger,
      onEvent: (event) => {
        if (event.type === 'received') received += event.count;
      },
    });
    const downtimes = [2000, 3500, 5000];
    for (const [index, downMs] of downtimes.entries()) {
      const target = (index + 1) * 1200;
      await peer.waitUntil(() => consumer.health().outcomes.processed >= target, 60_000);
      await peer.restart({ downMs });
    }
    await peer.idle(GROUP, { timeoutMs: 120_000 });

    const { outcomes, ackFailures } = consumer.health();
    const stats = peer.stats();
    console.warn(
      [
        'upgrade test:',
        `  messages          5000`,
        `  restarts          ${stats.restarts} (down ${downtimes.join(' ms, ')} ms)`,
        `  deliveries        ${stats.deliveries} sent by the broker (${stats.redeliveries} redeliveries), ${received} received`,
        `  processed         ${outcomes.processed}`,
        `  duplicates skipped ${outcomes.duplicate}`,
        `  acks given up     ${ackFailures}`,
        `  effects           ${await database.effectCount()}`,
        `  wall time         ${((Date.now() - startedAt) / 1000).toFixed(1)} s`,
        `  log lines (info+) ${lines.length - 2}`,
      ].join('\n'),
    );
    expect(stats.restarts).toBe(3);
    expect(await database.effectCount()).toBe(5000);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(outcomes.processed).toBe(5000);
    // Deliveries cut off by a restart never reach the consumer; every one that did is accounted for.
    expect(outcomes.processed + outcomes.duplicate).toBe(received);
    expect(outcomes.duplicate).toBeGreaterThan(0);
    expect(await database.deadLetterReasons()).toEqual([]);
    // One line when the broker goes away and one when it is back, per restart (plus start/stop lines).
    expect(lines.filter((line) => line.startsWith('warn')).length).toBeLessThanOrEqual(3);
    expect(lines.filter((line) => line.includes('reachable again')).length).toBeLessThanOrEqual(3);
  }, 240_000);
});
