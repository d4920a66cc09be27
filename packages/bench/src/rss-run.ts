import { createProcessor, type InboundMessage } from '@idem/core';
import type { Kysely } from 'kysely';
import { type BenchDatabase, resetTables } from './bench-database.js';
import { benchInboundMessage } from './bench-message.js';
import { createEffectHandlers } from './effect-handlers.js';

/** Resident set size during a long processor-level run, in MiB. */
export interface RssReport {
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
  readonly startMiB: number;
  readonly middleMiB: number;
  readonly endMiB: number;
  readonly maxMiB: number;
  /** End minus middle: what the second half of the run added (flat is near 0). */
  readonly growthSecondHalfMiB: number;
}

const BATCH = 64;
const TOPIC = 'bench-rss';

/**
 * Pushes `messages` deliveries through `processor.dispatchBatch` (batches of 64, two at a time,
 * no broker: a million through the peer would take too long on a small machine) and samples RSS
 * after warm-up, at the middle and at the end, to show the processor keeps nothing per message.
 */
export async function measureRss(db: Kysely<BenchDatabase>, messages: number): Promise<RssReport> {
  await resetTables(db);
  const processor = createProcessor({
    db,
    handlers: [createEffectHandlers(TOPIC)],
    consumerGroup: 'bench-rss',
  });
  const mib = (): number => process.memoryUsage().rss / 1024 / 1024;
  const message = (index: number): InboundMessage => benchInboundMessage(TOPIC, 'rss', index);
  let next = 0;
  let maxMiB = 0;
  let middleMiB = 0;
  let middle = -1;
  const run = async (count: number): Promise<void> => {
    const worker = async (): Promise<void> => {
      while (next < count) {
        const first = next;
        const end = Math.min(count, first + BATCH);
        next = end;
        const batch = Array.from({ length: end - first }, (_, offset) => message(first + offset));
        const results = await processor.dispatchBatch(batch);
        const failed = results.find((result) => result.outcome !== 'processed');
        if (failed !== undefined) throw new Error(`rss run: a message ended ${failed.outcome}`);
        if (first <= middle && middle < end) middleMiB = mib();
        maxMiB = Math.max(maxMiB, mib());
      }
    };
    await Promise.all([worker(), worker()]);
  };
  // Warm-up: JIT, pool connections, prepared plans, before the first sample.
  const warmed = Math.min(5000, messages);
  await run(warmed);
  middle = warmed + Math.floor(messages / 2);
  const startMiB = mib();
  maxMiB = startMiB;
  const startedAt = performance.now();
  await run(messages + warmed);
  const seconds = (performance.now() - startedAt) / 1000;
  const endMiB = mib();
  if (middleMiB === 0) middleMiB = endMiB;
  return {
    messages,
    seconds,
    messagesPerSecond: messages / seconds,
    startMiB,
    middleMiB,
    endMiB,
    maxMiB,
    growthSecondHalfMiB: endMiB - middleMiB,
  };
}
