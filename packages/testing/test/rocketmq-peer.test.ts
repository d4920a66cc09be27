import { Client, credentials, Metadata } from '@grpc/grpc-js';
import type * as RocketMQ from 'rocketmq-client-nodejs';
import { afterEach, describe, expect, it } from 'vitest';
import { type RocketMQPeer, type RocketMQPeerOptions, startRocketMQPeer } from '../src/index.js';
import { loadMessagingService } from '../src/rocketmq-peer/load-messaging-service.js';
import {
  producer,
  pushConsumer,
  receiveAtLeast,
  rocketmq,
  shutdownAll,
  simpleConsumer,
  started,
} from './rocketmq-peer-clients.js';

// The real rocketmq-client-nodejs 1.0.8 clients against the peer over 127.0.0.1.
describe('startRocketMQPeer with the real rocketmq-client-nodejs clients', () => {
  let peer: RocketMQPeer | undefined;
  const peerWith = async (options: RocketMQPeerOptions = {}): Promise<RocketMQPeer> => {
    peer = await startRocketMQPeer({ longPollingTimeoutMs: 1000, minInvisibleDurationMs: 200, ...options });
    return peer;
  };
  afterEach(async () => {
    await peer?.stop();
    peer = undefined;
  });

  const only = (messages: RocketMQ.MessageView[]): RocketMQ.MessageView => {
    expect(messages).toHaveLength(1);
    const [message] = messages;
    if (message === undefined) throw new Error('no message received');
    return message;
  };

  it('hands a Producer message to a SimpleConsumer with the same id, body, keys, tag and properties', async () => {
    const broker = await peerWith();
    let sender: RocketMQ.Producer | undefined;
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      sender = await started(producer(broker.endpoints, ['orders']));
      const receipt = await sender.send({
        topic: 'orders',
        body: Buffer.from('{"id":1}'),
        tag: 'created',
        keys: ['order-1'],
        properties: new Map([['tenant', 'acme']]),
      });
      consumer = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      const message = only(await receiveAtLeast(consumer, 1, 5000));
      expect(message.messageId).toBe(receipt.messageId);
      expect(message.body.toString()).toBe('{"id":1}');
      expect(message.tag).toBe('created');
      expect(message.keys).toEqual(['order-1']);
      expect(message.properties.get('tenant')).toBe('acme');
      expect(message.deliveryAttempt).toBe(1);
      expect(message.corrupted).not.toBe(true);
      await consumer.ack(message);
      await broker.idle('billing');
      expect(broker.stats()).toMatchObject({ published: 1, deliveries: 1, acks: 1, redeliveries: 0 });
      expect(broker.messages('orders').map((stored) => stored.messageId)).toEqual([receipt.messageId]);
    } finally {
      await shutdownAll(consumer, sender);
    }
  });

  it('feeds a PushConsumer every published message once and records its acks', async () => {
    const broker = await peerWith();
    const ids = Array.from({ length: 20 }, (_, index) =>
      broker.publish({ topic: 'orders', body: `order ${index}`, keys: [`order-${index}`] }),
    );
    const seen: string[] = [];
    let consumer: RocketMQ.PushConsumer | undefined;
    try {
      consumer = await started(
        pushConsumer(broker.endpoints, 'billing', { orders: '*' }, (message) => {
          seen.push(message.messageId);
          return rocketmq.ConsumeResult.SUCCESS;
        }),
      );
      await broker.idle('billing');
    } finally {
      await shutdownAll(consumer);
    }
    expect([...seen].sort()).toEqual([...ids].sort());
    expect(broker.stats().groups.billing).toMatchObject({ deliveries: 20, acks: 20, redeliveries: 0 });
  });

  it('delivers only the tags of the filter expression and skips the others for that group', async () => {
    const broker = await peerWith();
    for (const tag of ['a', 'b', 'c', 'b', 'a']) broker.publish({ topic: 'events', body: tag, tag });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'picky', { events: 'a||c' }));
      const received = await receiveAtLeast(consumer, 3, 5000);
      expect(received.map((message) => message.tag).sort()).toEqual(['a', 'a', 'c']);
      for (const message of received) await consumer.ack(message);
      await broker.idle('picky');
      expect(await consumer.receive(10, 1000)).toEqual([]);
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('gives every consumer group every message, independently', async () => {
    const broker = await peerWith();
    const ids = [1, 2, 3].map((index) => broker.publish({ topic: 'orders', body: `order ${index}` }));
    let first: RocketMQ.SimpleConsumer | undefined;
    let second: RocketMQ.SimpleConsumer | undefined;
    try {
      first = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      second = await started(simpleConsumer(broker.endpoints, 'shipping', { orders: '*' }));
      const billing = await receiveAtLeast(first, 3, 5000);
      for (const message of billing) await first.ack(message);
      await broker.idle('billing');
      expect(broker.pending('shipping', 'orders')).toBe(3);
      const shipping = await receiveAtLeast(second, 3, 5000);
      for (const message of shipping) await second.ack(message);
      await broker.idle('shipping');
      expect(billing.map((message) => message.messageId)).toEqual(ids);
      expect(shipping.map((message) => message.messageId)).toEqual(ids);
    } finally {
      await shutdownAll(first, second);
    }
  });

  it('redelivers an unacked message with attempt 2 and a new handle, and refuses the old handle with 40013', async () => {
    const broker = await peerWith();
    const id = broker.publish({ topic: 'orders', body: 'once' });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      const first = only(await receiveAtLeast(consumer, 1, 300));
      const second = only(await receiveAtLeast(consumer, 1, 5000));
      expect(second.messageId).toBe(id);
      expect([first.deliveryAttempt, second.deliveryAttempt]).toEqual([1, 2]);
      expect(second.receiptHandle).not.toBe(first.receiptHandle);
      await expect(consumer.ack(first)).rejects.toMatchObject({ name: 'BadRequestException', code: 40013 });
      await consumer.ack(second);
      await broker.idle('billing');
      expect(broker.stats()).toMatchObject({ deliveries: 2, redeliveries: 1, acks: 1, invalidHandles: 1 });
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('refuses SimpleConsumer invisible durations below the configured minimum with 40011', async () => {
    const broker = await peerWith({ minInvisibleDurationMs: 10_000 });
    broker.publish({ topic: 'orders', body: 'x' });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      await expect(consumer.receive(1, 5000)).rejects.toMatchObject({ code: 40011 });
      expect(await consumer.receive(1, 10_000)).toHaveLength(1);
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('applies ChangeInvisibleDuration with a new handle, after which the message comes back', async () => {
    const broker = await peerWith();
    const id = broker.publish({ topic: 'orders', body: 'later' });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      const message = only(await receiveAtLeast(consumer, 1, 60_000));
      const handleBefore = message.receiptHandle;
      await consumer.changeInvisibleDuration(message, 200);
      expect(message.receiptHandle).not.toBe(handleBefore);
      const again = only(await receiveAtLeast(consumer, 1, 60_000));
      expect([again.messageId, again.deliveryAttempt]).toEqual([id, 2]);
      // The handle from ChangeInvisibleDuration belonged to the delivery that just expired.
      await expect(consumer.ack(message)).rejects.toMatchObject({ code: 40013 });
      await consumer.ack(again);
      expect(broker.stats()).toMatchObject({ invisibilityChanges: 1, acks: 1 });
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('moves a message to %DLQ%<group> once it used up its delivery attempts', async () => {
    const broker = await peerWith({ maxDeliveryAttempts: 2 });
    const id = broker.publish({ topic: 'orders', body: 'poison', keys: ['order-9'] });
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'billing', { orders: '*' }));
      const attempts: number[] = [];
      for (let round = 0; round < 2; round++) {
        attempts.push(only(await receiveAtLeast(consumer, 1, 200)).deliveryAttempt ?? 0);
      }
      expect(attempts).toEqual([1, 2]);
      // The next receive finds the exhausted message visible and dead-letters it instead.
      expect(await receiveAtLeast(consumer, 1, 200, 1500)).toEqual([]);
      await broker.idle('billing');
      const [dead, ...more] = broker.deadLetters('billing');
      expect(more).toEqual([]);
      expect(dead).toMatchObject({
        messageId: id,
        topic: '%DLQ%billing',
        originalTopic: 'orders',
        deliveryAttempts: 2,
        reason: 'max-delivery-attempts',
        keys: ['order-9'],
      });
      expect(dead?.body.toString()).toBe('poison');
      expect(broker.messages('%DLQ%billing')).toHaveLength(1);
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('keeps one message per FIFO message group in flight, in publish order', async () => {
    const broker = await peerWith({ fifoGroups: ['ledger'] });
    for (let index = 0; index < 3; index++) {
      for (const account of ['x', 'y'])
        broker.publish({ topic: 'moves', body: `${account}${index}`, messageGroup: account });
    }
    let consumer: RocketMQ.SimpleConsumer | undefined;
    try {
      consumer = await started(simpleConsumer(broker.endpoints, 'ledger', { moves: '*' }));
      const rounds: string[][] = [];
      for (let round = 0; round < 3; round++) {
        const batch = await consumer.receive(10, 30_000);
        rounds.push(batch.map((message) => message.body.toString()).sort());
        for (const message of batch) await consumer.ack(message);
      }
      expect(rounds).toEqual([
        ['x0', 'y0'],
        ['x1', 'y1'],
        ['x2', 'y2'],
      ]);
      const [message] = await consumer.receive(1, 30_000).catch(() => []);
      expect(message).toBeUndefined();
    } finally {
      await shutdownAll(consumer);
    }
  });

  it('lets a FIFO PushConsumer retry locally, forward to the DLQ, then move on in the group', async () => {
    const broker = await peerWith({ fifoGroups: ['ledger'], maxDeliveryAttempts: 3 });
    const ids = ['bad', 'next'].map((body) =>
      broker.publish({ topic: 'moves', body, messageGroup: 'account-1' }),
    );
    const calls: string[] = [];
    let consumer: RocketMQ.PushConsumer | undefined;
    try {
      consumer = await started(
        pushConsumer(broker.endpoints, 'ledger', { moves: '*' }, (message) => {
          calls.push(`${message.body.toString()}#${message.deliveryAttempt}`);
          return message.body.toString() === 'bad'
            ? rocketmq.ConsumeResult.FAILURE
            : rocketmq.ConsumeResult.SUCCESS;
        }),
      );
      await broker.idle('ledger');
    } finally {
      await shutdownAll(consumer);
    }
    expect(calls).toEqual(['bad#1', 'bad#2', 'bad#3', 'next#1']);
    expect(broker.deadLetters('ledger')).toMatchObject([
      { messageId: ids[0], reason: 'forwarded-by-client' },
    ]);
  });

  it('answers a receive that comes before the client sent its Settings with INTERNAL_SERVER_ERROR, as the proxy', async () => {
    const broker = await peerWith();
    broker.publish({ topic: 'orders', body: 'x' });
    const method = loadMessagingService().ReceiveMessage;
    if (method === undefined) throw new Error('ReceiveMessage is not in the service definition');
    const raw = new Client(broker.endpoints, credentials.createInsecure());
    const metadata = new Metadata();
    metadata.set('x-mq-client-id', 'raw-client@1');
    try {
      const frames = await new Promise<unknown[]>((resolve, reject) => {
        const call = raw.makeServerStreamRequest(
          method.path,
          method.requestSerialize,
          (bytes: Buffer): unknown => method.responseDeserialize(bytes),
          {
            group: { name: 'billing' },
            messageQueue: { topic: { name: 'orders' }, id: 0 },
            filterExpression: { type: 1, expression: '*' },
            batchSize: 1,
            autoRenew: true,
          },
          metadata,
        );
        const received: unknown[] = [];
        call.on('data', (frame: unknown) => received.push(frame));
        call.on('end', () => resolve(received));
        call.on('error', reject);
      });
      expect(frames[0]).toMatchObject({ status: { code: 50001 } });
      expect(broker.stats().deliveries).toBe(0);
    } finally {
      raw.close();
    }
  });
});
