import { afterEach, describe, it } from 'vitest';
import {
  expectConsumptionResumes,
  processedClock,
} from '../../../test-support/adapters/expect-consumption-resumes.js';
import { OrderHandlers } from '../../../test-support/effects/order-handlers.js';
import { httpTestKit, publishOrders } from './support/http-test-kit.js';

// Issue 14, item 3: how long after the endpoint is back does consumption resume?
describe('createHttpConsumer after an endpoint outage on the peer', () => {
  const kit = httpTestKit();
  afterEach(() => kit.cleanUp());

  it.each([3000, 60_000])(
    'resumes consuming once the peer is back after %i ms of refused connections',
    async (ms) => {
      const peer = await kit.startPeer();
      const database = await kit.database();
      const clock = processedClock();
      // The product's default long poll, not the kit's short one.
      const consumer = kit.consumer(peer, database, {
        handlers: [new OrderHandlers()],
        waitSeconds: 10,
        onEvent: clock.onEvent,
      });
      await consumer.start();
      await expectConsumptionResumes({
        consumer,
        clock,
        publish: (prefix) => publishOrders(peer, 1, prefix),
        outage: () => {
          const outage = peer.outage({ ms, mode: 'refuse' });
          return { down: outage.started, up: outage.ended };
        },
        label: `http recovery lag on the peer after ${ms / 1000} s refused`,
      });
    },
    120_000,
  );
});
