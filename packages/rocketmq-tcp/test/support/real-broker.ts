import { type RocketMQBroker, realBrokerSkipReason, startRocketMQBroker } from '@idem/testing';
import { afterAll, beforeAll } from 'vitest';

/** What of a test's context this needs (vitest's `TestContext` has it). */
export interface SkippableTest {
  skip(note: string): never;
}

/**
 * One real RocketMQ 5 broker for the enclosing `describe` block: started before its tests and
 * stopped after them, after the block's own `afterAll` hooks when called before they are
 * registered (vitest runs after-hooks last registered first). Returns what a test calls first:
 * it gives the broker, or skips the test when this machine has no Java or jars (never under
 * `IDEM_REQUIRE_REAL_BROKER=1`, as in CI), or fails with why the broker did not start.
 */
export function useRealBroker(): (ctx: SkippableTest) => RocketMQBroker {
  let broker: RocketMQBroker | undefined;
  let startFailure: unknown;
  beforeAll(async () => {
    broker = await startRocketMQBroker().catch((error: unknown) => {
      startFailure = error;
      return undefined;
    });
  }, 300_000);
  afterAll(async () => {
    await broker?.stop();
  }, 120_000);
  return (ctx) => {
    if (broker !== undefined) return broker;
    const reason = realBrokerSkipReason(startFailure);
    if (reason !== undefined) ctx.skip(reason);
    throw startFailure;
  };
}
