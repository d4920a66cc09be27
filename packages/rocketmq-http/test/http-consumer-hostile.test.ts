import { randomBytes } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { LogRecorder } from '../../../test-support/log-recorder.js';
import { httpTestKit, publishOrders } from './support/http-test-kit.js';

const GROUP = 'GID_billing';

describe('createHttpConsumer with hostile messages on the MQ HTTP peer', () => {
  const kit = httpTestKit();
  afterEach(() => kit.cleanUp());

  it('processes the good messages, takes hostile keys and headers in stride, and dead-letters the message Postgres refuses, without pausing', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    peer.publish({ topic: 'orders', body: 'nul key', keys: 'order\u00001' });
    peer.publish({ topic: 'orders', body: 'long key', keys: randomBytes(2048).toString('hex') });
    peer.publish({ topic: 'orders', body: 'lone surrogate', keys: 'order\ud800-2' });
    peer.publish({ topic: 'orders', body: 'nul props', keys: 'props', properties: { 'p\u0000': 'v\u0000' } });
    peer.publish({ topic: 'orders', body: 'nul tag', keys: 'tagged', tag: 'created\u0000' });
    // The handler writes the sharding key (message group) as it came: Postgres refuses the NUL.
    peer.publish({ topic: 'orders', body: 'nul group', keys: 'grouped', shardingKey: 'cart\u0000x' });
    publishOrders(peer, 8);
    const logger = new LogRecorder();
    const consumer = kit.consumer(peer, database, {
      handlers: [new OrderHandlers()],
      concurrency: 4,
      logger,
    });

    await consumer.start();
    await peer.idle(GROUP, 'orders', { timeoutMs: 30_000 });

    expect(await database.effectCount()).toBe(13);
    expect(await database.duplicateEffects()).toEqual([]);
    expect(await database.deadLetterReasons()).toEqual(['MESSAGE_DATA_REJECTED']);
    expect(consumer.health()).toMatchObject({
      ready: true,
      outcomes: { processed: 13, 'dead-lettered': 1, failed: 0 },
    });
    expect(logger.linesContaining('unreachable')).toEqual([]);
  });
});
