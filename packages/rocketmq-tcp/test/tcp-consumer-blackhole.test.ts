import { createServer } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  type BlackholeProxy,
  type RocketMQPeer,
  startBlackholeProxy,
  startRocketMQPeer,
} from '@idem/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createEffectsDatabase,
  type EffectsDatabase,
  type EffectTables,
} from '../../../test-support/effects/effects-database.js';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { producerMessage } from '../../../test-support/producer-messages.js';
import { createTcpConsumer, createTcpProducer, type TcpConsumer } from '../src/index.js';

// The scenario of issue 14: packets stop for 20 s, and the connections open before or during
// that never carry anything again; only new ones work.
const FAULT_MS = 20_000;

async function freeLoopbackPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === 'string') throw new Error('no port');
  return address.port;
}

/** A peer whose routes send clients through a blackhole proxy (only QueryRoute would bypass it). */
async function peerBehindProxy(): Promise<{ peer: RocketMQPeer; proxy: BlackholeProxy }> {
  const port = await freeLoopbackPort();
  const peer = await startRocketMQPeer({
    minInvisibleDurationMs: 1000,
    advertisedEndpoints: `127.0.0.1:${port}`,
  });
  const proxy = await startBlackholeProxy({ target: peer.endpoints, port });
  return { peer, proxy };
}

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

describe('createTcpConsumer through a silent network failure', () => {
  it('reports the broker unreachable during a 20 s blackhole and consumes again on new connections after it', async () => {
    const { peer, proxy } = await peerBehindProxy();
    cleanups.push(
      () => peer.stop(),
      () => proxy.stop(),
    );
    const database: EffectsDatabase = await createEffectsDatabase();
    cleanups.push(() => database.drop());
    let lastProcessedAt = 0;
    const consumer: TcpConsumer = createTcpConsumer<EffectTables>({
      endpoints: proxy.endpoints,
      consumerGroup: 'billing',
      db: database.db,
      schema: database.schema,
      handlers: [new OrderHandlers()],
      invisibleDurationMs: 3000,
      onEvent: (event) => {
        if (event.type === 'settled' && event.result.outcome === 'processed') lastProcessedAt = Date.now();
      },
    });
    cleanups.push(() => consumer.stop());
    await consumer.start();
    peer.publish({ topic: 'orders', body: 'order 0', keys: ['order-0'] });
    await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);

    const faultAt = Date.now();
    proxy.blackhole({ starved: 'stay-dead' });
    peer.publish({ topic: 'orders', body: 'order 1', keys: ['order-1'] });
    await expect
      .poll(() => consumer.health().broker.reachable, { timeout: FAULT_MS, interval: 100 })
      .toBe(false);
    const detectedMs = Date.now() - faultAt;
    // The fault's length is the scenario, not a wait for something to be ready.
    await sleep(Math.max(0, FAULT_MS - detectedMs));
    const healAt = Date.now();
    proxy.pass();
    await expect.poll(() => consumer.health().outcomes.processed, { timeout: 60_000 }).toBe(2);
    console.warn(
      `tcp blackhole on the peer: unreachable after ${(detectedMs / 1000).toFixed(1)} s of the fault; ` +
        `first message processed ${((lastProcessedAt - healAt) / 1000).toFixed(1)} s after new connections worked; ` +
        `proxy ${JSON.stringify(proxy.stats())}`,
    );
    expect(await database.effectCount()).toBe(2);
  }, 120_000);

  it('sends again through a producer whose connections went silent', async () => {
    const { peer, proxy } = await peerBehindProxy();
    cleanups.push(
      () => peer.stop(),
      () => proxy.stop(),
    );
    const producer = createTcpProducer({ endpoints: proxy.endpoints, topics: ['orders'] });
    cleanups.push(() => producer.stop());
    await producer.start();
    expect((await producer.send([producerMessage('orders', 'order', 0)]))[0]?.status).toBe('sent');
    proxy.blackhole({ starved: 'stay-dead' });
    await sleep(FAULT_MS);
    const healAt = Date.now();
    proxy.pass();
    const [outcome] = await producer.send([producerMessage('orders', 'order', 1)]);
    console.warn(
      `tcp producer blackhole on the peer: sent ${((Date.now() - healAt) / 1000).toFixed(1)} s after new connections worked`,
    );
    expect(outcome?.status).toBe('sent');
    expect(peer.stats().published).toBe(2);
  }, 120_000);
});
