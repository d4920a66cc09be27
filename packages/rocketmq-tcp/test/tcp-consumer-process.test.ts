import { describe, expect, it } from 'vitest';
import { startChildConsumer } from './support/child-consumer.js';
import { GROUP, useTcpFixture } from './support/tcp-fixture.js';

describe('a TCP consumer process', () => {
  const fixture = useTcpFixture();

  function childEnv(mode: 'single' | 'batch', delayMs: number): Record<string, string> {
    const { peer, database } = fixture();
    return {
      IDEM_TEST_DATABASE_URL: database.url,
      IDEM_TEST_SCHEMA: database.schema,
      IDEM_TEST_ENDPOINTS: peer.endpoints,
      IDEM_TEST_GROUP: GROUP,
      IDEM_TEST_MODE: mode,
      IDEM_TEST_HANDLER_DELAY_MS: String(delayMs),
    };
  }

  it('keeps effects exactly-once when killed with SIGKILL mid-batch and started again', async () => {
    const { peer, database, publish } = fixture();
    publish(600);
    // 50 ms per message: a batch of 16 keeps its transaction open for most of a second.
    const first = await startChildConsumer(childEnv('batch', 50));
    await peer.waitUntil(() => {
      const { acks, deliveries } = peer.stats();
      return acks >= 100 && deliveries - acks >= 8;
    }, 60_000);
    // Kill inside the next batch: delivered, its transaction open, not yet acked.
    await new Promise((resolve) => setTimeout(resolve, 150));
    const inFlight = peer.stats().deliveries - peer.stats().acks;
    first.process.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const effectsAtKill = await database.effectCount();

    const second = await startChildConsumer(childEnv('batch', 0));
    await peer.idle(GROUP, { timeoutMs: 90_000 });
    second.process.kill('SIGTERM');
    await second.exited;

    console.warn(
      `kill -9: 600 messages, ${effectsAtKill} effects and ${inFlight} deliveries in flight when killed, ${peer.stats().redeliveries} redeliveries, final ${await database.effectCount()}`,
    );
    expect(peer.stats().redeliveries).toBeGreaterThan(0);
    expect(await database.effectCount()).toBe(600);
    expect(await database.duplicateEffects()).toEqual([]);
  }, 180_000);

  it('stops gracefully under load: finishes and acks in-flight messages, then the process exits by itself', async () => {
    const { peer, database, publish } = fixture();
    publish(2000);
    const child = await startChildConsumer(childEnv('single', 30));
    await peer.waitUntil(() => peer.stats().acks >= 50, 60_000);
    const stopRequestedAt = Date.now();
    child.process.kill('SIGTERM');
    const exit = await child.exited;
    const stopMs = Date.now() - stopRequestedAt;

    const effects = await database.effectCount();
    const acked = peer.stats().acks;
    console.warn(
      `graceful stop: exited ${exit.code} after ${stopMs} ms with ${effects} effects and ${acked} acks`,
    );
    expect(exit).toEqual({ code: 0, signal: null });
    expect(child.output()).toContain('stopped');
    // Every message that committed was acked before the process ended: nothing left to redeliver.
    expect(acked).toBe(effects);
    expect(peer.pending(GROUP, 'orders')).toBe(2000 - effects);
    expect(await database.duplicateEffects()).toEqual([]);
  }, 180_000);
});
