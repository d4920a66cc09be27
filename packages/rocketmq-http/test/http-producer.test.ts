import type { MessageProducer } from '@idem/core';
import { type MqHttpPeer, startMqHttpPeer } from '@idem/testing';
import { describe, expect, it } from 'vitest';
import { describeProducerScenarios } from '../../../test-support/adapters/producer-scenarios.js';
import { LogRecorder } from '../../../test-support/log-recorder.js';
import { producerMessage, sentIds } from '../../../test-support/producer-messages.js';
import { stopAfterTest } from '../../../test-support/stop-after-test.js';
import { createHttpProducer, type HttpProducerOptions } from '../src/index.js';
import { httpAdapterUnderTest } from './support/http-adapter-under-test.js';

async function producerOn(
  peer: MqHttpPeer,
  options: Partial<HttpProducerOptions> = {},
): Promise<MessageProducer> {
  const producer = stopAfterTest(
    createHttpProducer({
      endpoint: peer.endpoint,
      accessKeyId: peer.accessKeyId,
      accessKeySecret: peer.accessKeySecret,
      maxRetryDelayMs: 500,
      ...options,
    }),
  );
  await producer.start();
  return producer;
}

describe('createHttpProducer', () => {
  it('publishes tag, keys, properties, body, sharding key and start-deliver time as given', async () => {
    const peer = stopAfterTest(await startMqHttpPeer());
    const producer = await producerOn(peer, { instanceId: 'MQ_INST_1' });
    const deliverAt = new Date(Date.now() + 60_000);
    const ids = sentIds(
      await producer.send([
        producerMessage('orders', 'order', 0, {
          keys: ['k1', 'k2'],
          properties: { source: 'billing' },
          body: Buffer.from('{"total":"12,50 €"}'),
        }),
        producerMessage('orders', 'order', 1, { messageGroup: 'customer-9' }),
        producerMessage('orders', 'order', 2, { deliverAt }),
      ]),
    );

    const stored = peer.messages('orders', 'MQ_INST_1');
    expect(stored.map((message) => message.messageId)).toEqual(ids);
    expect(stored[0]).toMatchObject({
      body: '{"total":"12,50 €"}',
      tag: 'created',
      properties: { source: 'billing', KEYS: 'k1 k2' },
    });
    expect(stored[1]?.properties).toMatchObject({ __SHARDINGKEY: 'customer-9', KEYS: 'order-1' });
    expect(stored[2]?.properties).toMatchObject({ __STARTDELIVERTIME: String(deliverAt.getTime()) });
  });

  it('refuses bodies the API cannot carry unchanged, without holding back the others', async () => {
    const peer = stopAfterTest(await startMqHttpPeer());
    const producer = await producerOn(peer, { retryForMs: 600_000 });
    const outcomes = await producer.send([
      producerMessage('orders', 'binary', 0, { body: Buffer.from([0xff, 0xfe, 0x00]) }),
      producerMessage('orders', 'cdata', 0, { body: Buffer.from('a]]>b') }),
      producerMessage('orders', 'crlf', 0, { body: Buffer.from('line\r\n') }),
      producerMessage('orders', 'pipe', 0, { properties: { note: 'a|b' } }),
      producerMessage('orders', 'fine', 0),
    ]);
    expect(outcomes.slice(0, 4).map((outcome) => outcome.status === 'failed' && outcome.error.code)).toEqual([
      'MESSAGE_REJECTED',
      'MESSAGE_REJECTED',
      'MESSAGE_REJECTED',
      'MESSAGE_REJECTED',
    ]);
    expect(outcomes[4]?.status).toBe('sent');
    expect(peer.messages('orders')).toHaveLength(1);
  });

  it('reports a refused signature as a rejection and never logs or reports the secret', async () => {
    const peer = stopAfterTest(await startMqHttpPeer());
    const logger = new LogRecorder();
    const secret = 'a-wrong-secret-that-must-not-leak';
    const producer = await producerOn(peer, { accessKeySecret: secret, logger, retryForMs: 600_000 });
    const [outcome] = await producer.send([producerMessage('orders', 'm', 0)]);
    expect(outcome).toMatchObject({
      status: 'failed',
      error: { code: 'MESSAGE_REJECTED', retryable: false },
    });
    expect(outcome?.status === 'failed' && outcome.error.message).toContain('SignatureDoesNotMatch');
    expect(JSON.stringify(outcome)).not.toContain(secret);
    expect(logger.linesContaining(secret)).toEqual([]);
  });
});

describeProducerScenarios(httpAdapterUnderTest({}));
