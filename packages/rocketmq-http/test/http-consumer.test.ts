import type { ConsumerEvent } from '@idem/core';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderHandlers, PaymentHandlers } from '../../../test-support/effects/order-handlers.js';
import { LogRecorder } from '../../../test-support/log-recorder.js';
import { HTTP_TRANSPORT } from '../src/index.js';
import { httpTestKit, publishOrders, seededRandom, socketsTo } from './support/http-test-kit.js';

const GROUP = 'GID_billing';

describe('createHttpConsumer against the MQ HTTP peer', () => {
  const kit = httpTestKit();
  afterEach(() => kit.cleanUp());

  it('processes 1,000 messages into 1,000 effects and acks every one', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    publishOrders(peer, 1000);
    const consumer = kit.consumer(peer, database, { handlers: [new OrderHandlers()], concurrency: 32 });
    await consumer.start();
    await peer.idle(GROUP, 'orders', { timeoutMs: 50_000 });
    expect(await database.effectCount()).toBe(1000);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(peer.pending(GROUP, 'orders')).toBe(0);
    expect(consumer.health().outcomes.processed).toBe(1000);
    expect(consumer.health().ready).toBe(true);
  });

  it('skips the redeliveries that lost acks cause, keeping one effect per key', async () => {
    const peer = await kit.startPeer({ invisibleTimeMs: 1500, random: seededRandom(7) });
    const database = await kit.database();
    peer.loseAcks(0.3, { effect: 'never' });
    publishOrders(peer, 300);
    const logger = new LogRecorder();
    const consumer = kit.consumer(peer, database, {
      handlers: [new OrderHandlers()],
      concurrency: 16,
      logger,
    });
    await consumer.start();
    await peer.idle(GROUP, 'orders', { timeoutMs: 40_000 });
    const { outcomes, ackFailures } = consumer.health();
    const stats = peer.stats();
    console.warn(
      `[rocketmq-http lost acks] messages 300, ack requests lost ${stats.lostAcks}, acks left to redelivery ${ackFailures}, ` +
        `redeliveries ${stats.redeliveries}, duplicates skipped ${outcomes.duplicate}, log lines at info or above ${logger.visible().length}`,
    );
    expect(await database.effectCount()).toBe(300);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(outcomes.processed).toBe(300);
    expect(stats.lostAcks).toBeGreaterThan(0);
    expect(outcomes.duplicate).toBeGreaterThan(0);
    expect(outcomes.duplicate).toBeGreaterThanOrEqual(ackFailures);
  });

  it('acks a received batch in one request per 16 handles in batch mode', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    publishOrders(peer, 160);
    const consumer = kit.consumer(peer, database, {
      handlers: [new OrderHandlers()],
      mode: 'batch',
      batchSize: 16,
      concurrency: 16,
    });
    await consumer.start();
    await peer.idle(GROUP, 'orders', { timeoutMs: 30_000 });
    expect(await database.effectCount()).toBe(160);
    const stats = peer.stats();
    expect(stats.acks).toBe(160);
    // One ack request per message would alone make 160 requests, consumes aside.
    console.warn(
      `[rocketmq-http batch mode] messages 160, HTTP requests (consumes and acks) ${stats.requests}`,
    );
    expect(stats.requests).toBeLessThan(160);
  });

  it('dead-letters a poison body and a message whose attempts ran out, and acks both', async () => {
    const peer = await kit.startPeer({ invisibleTimeMs: 800 });
    const database = await kit.database();
    const orders = new OrderHandlers();
    orders.controls.failingKeys.add('order-1');
    publishOrders(peer, 3);
    peer.publish({ topic: 'payments', body: 'this is not JSON', keys: 'payment-1' });
    peer.publish({ topic: 'payments', body: '{"amount":5}', keys: 'payment-2' });
    const consumer = kit.consumer(peer, database, {
      handlers: [orders, new PaymentHandlers()],
      maxAttempts: 3,
    });
    await consumer.start();
    await peer.idle(GROUP, undefined, { timeoutMs: 20_000 });
    expect((await database.deadLetterReasons()).sort()).toEqual(['ATTEMPTS_EXHAUSTED', 'BODY_DECODE_FAILED']);
    // order-1 rolled back on each of its three attempts; the others wrote once.
    expect(await database.effectCount()).toBe(3);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(consumer.health().outcomes).toMatchObject({ processed: 3, failed: 2, 'dead-lettered': 2 });
    expect(peer.stats().redeliveries).toBe(2);
  });

  it('handles the messages of each sharding key in publish order when ordered', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    const partitions = ['A', 'B', 'C', 'D'];
    for (let index = 0; index < 20; index += 1) {
      for (const partition of partitions) {
        peer.publish({
          topic: 'orders',
          body: `order ${partition}${index}`,
          keys: `${partition}-${index}`,
          shardingKey: partition,
        });
      }
    }
    const settled: ConsumerEvent[] = [];
    const orders = new OrderHandlers();
    orders.controls.delayMs = 5;
    const consumer = kit.consumer(peer, database, {
      handlers: [orders],
      ordered: true,
      concurrency: 8,
      onEvent: (event) => {
        if (event.type === 'settled') settled.push(event);
      },
    });
    await consumer.start();
    await peer.idle(GROUP, 'orders', { timeoutMs: 30_000 });
    const byGroup = await database.keysByGroup();
    expect([...byGroup.keys()].sort()).toEqual(partitions);
    for (const partition of partitions) {
      expect(byGroup.get(partition)).toEqual(
        Array.from({ length: 20 }, (_, index) => `${partition}-${index}`),
      );
    }
    expect(settled).toHaveLength(80);
    expect(await database.duplicateEffects()).toEqual([]);
  });

  it('keeps the order of a sharding key across a handler failure inside a received batch', async () => {
    const peer = await kit.startPeer({ orderedInvisibleTimeMs: 800 });
    const database = await kit.database();
    for (let index = 0; index < 6; index += 1) {
      for (const partition of ['A', 'B']) {
        peer.publish({
          topic: 'orders',
          body: `${partition}${index}`,
          keys: `${partition}-${index}`,
          shardingKey: partition,
        });
      }
    }
    const orders = new OrderHandlers();
    orders.controls.failingKeys.add('A-2');
    const consumer = kit.consumer(peer, database, {
      handlers: [orders],
      ordered: true,
      batchSize: 16,
      concurrency: 16,
      onEvent: (event) => {
        // A-2 fails once; the service holds A-3.. back until A-2 is redelivered and acked.
        if (event.type === 'settled' && event.result.outcome === 'failed')
          orders.controls.failingKeys.clear();
      },
    });
    await consumer.start();
    await peer.idle(GROUP, 'orders', { timeoutMs: 20_000 });
    const byGroup = await database.keysByGroup();
    expect(byGroup.get('A')).toEqual(['A-0', 'A-1', 'A-2', 'A-3', 'A-4', 'A-5']);
    expect(byGroup.get('B')).toEqual(['B-0', 'B-1', 'B-2', 'B-3', 'B-4', 'B-5']);
    expect(consumer.health().outcomes).toMatchObject({ processed: 12, failed: 1 });
  });

  it('maps the SDK message onto the inbound message', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    peer.publish({
      topic: 'orders',
      body: 'order é ✓',
      tag: 'created',
      keys: ['order-9', 'customer-4'],
      properties: { region: 'eu' },
      shardingKey: 'customer-4',
    });
    const seen: ConsumerEvent[] = [];
    const consumer = kit.consumer(peer, database, {
      handlers: [new OrderHandlers()],
      onEvent: (event) => seen.push(event),
    });
    await consumer.start();
    await peer.idle(GROUP, 'orders');
    const event = seen.find((candidate) => candidate.type === 'settled');
    if (event?.type !== 'settled') throw new Error('no message settled');
    expect(event.result.outcome).toBe('processed');
    expect(event.result.key).toBe('order-9');
    expect(event.message).toMatchObject({
      topic: 'orders',
      tag: 'created',
      keys: ['order-9', 'customer-4'],
      properties: { region: 'eu' },
      deliveryAttempt: 1,
      messageGroup: 'customer-4',
      transport: HTTP_TRANSPORT,
    });
    expect(event.message.body.toString('utf8')).toBe('order é ✓');
    expect(event.message.bornAt).toBeInstanceOf(Date);
  });

  it('stops during a long poll without waiting for it, leaving no connection open', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    const consumer = kit.consumer(peer, database, { handlers: [new OrderHandlers()], waitSeconds: 30 });
    await consumer.start();
    await peer.waitUntil(() => peer.stats().requests >= 2);
    expect(socketsTo(peer.port).length).toBeGreaterThan(0);
    const stopping = Date.now();
    await consumer.stop();
    // The long poll would have held the peer for 30 s.
    expect(Date.now() - stopping).toBeLessThan(10_000);
    await new Promise((resolve) => setImmediate(resolve));
    expect(socketsTo(peer.port)).toEqual([]);
    expect(consumer.health().status).toBe('stopped');
  });
});
