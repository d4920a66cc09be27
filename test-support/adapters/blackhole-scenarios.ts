import { setTimeout as sleep } from 'node:timers/promises';
import type { MessageProducer } from '@idem/core';
import type { BlackholeProxy } from '@idem/testing';
import { expect } from 'vitest';
import { producerMessage } from '../producer-messages.js';
import type { ProcessedClock } from './expect-consumption-resumes.js';

/**
 * The scenario of issue 14: packets stop for 20 s, and the connections open before or during
 * that never carry anything again; only new ones work.
 */
export const BLACKHOLE_FAULT_MS = 20_000;

/**
 * A started producer whose connections go through `proxy` sends one message, lives through
 * {@link BLACKHOLE_FAULT_MS} of blackhole whose connections stay dead, and must send the next one
 * on new connections once the network passes again. The caller checks the broker stored both.
 */
export async function expectSendsAfterBlackhole(
  producer: MessageProducer,
  proxy: BlackholeProxy,
  label: string,
): Promise<void> {
  expect((await producer.send([producerMessage('orders', 'order', 0)]))[0]?.status).toBe('sent');
  proxy.blackhole({ starved: 'stay-dead' });
  // The fault's length is the scenario (every keep-alive connection must go stale), not a wait.
  await sleep(BLACKHOLE_FAULT_MS);
  const healAt = Date.now();
  proxy.pass();
  const [outcome] = await producer.send([producerMessage('orders', 'order', 1)]);
  console.warn(
    `${label} producer blackhole on the peer: sent ${((Date.now() - healAt) / 1000).toFixed(1)} s after new connections worked`,
  );
  expect(outcome?.status).toBe('sent');
}

/** Options of {@link expectConsumesAfterBlackhole}. */
export interface ConsumesAfterBlackholeOptions {
  /** A started consumer whose connections go through `proxy`, its onEvent `clock.onEvent`. */
  readonly consumer: {
    health(): {
      readonly outcomes: { readonly processed: number };
      readonly broker: { readonly reachable: boolean };
    };
  };
  readonly clock: ProcessedClock;
  readonly proxy: BlackholeProxy;
  /** Publishes one message keyed `order-<n>`. */
  publish(n: number): void;
  /** Starts the log line: `tcp blackhole on the peer`. */
  readonly label: string;
  /** Waits for the moment to start the fault, once the first message was processed. */
  readonly beforeFault?: () => Promise<void>;
}

/**
 * One message before the fault; one published as the network goes silent. The consumer must
 * report the broker unreachable during the fault and consume the second message on new
 * connections after it. Resolves with how long into the fault the consumer reported it; the
 * caller checks the effects.
 */
export async function expectConsumesAfterBlackhole(options: ConsumesAfterBlackholeOptions): Promise<number> {
  const { consumer, proxy } = options;
  options.publish(0);
  await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);
  await options.beforeFault?.();

  const faultAt = Date.now();
  proxy.blackhole({ starved: 'stay-dead' });
  options.publish(1);
  await expect
    .poll(() => consumer.health().broker.reachable, { timeout: BLACKHOLE_FAULT_MS, interval: 100 })
    .toBe(false);
  const detectedMs = Date.now() - faultAt;
  // The fault's length is the scenario, not a wait for something to be ready.
  await sleep(Math.max(0, BLACKHOLE_FAULT_MS - detectedMs));
  const healAt = Date.now();
  proxy.pass();
  await expect.poll(() => consumer.health().outcomes.processed, { timeout: 60_000 }).toBe(2);
  console.warn(
    `${options.label}: unreachable after ${(detectedMs / 1000).toFixed(1)} s of the fault; ` +
      `first message processed ${((options.clock.lastProcessedAt() - healAt) / 1000).toFixed(1)} s after new connections worked; ` +
      `proxy ${JSON.stringify(proxy.stats())}`,
  );
  return detectedMs;
}
