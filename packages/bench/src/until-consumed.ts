import type { BenchBroker } from './bench-broker.js';

/** Polls `condition` every 20 ms until it holds; rejects after `timeoutMs` naming `what`. */
export async function waitUntil(
  condition: () => boolean | Promise<boolean>,
  timeoutMs: number,
  what: string,
): Promise<void> {
  const giveUpAt = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > giveUpAt) throw new Error(`${what}: not done within ${timeoutMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Resolves when a row's consumer is through `expected` messages: on the peer once the group
 * acked everything (the peer knows), on the real broker once `progress()` (what the consumer
 * wrote or acked) reaches `expected`, which the broker itself cannot report cheaply.
 */
export async function untilConsumed(
  broker: BenchBroker,
  group: string,
  progress: () => number | Promise<number>,
  expected: number,
  timeoutMs: number,
): Promise<void> {
  if (broker.idle !== undefined) {
    await broker.idle(group, timeoutMs);
    return;
  }
  await waitUntil(async () => (await progress()) >= expected, timeoutMs, `group ${group}`);
}
