import { afterEach, describe, expect, it } from 'vitest';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { httpTestKit } from './support/http-test-kit.js';

// Issue 14, item 3: how long after the endpoint is back does consumption resume?
describe('createHttpConsumer after an endpoint outage on the peer', () => {
  const kit = httpTestKit();
  afterEach(() => kit.cleanUp());

  it.each([3000, 60_000])(
    'resumes consuming once the peer is back after %i ms of refused connections',
    async (ms) => {
      const peer = await kit.startPeer();
      const database = await kit.database();
      let lastProcessedAt = 0;
      // The product's default long poll, not the kit's short one.
      const consumer = kit.consumer(peer, database, {
        handlers: [new OrderHandlers()],
        waitSeconds: 10,
        onEvent: (event) => {
          if (event.type === 'settled' && event.result.outcome === 'processed') lastProcessedAt = Date.now();
        },
      });
      await consumer.start();
      peer.publish({ topic: 'orders', body: 'order 0', keys: 'order-0' });
      await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);
      const outage = peer.outage({ ms, mode: 'refuse' });
      await outage.started;
      peer.publish({ topic: 'orders', body: 'order 1', keys: 'order-1' });
      await outage.ended;
      const backAt = Date.now();
      await expect.poll(() => consumer.health().outcomes.processed, { timeout: 60_000 }).toBe(2);
      const lagMs = lastProcessedAt - backAt;
      console.warn(
        `http recovery lag on the peer after ${ms / 1000} s refused: first message processed ${(lagMs / 1000).toFixed(1)} s after the peer was back`,
      );
      expect(lagMs).toBeGreaterThanOrEqual(0);
    },
    120_000,
  );
});
