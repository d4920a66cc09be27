import { setTimeout as sleep } from 'node:timers/promises';
import type * as RocketMQ from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { type RocketMQPeer, type RocketMQPeerOptions, startRocketMQPeer } from '../src/index.js';
import {
  pushConsumer,
  quietLogger,
  receiveAtLeast,
  rocketmq,
  shutdownAll,
  simpleConsumer,
  started,
} from './rocketmq-peer-clients.js';

/** A seeded random source (mulberry32), so that fault rolls replay the same way on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let value = state;
    value = Math.imul(value ^ (value >>> 15), value | 1);
    value ^= value + Math.imul(value ^ (value >>> 7), value | 61);
    return ((value ^ (value >>> 14)) >>> 0) / 4294967296;
  };
}

/** Retries `call` while it fails with gRPC UNAVAILABLE: a client's first calls after an outage may. */
async function whileReconnecting<T>(call: () => Promise<T>): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await call();
    } catch (error) {
      const unavailable = typeof error === 'object' && error !== null && 'code' in error && error.code === 14;
      if (!unavailable || attempt >= 10) throw error;
      await sleep(300);
    }
  }
}

/** Records what a PushConsumer listener saw: message id -> delivery attempts, in order. */
function recorder(delayMs: number) {
  const seen = new Map<string, number[]>();
  const consume = async (message: RocketMQ.MessageView): Promise<RocketMQ.ConsumeResult> => {
    await sleep(delayMs);
    seen.set(message.messageId, [...(seen.get(message.messageId) ?? []), message.deliveryAttempt ?? 0]);
    return rocketmq.ConsumeResult.SUCCESS;
  };
  return { seen, consume };
}

