import { describe, expect, it } from 'vitest';
import { GROUP, useTcpFixture } from './support/tcp-fixture.js';

describe('createTcpConsumer against the RocketMQ peer', () => {
  const fixture = useTcpFixture();

  it('processes 1,000 messages into 1,000 effects and acks every one', async () => {
    const { peer, database, publish, start } = fixture();
    publish(1000);
    const consumer = await start({ concurrency: 32 });
    await peer.idle(GROUP, { timeoutMs: 60_000 });
    expect(await database.effectCount()).toBe(1000);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(peer.pending(GROUP, 'orders')).toBe(0);
    expect(consumer.health().outcomes.processed).toBe(1000);
  });

  it('skips the redeliveries caused by 30% lost acks, writing each effect once', async () => {
    const { peer, database, publish, start } = fixture();
    peer.loseAcks(0.3);
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
    expect(outcomes.duplicate).toBe(stats.redeliveries);
    expect(outcomes.processed).toBe(1000);
    expect(await database.effectCount()).toBe(1000);
    expect(await database.duplicateEffects()).toEqual([]);
  });

  it('extends the lease of a handler slower than the invisible duration, so it runs once', async () => {
    const { peer, database, handlers, publish, start } = fixture();
    handlers.controls.delayMs = 7000;
    publish(1);
    const consumer = await start({ invisibleDurationMs: 2000 });
    await peer.idle(GROUP, { timeoutMs: 30_000 });
    expect(handlers.controls.calls).toBe(1);
    expect(peer.stats().redeliveries).toBe(0);
    expect(await database.effectCount()).toBe(1);
    expect(consumer.health().outcomes).toMatchObject({ processed: 1, duplicate: 0 });
  });

  it('dead-letters a poison body at once and a failing message once its attempts are exhausted, and acks both', async () => {
    const { peer, database, handlers, publish, start } = fixture();
    handlers.controls.failingKeys.add('order-1');
    publish(3);
    peer.publish({ topic: 'orders', body: Buffer.from([0xff, 0xfe, 0xfd]), keys: ['poison-1'] });
    await start({ maxAttempts: 3, retryDelayMs: () => 100 });
    await peer.idle(GROUP, { timeoutMs: 30_000 });
    expect((await database.deadLetterReasons()).sort()).toEqual(['ATTEMPTS_EXHAUSTED', 'BODY_DECODE_FAILED']);
    expect(await database.effectCount()).toBe(2);
    expect(peer.deadLetters(GROUP)).toEqual([]);
    expect(peer.pending(GROUP, 'orders')).toBe(0);
  });

  it('keeps FIFO message groups in order', async () => {
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

describe('createTcpConsumer against a FIFO consumer group', () => {
  const fixture = useTcpFixture({ fifoGroups: [GROUP] });

  it('processes each message group in publish order while the broker holds one message per group in flight', async () => {
    const { peer, database, handlers, publish, start } = fixture();
    handlers.controls.failingKeys.add('order-3');
    publish(12, { messageGroup: (index) => (index % 2 === 0 ? 'even' : 'odd') });
    await start({ retryDelayMs: () => 100 });
    await peer.waitUntil(() => peer.stats().redeliveries >= 2, 20_000);
    handlers.controls.failingKeys.clear();
    await peer.idle(GROUP, { timeoutMs: 30_000 });
    const rows = await database.db
      .selectFrom('effects')
      .select(['key', 'message_group'])
      .orderBy('seq')
      .execute();
    const odd = rows.filter((row) => row.message_group === 'odd').map((row) => row.key);
    expect(odd).toEqual(['order-1', 'order-3', 'order-5', 'order-7', 'order-9', 'order-11']);
    expect(await database.duplicateEffects()).toEqual([]);
  });
});
