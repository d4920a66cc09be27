import { silentLogger } from '@idem/core';
import { type RocketMQPeer, startRocketMQPeer } from '@idem/testing';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RocketMQTcpSource } from '../src/rocketmq-tcp-source.js';

describe('RocketMQTcpSource', () => {
  let peer: RocketMQPeer | undefined;
  let source: RocketMQTcpSource | undefined;
  afterEach(async () => {
    await source?.close();
    await peer?.stop();
  });

  // Guards receive-until-aborted.ts: rocketmq-client-nodejs takes no signal, so the cancel
  // reaches the gRPC call through a wrapper of the client's internals that an upgrade may break.
  it('cancels its long poll at the broker when the stop signal aborts a receive', async () => {
    peer = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
    source = new RocketMQTcpSource({
      endpoints: peer.endpoints,
      consumerGroup: 'billing',
      namespace: '',
      subscriptions: [{ topic: 'orders', tagExpression: '*' }],
      credentials: undefined,
      tls: false,
      invisibleDurationMs: 3000,
      longPollingTimeoutMs: 20_000,
      requestTimeoutMs: 3000,
      startupTimeoutMs: 15_000,
      logger: silentLogger,
    });
    await source.start();
    const stop = new AbortController();
    const receiving = source.receive(1, stop.signal);
    const started = peer;
    await started.waitUntil(() => started.stats().openLongPolls === 1);
    stop.abort();
    await expect(receiving).resolves.toEqual([]);
    // Not cancelled, the poll would stay open for its 20 s.
    await started.waitUntil(() => started.stats().openLongPolls === 0, 5000);
  });

  // rocketmq-client-nodejs drops the proxy's settings answer when it arrives while the route of
  // a later topic is still being fetched, then waits for it forever: with two topics it did on
  // every start against the peer (resync-settings-during-startup.ts).
  it('starts with several topics and receives from each', async () => {
    const started = await startRocketMQPeer({ minInvisibleDurationMs: 1000 });
    peer = started;
    source = new RocketMQTcpSource({
      endpoints: started.endpoints,
      consumerGroup: 'billing',
      namespace: '',
      subscriptions: ['orders', 'payments', 'refunds'].map((topic) => ({ topic, tagExpression: '*' })),
      credentials: undefined,
      tls: false,
      invisibleDurationMs: 3000,
      longPollingTimeoutMs: 1000,
      requestTimeoutMs: 3000,
      startupTimeoutMs: 5000,
      logger: silentLogger,
    });
    await source.start();
    for (const topic of ['orders', 'payments', 'refunds']) started.publish({ topic, body: topic });
    const running = source;
    const bodies = new Set<string>();
    await vi.waitFor(
      async () => {
        for (const item of await running.receive(8, new AbortController().signal)) {
          bodies.add(item.message.body.toString());
          await running.ack([item.receipt]);
        }
        expect([...bodies].sort()).toEqual(['orders', 'payments', 'refunds']);
      },
      { timeout: 15_000, interval: 10 },
    );
  });
});