// Fault injection against the real rocketmq-client-nodejs 1.0.8 clients over 127.0.0.1.
describe('RocketMQ peer faults', () => {
  let peer: RocketMQPeer | undefined;
  const peerWith = async (options: RocketMQPeerOptions = {}): Promise<RocketMQPeer> => {
    peer = await startRocketMQPeer({
      longPollingTimeoutMs: 1000,
      minInvisibleDurationMs: 200,
      pushInvisibleDurationMs: 1500,
      ...options,
    });
    return peer;
  };
  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
  });

  it('survives restart({ downMs }) mid-stream: the PushConsumer recovers and every message is acked', async () => {
    const broker = await peerWith({ receiveBatchSize: 4 });
    const ids = Array.from({ length: 24 }, (_, index) =>
      broker.publish({ topic: 'orders', body: `order ${index}` }),
    );
    const { seen, consume } = recorder(40);
    let consumer: RocketMQ.PushConsumer | undefined;
    try {
      consumer = await started(pushConsumer(broker.endpoints, 'billing', { orders: '*' }, consume));
      await broker.waitUntil(() => broker.stats().acks >= 6);
      await broker.restart({ downMs: 500 });
      ids.push(
        ...[1, 2, 3].map((index) => broker.publish({ topic: 'orders', body: `after restart ${index}` })),
      );
      await broker.idle('billing', { timeoutMs: 30_000 });
    } finally {
      await shutdownAll(consumer);
    }
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    const stats = broker.stats();
    expect(stats.restarts).toBe(1);
    expect(stats.acks).toBe(ids.length);
    // Anything handled twice was redelivered by the peer with a higher attempt, never silently;
    // some redeliveries replace responses the outage swallowed and reach the listener only once.
    const handled = [...seen.values()].flat();
    expect(handled.length).toBeLessThanOrEqual(stats.deliveries);
    expect(handled.length - seen.size).toBeLessThanOrEqual(stats.redeliveries);
  });

  it('keeps messages, progress and receipt handles across a restart, and redelivers what stayed unacked', async () => {
    const broker = await peerWith();
    const ids = ['a', 'b', 'c'].map((body) => broker.publish({ topic: 'orders', body }));
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      const client = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      consumer = client;
      const [first, second, ...rest] = await receiveAtLeast(client, 2, 1500);
      if (first === undefined || second === undefined) throw new Error('expected two messages');
      expect(rest).toEqual([]);
      await broker.restart({ downMs: 300 });
      // Handles survive the restart; the second delivery was never acked and comes back.
      await whileReconnecting(() => client.ack(first));
      const later = await whileReconnecting(() => receiveAtLeast(client, 2, 1500));
      expect(later.map((message) => [message.messageId, message.deliveryAttempt]).sort()).toEqual(
        [
          [ids[1], 2],
          [ids[2], 1],
        ].sort(),
      );
      expect(second.messageId).toBe(ids[1]);
      for (const message of later) await consumer.ack(message);
      await broker.idle('billing');
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('recovers from dropConnections(): the PushConsumer reconnects and keeps consuming', async () => {
    const broker = await peerWith({ receiveBatchSize: 4 });
    const ids = Array.from({ length: 12 }, (_, index) =>
      broker.publish({ topic: 'orders', body: `order ${index}` }),
    );
    const { seen, consume } = recorder(40);
    let consumer: RocketMQ.PushConsumer | undefined;
    try {
      consumer = await started(pushConsumer(broker.endpoints, 'billing', { orders: '*' }, consume));
      await broker.waitUntil(() => broker.stats().acks >= 4);
      broker.dropConnections();
      ids.push(...[1, 2, 3].map((index) => broker.publish({ topic: 'orders', body: `after drop ${index}` })));
      await broker.idle('billing', { timeoutMs: 30_000 });
    } finally {
      await shutdownAll(consumer);
    }
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect(broker.stats().acks).toBe(ids.length);
  });

  it('injects duplicate deliveries that carry the same id and a higher attempt, and need their own ack', async () => {
    const broker = await peerWith({ random: seeded(42) });
    broker.duplicateDeliveries(0.5);
    const ids = Array.from({ length: 12 }, (_, index) =>
      broker.publish({ topic: 'orders', body: `order ${index}` }),
    );
    const { seen, consume } = recorder(5);
    let consumer: RocketMQ.PushConsumer | undefined;
    try {
      consumer = await started(pushConsumer(broker.endpoints, 'billing', { orders: '*' }, consume));
      await broker.idle('billing', { timeoutMs: 20_000 });
    } finally {
      await shutdownAll(consumer);
    }
    broker.duplicateDeliveries(0);
    const stats = broker.stats();
    expect([...seen.keys()].sort()).toEqual([...ids].sort());
    expect(stats.duplicatesInjected).toBeGreaterThan(0);
    const extra = [...seen.values()].flatMap((attempts) => attempts.slice(1));
    expect(extra).toHaveLength(stats.duplicatesInjected);
    expect(extra.every((attempt) => attempt >= 2)).toBe(true);
    expect(stats.redeliveries).toBe(stats.duplicatesInjected);
    expect(stats.acks).toBe(ids.length + stats.duplicatesInjected);
  });

  it('loses acks: the SimpleConsumer sees UNAVAILABLE, and the acks that were not applied come back', async () => {
    const broker = await peerWith({ random: seeded(7) });
    broker.publish({ topic: 'orders', body: 'a' });
    for (let index = 0; index < 7; index++) broker.publish({ topic: 'orders', body: `order ${index}` });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      const received = await receiveAtLeast(consumer, 8, 400);
      expect(received).toHaveLength(8);
      broker.loseAcks(1);
      for (const message of received) {
        await expect(consumer.ack(message)).rejects.toMatchObject({ code: 14 }); // gRPC UNAVAILABLE
      }
      broker.loseAcks(0);
      const notApplied = broker.pending('billing', 'orders');
      expect(broker.stats().lostAcks).toBe(8);
      expect(notApplied).toBeGreaterThan(0);
      expect(notApplied).toBeLessThan(8);
      const again = await receiveAtLeast(consumer, notApplied, 5000);
      expect(again.map((message) => message.deliveryAttempt)).toEqual(Array(notApplied).fill(2));
      for (const message of again) await consumer.ack(message);
      await broker.idle('billing');
      expect(broker.stats()).toMatchObject({ redeliveries: notApplied, acks: 8 });
    } finally {
      await shutdownAll(consumer);
    }
  });

  it.each([
    ['never', 8, 8],
    ['always', 0, 0],
  ] as const)('loses acks with effect %s: %i of 8 come back', async (effect, pending, redeliveries) => {
    const broker = await peerWith({ random: seeded(7) });
    for (let index = 0; index < 8; index++) broker.publish({ topic: 'orders', body: `order ${index}` });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      const received = await receiveAtLeast(consumer, 8, 400);
      broker.loseAcks(1, { effect });
      for (const message of received) {
        await expect(consumer.ack(message)).rejects.toMatchObject({ code: 14 }); // gRPC UNAVAILABLE
      }
      broker.loseAcks(0);
      expect(broker.pending('billing', 'orders')).toBe(pending);
      const again = pending === 0 ? [] : await receiveAtLeast(consumer, pending, 5000);
      for (const message of again) await consumer.ack(message);
      await broker.idle('billing');
      expect(broker.stats()).toMatchObject({ lostAcks: 8, redeliveries });
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('refuses a lost-ack effect it does not know, naming the ones it takes', async () => {
    const broker = await peerWith({});
    expect(() => broker.loseAcks(0.5, { effect: 'sometimes' as never })).toThrow(
      "loseAcks takes effect 'random', 'always' or 'never', got sometimes",
    );
  });

  it('loses acks of a PushConsumer, which retries them until the peer has them', async () => {
    const broker = await peerWith({ random: seeded(3) });
    broker.loseAcks(0.5);
    for (let index = 0; index < 8; index++) broker.publish({ topic: 'orders', body: `order ${index}` });
    const { seen, consume } = recorder(5);
    let consumer: RocketMQ.PushConsumer | undefined;
    try {
      consumer = await started(pushConsumer(broker.endpoints, 'billing', { orders: '*' }, consume));
      await broker.idle('billing', { timeoutMs: 20_000 });
      broker.loseAcks(0);
    } finally {
      await shutdownAll(consumer);
    }
    expect(seen.size).toBe(8);
    expect(broker.stats().lostAcks).toBeGreaterThan(0);
    expect(broker.pending('billing', 'orders')).toBe(0);
  });

  it('delays responses past the client deadline while still applying the call', async () => {
    const broker = await peerWith();
    broker.publish({ topic: 'orders', body: 'slow' });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = new rocketmq.SimpleConsumer({
        endpoints: broker.endpoints,
        namespace: '',
        consumerGroup: 'billing',
        subscriptions: new Map([['orders', '*']]),
        awaitDuration: 1000,
        requestTimeout: 1000,
        logger: quietLogger(),
      });
      consumer = await started(consumer);
      const [message] = await receiveAtLeast(consumer, 1, 5000);
      if (message === undefined) throw new Error('no message received');
      broker.delay(1500);
      await expect(consumer.ack(message)).rejects.toMatchObject({ code: 4 }); // gRPC DEADLINE_EXCEEDED
      broker.delay(0);
      expect(broker.pending('billing', 'orders')).toBe(0);
      expect(broker.stats().acks).toBe(1);
    } finally {
      await shutdownAll(consumer);
    }
  });
});
