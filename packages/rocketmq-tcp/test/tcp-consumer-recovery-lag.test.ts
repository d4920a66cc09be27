import { describe, expect, it } from 'vitest';
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
      let lastProcessedAt = 0;
      // The product's defaults (10 s long poll, 3 s deadlines), not the fixture's short poll.
      const consumer = await start({
        longPollingTimeoutMs: 10_000,
        onEvent: (event) => {
          if (event.type === 'settled' && event.result.outcome === 'processed') lastProcessedAt = Date.now();
        },
      });
      publish(1, { prefix: 'before' });
      await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);
      const restarted = peer.restart({ downMs });
      publish(1, { prefix: 'during' });
      await restarted;
      const backAt = Date.now();
      await expect.poll(() => consumer.health().outcomes.processed, { timeout: 60_000 }).toBe(2);
      const lagMs = lastProcessedAt - backAt;
      console.warn(
        `tcp recovery lag on the peer after ${downMs / 1000} s down: first message processed ${(lagMs / 1000).toFixed(1)} s after the peer was back`,
      );
      expect(lagMs).toBeGreaterThanOrEqual(0);
    },
    120_000,
  );
});
