import { describe, expect, it } from 'vitest';
import { BrokerModel, type ReceiveRequest } from '../src/rocketmq-peer/broker-model.js';
import type { NewMessage } from '../src/rocketmq-peer/stored-message.js';

// The peer's broker state on its own, with a hand-driven clock: no sockets, no timers.
function brokerAt(options: { maxDeliveryAttempts?: number; fifoGroups?: string[] } = {}) {
  const clock = { now: 1_000_000 };
  const model = new BrokerModel({
    maxDeliveryAttempts: options.maxDeliveryAttempts ?? 17,
    fifoGroups: new Set(options.fifoGroups ?? []),
    now: () => clock.now,
  });
  const publish = (body: string, extra: Partial<NewMessage> = {}) =>
    model.publish('orders', {
      messageId: `id-${body}`,
      body: Buffer.from(body),
      tag: undefined,
      keys: [],
      properties: {},
      messageGroup: undefined,
      messageType: 'normal',
      bornAt: clock.now,
      bornHost: 'test',
      deliverAt: undefined,
      ...extra,
    }).messageId;
  const receive = (request: Partial<ReceiveRequest> = {}) =>
    model.receive({
      group: 'g',
      topic: 'orders',
      filterExpression: '*',
      max: 10,
      invisibleMs: 1000,
      ...request,
    });
  return { model, clock, publish, receive };
}

describe('BrokerModel', () => {
  it('keeps a delivery invisible until its invisible time ends, then redelivers it with attempt + 1', () => {
    const { model, clock, publish, receive } = brokerAt();
    publish('a');
    const [first] = receive();
    expect(first?.attempt).toBe(1);
    clock.now += 999;
    expect(receive()).toEqual([]);
    expect(model.nextVisibleAt('g', 'orders')).toBe(clock.now + 1);
    clock.now += 1;
    const [second] = receive();
    expect(second?.attempt).toBe(2);
    expect(model.ack('g', 'orders', first?.receiptHandle ?? '')).toBe('invalid-handle');
    expect(model.ack('g', 'orders', second?.receiptHandle ?? '')).toBe('ok');
    expect(model.pending('g', 'orders')).toBe(0);
  });

  it('refuses an expired handle even before anyone received the message again', () => {
    const { model, clock, publish, receive } = brokerAt();
    publish('a');
    const [delivery] = receive();
    clock.now += 1000;
    expect(model.ack('g', 'orders', delivery?.receiptHandle ?? '')).toBe('invalid-handle');
  });

  it('replaces the handle on ChangeInvisibleDuration and refuses the old one', () => {
    const { model, clock, publish, receive } = brokerAt();
    publish('a');
    const [delivery] = receive();
    const old = delivery?.receiptHandle ?? '';
    const renewed = model.changeInvisibleDuration('g', 'orders', old, 5000);
    expect(renewed).toBeDefined();
    expect(model.ack('g', 'orders', old)).toBe('invalid-handle');
    clock.now += 4000;
    expect(receive()).toEqual([]);
    expect(model.ack('g', 'orders', renewed ?? '')).toBe('ok');
  });

  it('keeps a leased delivery invisible while its owner is online, and for one lease after release', () => {
    const { model, clock, publish, receive } = brokerAt();
    publish('a');
    const [delivery] = receive({ leaseOwner: 'client-1', invisibleMs: 500 });
    clock.now += 60_000;
    expect(receive()).toEqual([]);
    model.releaseLeases('client-1', 500);
    clock.now += 499;
    expect(receive()).toEqual([]);
    expect(model.ack('g', 'orders', delivery?.receiptHandle ?? '')).toBe('ok');
  });

  it('dead-letters a message at the pop that would exceed the maximum attempts', () => {
    const { model, clock, publish, receive } = brokerAt({ maxDeliveryAttempts: 2 });
    publish('poison');
    receive();
    clock.now += 1000;
    receive();
    clock.now += 1000;
    expect(receive()).toEqual([]);
    expect(model.deadLetters('g')).toMatchObject([
      { messageId: 'id-poison', deliveryAttempts: 2, topic: '%DLQ%g' },
    ]);
    expect(model.pending('g', 'orders')).toBe(0);
  });

  it('holds back the rest of a FIFO message group until its head is acked', () => {
    const { model, publish, receive } = brokerAt({ fifoGroups: ['g'] });
    for (const body of ['x1', 'y1', 'x2', 'plain', 'y2']) {
      const group = body.startsWith('plain') ? undefined : body.slice(0, 1);
      publish(body, { messageGroup: group, messageType: group === undefined ? 'normal' : 'fifo' });
    }
    const first = receive();
    expect(first.map((delivery) => delivery.message.body.toString())).toEqual(['x1', 'y1', 'plain']);
    expect(receive()).toEqual([]);
    const x1 = first.find((delivery) => delivery.message.messageGroup === 'x');
    model.ack('g', 'orders', x1?.receiptHandle ?? '');
    expect(receive().map((delivery) => delivery.message.body.toString())).toEqual(['x2']);
  });

  it('counts only the messages the group filter accepts as pending', () => {
    const { model, publish } = brokerAt();
    publish('1', { tag: 'a' });
    publish('2', { tag: 'b' });
    model.subscribe('g', 'orders', 'a');
    expect(model.pending('g', 'orders')).toBe(1);
    expect(model.pending('other', 'orders')).toBe(2);
  });

  it('adds an injected duplicate that needs its own ack', () => {
    const { model, publish, receive } = brokerAt();
    publish('a');
    const [delivery] = receive();
    model.duplicate(delivery?.receiptHandle ?? '');
    model.ack('g', 'orders', delivery?.receiptHandle ?? '');
    const [duplicate] = receive();
    expect(duplicate).toMatchObject({ attempt: 2, message: { messageId: 'id-a' } });
    expect(model.pending('g', 'orders')).toBe(1);
  });
});
