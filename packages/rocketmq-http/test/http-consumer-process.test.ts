import { afterEach, describe, expect, it } from 'vitest';
import { startChildConsumer } from './support/child-consumer.js';
import { httpTestKit, publishOrders } from './support/http-test-kit.js';

const GROUP = 'GID_billing';

describe('an HTTP consumer process', () => {
  const kit = httpTestKit();
  afterEach(() => kit.cleanUp());

  it('ends by itself after stop() while a 30 s long poll is waiting on the empty topic', async () => {
    const peer = await kit.startPeer();
    const database = await kit.database();
    publishOrders(peer, 200);
    const child = await startChildConsumer({
      IDEM_TEST_DATABASE_URL: database.url,
      IDEM_TEST_SCHEMA: database.schema,
      IDEM_TEST_ENDPOINT: peer.endpoint,
      IDEM_TEST_ACCESS_KEY_ID: peer.accessKeyId,
      IDEM_TEST_ACCESS_KEY_SECRET: peer.accessKeySecret,
      IDEM_TEST_GROUP: GROUP,
    });
    await peer.idle(GROUP, 'orders', { timeoutMs: 20_000 });
    // Once everything is acked the receive loop polls the empty topic: stop while that poll waits.
    await peer.waitUntil(() => peer.stats().heldPolls > 0);
    const stopRequestedAt = Date.now();
    child.process.kill('SIGTERM');
    const exit = await child.exited;
    const stopMs = Date.now() - stopRequestedAt;
    expect(exit).toEqual({ code: 0, signal: null });
    expect(await database.effectCount()).toBe(200);
    expect(child.output()).toMatch(/stopped \{"processed":200,/);
    // Waiting for the long poll would take 30 s.
    expect(stopMs).toBeLessThan(20_000);
  });
});
