import { describe, expect, it } from 'vitest';
import { GROUP, useTcpFixture } from './support/tcp-fixture.js';

// Tests that need the peer's fault injection or a non-FIFO group with message groups (the real
// broker rejects those). The tests that run on both the peer and the real broker are in
// tcp-consumer-backends.test.ts.
describe('createTcpConsumer against the RocketMQ peer', () => {
  const fixture = useTcpFixture();

  it('skips the redeliveries caused by 30% lost acks, writing each effect once', async () => {
    const { peer, database, publish, start } = fixture();
    // Lost acks that were never applied: the ones whose retry fails too certainly come back.
    // (Applied half the time, redeliveries hung on two lost requests in a row and were sometimes
    // none at all, now that one request carries many acks.)
    peer.loseAcks(0.3, { effect: 'never' });
    publish(1000);
    const consumer = await start({ concurrency: 32 });
    await peer.idle(GROUP, { timeoutMs: 90_000 });
    const { outcomes, ackFailures } = consumer.health();
    const stats = peer.stats();
    console.warn(
      `lost acks: 1000 messages, ${stats.lostAcks} acks lost, ${ackFailures} acks given up after a retry, ` +
        `${stats.redeliveries} redeliveries, ${outcomes.duplicate} duplicates skipped, ${outcomes.processed} processed`,
    );
    // Most lost acks succeed on the consumer's retry; those that do not come back and are skipped.
    expect(stats.lostAcks).toBeGreaterThan(100);
    expect(stats.redeliveries).toBeGreaterThan(0);
    expect(stats.redeliveries).toBe(ackFailures);
    expect(outcomes.duplicate).toBe(stats.redeliveries);
    expect(outcomes.processed).toBe(1000);
    expect(await database.effectCount()).toBe(1000);
    expect(await database.duplicateEffects()).toEqual([]);
  });

  it('keeps message groups in order within a non-FIFO group', async () => {
    const { peer, database, publish, start } = fixture();
    const groups = ['cart-a', 'cart-b', 'cart-c'];
    publish(60, { messageGroup: (index) => groups[index % groups.length] ?? 'cart-a' });
    await start({ concurrency: 16 });
    await peer.idle(GROUP, { timeoutMs: 30_000 });
    const rows = await database.db
      .selectFrom('effects')
      .select(['key', 'message_group'])
      .orderBy('seq')
      .execute();
    expect(rows).toHaveLength(60);
    for (const group of groups) {
      const keys = rows
        .filter((row) => row.message_group === group)
        .map((row) => Number(row.key.split('-')[1]));
      expect(keys).toEqual([...keys].sort((a, b) => a - b));
      expect(keys).toHaveLength(20);
    }
  });
});
