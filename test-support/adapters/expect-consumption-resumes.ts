import type { ConsumerEvent } from '@idem/core';
import { expect } from 'vitest';

/** Records when a consumer last processed a message; give `onEvent` to the consumer. */
export interface ProcessedClock {
  readonly onEvent: (event: ConsumerEvent) => void;
  lastProcessedAt(): number;
}

/** A fresh {@link ProcessedClock}. */
export function processedClock(): ProcessedClock {
  let last = 0;
  return {
    onEvent(event) {
      if (event.type === 'settled' && event.result.outcome === 'processed') last = Date.now();
    },
    lastProcessedAt: () => last,
  };
}

/** Options of {@link expectConsumptionResumes}. */
export interface ConsumptionResumesOptions {
  /** A started consumer whose onEvent is `clock.onEvent`, on a topic with nothing pending. */
  readonly consumer: { health(): { readonly outcomes: { readonly processed: number } } };
  readonly clock: ProcessedClock;
  /** Publishes one message keyed `<prefix>-0`. */
  publish(prefix: string): void;
  /** Starts the broker fault: `down` once it bites, `up` once the broker serves again. */
  outage(): { readonly down: Promise<void>; readonly up: Promise<void> };
  /** What the log line calls the measurement: `tcp recovery lag on the peer after 3 s down`. */
  readonly label: string;
}

/**
 * Issue 14, item 3: one message before the fault, one published during it; the second must be
 * processed once the broker is back. Logs how long after that it was (the lag a benchmark
 * tracks; a test asserts no bound on it).
 */
export async function expectConsumptionResumes(options: ConsumptionResumesOptions): Promise<void> {
  const { consumer } = options;
  options.publish('before');
  await expect.poll(() => consumer.health().outcomes.processed, { timeout: 30_000 }).toBe(1);
  const outage = options.outage();
  await outage.down;
  options.publish('during');
  await outage.up;
  const backAt = Date.now();
  await expect.poll(() => consumer.health().outcomes.processed, { timeout: 60_000 }).toBe(2);
  const lagMs = options.clock.lastProcessedAt() - backAt;
  console.warn(
    `${options.label}: first message processed ${(lagMs / 1000).toFixed(1)} s after the peer was back`,
  );
  expect(lagMs).toBeGreaterThanOrEqual(0);
}
