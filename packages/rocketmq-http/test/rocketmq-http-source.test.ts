import { IdemError, silentLogger } from '@idem/core';
import type { BlackholeProxy, MqHttpPeer } from '@idem/testing';
import { startBlackholeProxy, startMqHttpPeer } from '@idem/testing';
import { afterEach, describe, expect, it } from 'vitest';
import { type HttpReceipt, RocketMQHttpSource } from '../src/index.js';

const GROUP = 'GID_source';

describe('RocketMQHttpSource with the real SDK', () => {
  let peer: MqHttpPeer | undefined;
  let source: RocketMQHttpSource | undefined;
  let proxy: BlackholeProxy | undefined;
  afterEach(async () => {
    await source?.close();
    await proxy?.stop();
    await peer?.stop();
    proxy = undefined;
    source = undefined;
    peer = undefined;
  });

  async function startSource(
    options: { throughProxy?: boolean; waitSeconds?: number } = {},
  ): Promise<{ peer: MqHttpPeer; source: RocketMQHttpSource }> {
    peer = await startMqHttpPeer({ invisibleTimeMs: 30_000 });
    if (options.throughProxy === true) {
      proxy = await startBlackholeProxy({ target: new URL(peer.endpoint).host });
    }
    source = new RocketMQHttpSource({
      endpoint: proxy === undefined ? peer.endpoint : `http://${proxy.endpoints}`,
      accessKeyId: peer.accessKeyId,
      accessKeySecret: peer.accessKeySecret,
      securityToken: undefined,
      instanceId: '',
      consumerGroup: GROUP,
      subscriptions: [{ topic: 'orders', tagExpression: '*' }],
      ordered: false,
      waitSeconds: options.waitSeconds ?? 1,
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

  it('gives up on a hanging ack after 3 s, and cuts the hanging consume with it: a timeout replaces every connection', async () => {
    // A 2 s long poll: the consume is given 2 s + 2 s, so the ack's 3 s timeout comes first.
    const { peer, source } = await startSource({ waitSeconds: 2 });
    peer.publish({ topic: 'orders', body: 'a', keys: 'order-1' });
    const receipt = await receiveOne(source);
    const outage = peer.outage({ ms: 30_000, mode: 'hang' });
    await outage.started;
    const [consumeFailure, ackFailure] = await Promise.all([
      rejection(source.receive(16, new AbortController().signal)),
      rejection(source.ack([receipt])),
    ]);
    expect(consumeFailure.code).toBe('BROKER_UNAVAILABLE');
    // The ack's timeout came first (3 s, before the poll's 2 s + 2 s) and destroyed the agent.
    expect(consumeFailure.message).toMatch(/ECONNRESET: socket hang up/);
    expect(ackFailure.code).toBe('BROKER_UNAVAILABLE');
    expect(ackFailure.message).toMatch(/RequestTimeoutError/);
    expect(peer.stats().failedRequests.hang).toBe(2);
    await outage.end();
  });

  it('opens new connections after a timeout instead of reusing keep-alive sockets that went silent with it', async () => {
    const { peer, source } = await startSource({ throughProxy: true });
    if (proxy === undefined) throw new Error('no proxy');
    peer.publish({ topic: 'orders', body: 'a', keys: 'order-1' });
    const receipt = await receiveOne(source);
    // A long poll and an ack at once leave two keep-alive sockets in the pool.
    await Promise.all([source.receive(16, new AbortController().signal), source.ack([receipt])]);
    proxy.blackhole({ starved: 'stay-dead' });
    const failure = await rejection(source.receive(16, new AbortController().signal));
    expect(failure.message).toMatch(/RequestTimeoutError/);
    proxy.pass();
    peer.publish({ topic: 'orders', body: 'b', keys: 'order-2' });
    // Without a fresh agent this consume would take the other socket, dead since the fault.
    const [received] = await source.receive(16, new AbortController().signal);
    expect(received?.message.keys).toEqual(['order-2']);
  });
});
