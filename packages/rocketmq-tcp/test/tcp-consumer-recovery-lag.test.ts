import { describe, it } from 'vitest';
import {
  expectConsumptionResumes,
  processedClock,
} from '../../../test-support/adapters/expect-consumption-resumes.js';
import { useTcpFixture } from './support/tcp-fixture.js';

// Issue 14, item 3: how long after the broker is back does consumption resume? The demo's 3 s
// restart paused consumption 7.2 s, and grpc-js's reconnect backoff (1 s x1.6 up to 120 s) made
// it grow with the outage's length.
describe('createTcpConsumer after a broker restart on the peer', () => {
  const fixture = useTcpFixture();

  it.each([3000, 60_000])(
    'resumes consuming once the peer is back after %i ms down',
    async (downMs) => {
      const { peer, start, publish } = fixture();
      const clock = processedClock();
      // The product's defaults (10 s long poll, 3 s deadlines), not the fixture's short poll.
      const consumer = await start({ longPollingTimeoutMs: 10_000, onEvent: clock.onEvent });
      await expectConsumptionResumes({
        consumer,
        clock,
        publish: (prefix) => publish(1, { prefix }),
        // restart() takes the port down in its first steps; the message published next meets it.
        outage: () => ({ down: Promise.resolve(), up: peer.restart({ downMs }) }),
        label: `tcp recovery lag on the peer after ${downMs / 1000} s down`,
      });
    },
    120_000,
  );
});
