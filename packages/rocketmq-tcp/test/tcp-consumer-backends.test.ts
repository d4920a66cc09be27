// The TCP adapter's core behaviour, run against the in-process protocol peer and against a real
// Apache RocketMQ 5 broker (one per describe block). Fault-injection tests stay peer-only in
// tcp-consumer.test.ts.
import { describe, expect, it } from 'vitest';
import { BACKENDS, useBackend } from './support/backend-fixture.js';

describe.each(BACKENDS)('createTcpConsumer on the %s', (backend) => {
  const setup = useBackend(backend);

  it('processes 1,000 messages into 1,000 effects and acks every one', async (ctx) => {
    const { database, publish, start, settled, peer, group, topic } = await setup(ctx);
    const consumer = await start({ concurrency: 32 });
    await publish(1000);
    await settled(consumer, async () => (await database.effectCount()) >= 1000, 120_000);
    const health = consumer.health();
    expect(await database.effectCount()).toBe(1000);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(health.outcomes.processed).toBe(1000);
    expect(health.ackFailures).toBe(0);
    if (peer !== undefined) expect(peer.pending(group, topic)).toBe(0);
  }, 180_000);

  it('extends the lease of a handler slower than the invisible duration, so it runs once', async (ctx) => {
    const { database, handlers, publish, start, settled, peer, timing } = await setup(ctx);
    // Half as long again as the lease: without extensions the message would come back meanwhile.
    handlers.controls.delayMs = Math.round(timing.invisibleDurationMs * 1.5);
    const received: number[] = [];
    const consumer = await start({
      onEvent: (event) => {
        if (event.type === 'received') received.push(event.count);
      },
    });
    await publish(1);
    await settled(consumer, () => consumer.health().outcomes.processed >= 1, 60_000);
    expect(handlers.controls.calls).toBe(1);
    expect(received).toEqual([1]);
    if (peer !== undefined) expect(peer.stats().redeliveries).toBe(0);
    expect(await database.effectCount()).toBe(1);
    expect(consumer.health().outcomes).toMatchObject({ processed: 1, duplicate: 0 });
  }, 120_000);

  it('dead-letters a poison body at once and a failing message once its attempts are exhausted, and acks both', async (ctx) => {
    const { database, handlers, publish, publishRaw, start, settled, peer, group, topic } = await setup(ctx);
    handlers.controls.failingKeys.add('order-1');
    await publish(3);
    await publishRaw(Buffer.from([0xff, 0xfe, 0xfd]), 'poison-1');
    const consumer = await start({ maxAttempts: 3, retryDelayMs: () => 100 });
    await settled(consumer, () => consumer.health().outcomes['dead-lettered'] >= 2, 90_000);
    expect((await database.deadLetterReasons()).sort()).toEqual(['ATTEMPTS_EXHAUSTED', 'BODY_DECODE_FAILED']);
    expect(await database.effectCount()).toBe(2);
    expect(consumer.health().outcomes).toMatchObject({ processed: 2, failed: 2, 'dead-lettered': 2 });
    if (peer !== undefined) {
      expect(peer.deadLetters(group)).toEqual([]);
      expect(peer.pending(group, topic)).toBe(0);
    }
  }, 150_000);

  it('processes each message group of a FIFO group in publish order, also across a failing message', async (ctx) => {
    const { database, handlers, publish, start, settled, waitFor } = await setup(ctx, { fifo: true });
    handlers.controls.failingKeys.add('order-3');
    await publish(12, { messageGroup: (index) => (index % 2 === 0 ? 'even' : 'odd') });
    const consumer = await start({ concurrency: 16, retryDelayMs: () => 100 });
    await waitFor(() => consumer.health().outcomes.failed >= 2, 90_000);
    handlers.controls.failingKeys.clear();
    await settled(consumer, async () => (await database.effectCount()) >= 12, 90_000);
    const rows = await database.db
      .selectFrom('effects')
      .select(['key', 'message_group'])
      .orderBy('seq')
      .execute();
    const odd = rows.filter((row) => row.message_group === 'odd').map((row) => row.key);
    const even = rows.filter((row) => row.message_group === 'even').map((row) => row.key);
    expect(odd).toEqual(['order-1', 'order-3', 'order-5', 'order-7', 'order-9', 'order-11']);
    expect(even).toEqual(['order-0', 'order-2', 'order-4', 'order-6', 'order-8', 'order-10']);
    expect(await database.duplicateEffects()).toEqual([]);
  }, 200_000);

  it('keeps 60 messages in three FIFO message groups in order with 16 in flight', async (ctx) => {
    const { database, publish, start, settled } = await setup(ctx, { fifo: true });
    const groups = ['cart-a', 'cart-b', 'cart-c'];
    await publish(60, { messageGroup: (index) => groups[index % groups.length] ?? 'cart-a' });
    const consumer = await start({ concurrency: 16 });
    await settled(consumer, async () => (await database.effectCount()) >= 60, 90_000);
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
  }, 150_000);
});
