import type { MessageProducer } from '@idem/core';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { describe, expect, it } from 'vitest';
import { describeProducerScenarios } from '../../../test-support/adapters/producer-scenarios.js';
import { LogRecorder } from '../../../test-support/log-recorder.js';
import { producerMessage, producerMessages, sentIds } from '../../../test-support/producer-messages.js';
import { stopAfterTest } from '../../../test-support/stop-after-test.js';
import { createTcpProducer } from '../src/index.js';
import { tcpAdapterUnderTest } from './support/tcp-adapter-under-test.js';

async function producerOn(
  peer: RocketMQPeer,
  options: Partial<Parameters<typeof createTcpProducer>[0]> = {},
): Promise<MessageProducer> {
  const producer = stopAfterTest(
    createTcpProducer({ endpoints: peer.endpoints, maxRetryDelayMs: 500, ...options }),
  );
  await producer.start();
  return producer;
}

describe('createTcpProducer', () => {
  it('delivers tag, keys, properties, body, message group and delivery time as given', async () => {
    const peer = stopAfterTest(await startRocketMQPeer());
    const producer = await producerOn(peer, { topics: ['orders'] });
    const deliverAt = new Date(Date.now() + 60_000);
    const outcomes = await producer.send([
      producerMessage('orders', 'order', 0, {
        keys: ['k1', 'k2'],
        properties: { source: 'billing', trace: 'abc' },
        body: Buffer.from([0, 255, 7]),
      }),
      producerMessage('orders', 'order', 1, { messageGroup: 'customer-9' }),
      producerMessage('orders', 'order', 2, { deliverAt }),
    ]);
    const ids = sentIds(outcomes);

    const stored = peer.messages('orders');
    expect(stored.map((message) => message.messageId).sort()).toEqual([...ids].sort());
    const byKey = (key: string) => stored.find((message) => message.keys.includes(key));
    expect(byKey('k1')).toMatchObject({
      tag: 'created',
      keys: ['k1', 'k2'],
      properties: { source: 'billing', trace: 'abc' },
      messageGroup: undefined,
    });
    expect(byKey('k1')?.body).toEqual(Buffer.from([0, 255, 7]));
    expect(byKey('order-1')).toMatchObject({ messageGroup: 'customer-9' });
    expect(byKey('order-2')?.deliverAt?.getTime()).toBe(deliverAt.getTime());
  });

  it('reports a body above the broker limit as a rejection', async () => {
    const peer = stopAfterTest(await startRocketMQPeer());
    const producer = await producerOn(peer, { retryForMs: 600_000 });
    const big = producerMessage('orders', 'big', 0, { body: Buffer.alloc(4 * 1024 * 1024 + 1) });
    const [outcome] = await producer.send([big]);
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { code: 'MESSAGE_REJECTED', retryable: false },
    });
  });

  it('delivers every message sent through a broker restart, logging one warning and one recovery line', async () => {
    const peer = stopAfterTest(await startRocketMQPeer());
    const logger = new LogRecorder();
    const producer = await producerOn(peer, { logger });
    sentIds(await producer.send(producerMessages('orders', 2, 'before')));

    const restarted = peer.restart({ downMs: 4000 });
    const messages = producerMessages('orders', 20, 'during');
    const outcomes = await producer.send(messages);
    await restarted;
    const ids = sentIds(outcomes);

    const stored = peer.messages('orders');
    // Every reported id was stored, and every message is there (a timed-out attempt may add a copy).
    expect(ids.every((id) => stored.some((message) => message.messageId === id))).toBe(true);
    for (const message of messages) {
      expect(stored.some((candidate) => candidate.keys[0] === message.keys[0])).toBe(true);
    }
    expect(peer.stats().restarts).toBe(1);
    expect(logger.at('warn')).toHaveLength(1);
    await expect.poll(() => logger.at('info'), { timeout: 10_000 }).toHaveLength(1);
    expect(logger.at('error')).toEqual([]);
  }, 60_000);

  it('reports a retryable failure when an abort signal ends the retries', async () => {
    const peer = stopAfterTest(await startRocketMQPeer());
    const producer = await producerOn(peer);
    const restarted = peer.restart({ downMs: 3000 });
    const controller = new AbortController();
    const sending = producer.send(producerMessages('orders', 1), { signal: controller.signal });
    controller.abort();
    const [outcome] = await sending;
    await restarted;
    expect(outcome).toMatchObject({ status: 'failed', error: { code: 'SEND_FAILED', retryable: true } });
  });
});

describeProducerScenarios(tcpAdapterUnderTest({}));
