import { createServer } from 'node:net';
import {
  type BlackholeProxy,
  type RocketMQPeer,
  startBlackholeProxy,
  startRocketMQPeer,
} from '@idem/testing';
import { afterEach, describe, expect, it } from 'vitest';
import {
  expectConsumesAfterBlackhole,
  expectSendsAfterBlackhole,
} from '../../../test-support/adapters/blackhole-scenarios.js';
import { processedClock } from '../../../test-support/adapters/expect-consumption-resumes.js';
import {
  createEffectsDatabase,
  type EffectsDatabase,
  type EffectTables,
} from '../../../test-support/effects/effects-database.js';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { createTcpConsumer, createTcpProducer, type TcpConsumer } from '../src/index.js';

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
    const clock = processedClock();
    const consumer: TcpConsumer = createTcpConsumer<EffectTables>({
      endpoints: proxy.endpoints,
      consumerGroup: 'billing',
      db: database.db,
      schema: database.schema,
      handlers: [new OrderHandlers()],
      invisibleDurationMs: 3000,
      onEvent: clock.onEvent,
    });
    cleanups.push(() => consumer.stop());
    await consumer.start();
    await expectConsumesAfterBlackhole({
      consumer,
      clock,
      proxy,
      publish: (n) => peer.publish({ topic: 'orders', body: `order ${n}`, keys: [`order-${n}`] }),
      label: 'tcp blackhole on the peer',
    });
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
    await expectSendsAfterBlackhole(producer, proxy, 'tcp');
    expect(peer.stats().published).toBe(2);
  }, 120_000);
});
