import { IdemError, silentLogger } from '@idem/core';
import type { MqHttpPeer } from '@idem/testing';
import { startMqHttpPeer } from '@idem/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpReceipt, RocketMQHttpSource } from '../src/index.js';

const GROUP = 'GID_source';

describe('RocketMQHttpSource with the real SDK', () => {
  let peer: MqHttpPeer | undefined;
  let source: RocketMQHttpSource | undefined;
  afterEach(async () => {
    await source?.close();
    await peer?.stop();
    source = undefined;
    peer = undefined;
  });

  async function startSource(): Promise<{ peer: MqHttpPeer; source: RocketMQHttpSource }> {
    peer = await startMqHttpPeer({ invisibleTimeMs: 30_000 });
    source = new RocketMQHttpSource({
      endpoint: peer.endpoint,
      accessKeyId: peer.accessKeyId,
      accessKeySecret: peer.accessKeySecret,
      securityToken: undefined,
      instanceId: '',
      consumerGroup: GROUP,
      subscriptions: [{ topic: 'orders', tagExpression: '*' }],
      ordered: false,
      waitSeconds: 1,
      logger: silentLogger,
    });
    await source.start();
    return { peer, source };
  }

  async function receiveOne(from: RocketMQHttpSource): Promise<HttpReceipt> {
    const [received] = await from.receive(1, new AbortController().signal);
    if (received === undefined) throw new Error('nothing received');
    return received.receipt;
  }

  async function rejection(promise: Promise<unknown>): Promise<IdemError> {
    const reason: unknown = await promise.then(
      () => new Error('expected a rejection, it resolved'),
      (error: unknown) => error,
    );
    if (!(reason instanceof IdemError)) throw reason;
    return reason;
  }

  it('answers an empty long poll (MessageNotExist) with no messages', async () => {
    const { source } = await startSource();
    expect(await source.receive(16, new AbortController().signal)).toEqual([]);
  });

  it('counts refused receipt handles as acked: the redelivery is skipped later', async () => {
    const { peer, source } = await startSource();
    peer.publish({ topic: 'orders', body: 'a', keys: 'order-1' });
    peer.publish({ topic: 'orders', body: 'b', keys: 'order-2' });
    const first = await receiveOne(source);
    await source.ack([first]);
    const second = await receiveOne(source);
    // `first` is used up: the answer is a partial failure (404 ReceiptHandleError) for it alone.
    await source.ack([first, second, { topic: 'orders', receiptHandle: 'not-a-handle' }]);
    expect(peer.stats()).toMatchObject({ acks: 2, rejectedAcks: 2 });
    expect(peer.pending(GROUP, 'orders')).toBe(0);
  });

  it.each([
    ['refuse', undefined, /ECONNREFUSED/],
    ['reset', undefined, /ECONNRESET|socket hang up/],
    ['503', 'html', /HTTP 503 without an MQ XML body/],
    ['503', 'xml', /ServiceUnavailable \(HTTP 503/],
  ] as const)(
    'rejects consume and ack with a retryable BROKER_UNAVAILABLE during a %s (%s) outage',
    async (mode, body, detail) => {
      const { peer, source } = await startSource();
      peer.publish({ topic: 'orders', body: 'a', keys: 'order-1' });
      const receipt = await receiveOne(source);
      const outage = peer.outage({ ms: 30_000, mode, ...(body === undefined ? {} : { body }) });
      await outage.started;
      for (const failed of [
        await rejection(source.receive(16, new AbortController().signal)),
        await rejection(source.ack([receipt])),
      ]) {
        expect(failed.code).toBe('BROKER_UNAVAILABLE');
        expect(failed.retryable).toBe(true);
        expect(failed.message).toMatch(detail);
        expect(failed.message).not.toContain(peer.accessKeySecret);
      }
      await outage.end();
      await source.ack([receipt]);
      expect(peer.pending(GROUP, 'orders')).toBe(0);
    },
  );

  it('gives up on a hanging consume after its long poll plus 5 s, and on a hanging ack after 3 s', async () => {
    const { peer, source } = await startSource();
    peer.publish({ topic: 'orders', body: 'a', keys: 'order-1' });
    const receipt = await receiveOne(source);
    const outage = peer.outage({ ms: 30_000, mode: 'hang' });
    await outage.started;
    const [consumeFailure, ackFailure] = await Promise.all([
      rejection(source.receive(16, new AbortController().signal)),
      rejection(source.ack([receipt])),
    ]);
    expect(consumeFailure.code).toBe('BROKER_UNAVAILABLE');
    expect(consumeFailure.message).toMatch(/RequestTimeoutError/);
    expect(ackFailure.code).toBe('BROKER_UNAVAILABLE');
    expect(ackFailure.message).toMatch(/RequestTimeoutError/);
    expect(peer.stats().failedRequests.hang).toBe(2);
    await outage.end();
  });
});
