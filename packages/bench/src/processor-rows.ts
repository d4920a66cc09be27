import type { Kysely } from 'kysely';
import { type BenchDatabase, countEffects, resetTables } from './bench-database.js';
import { benchInboundMessage } from './bench-message.js';
import { rate } from './bench-row.js';
import { PROCESSOR_TOPIC, type Subject } from './processor-subjects.js';

/** Who a processor-alone row measures. */
export type ProcessorSubject =
  | 'idem'
  | 'idem-savepoints'
  | 'idem-batch-handler'
  | 'pg-same-sql'
  | 'pg-same-sql-multi-row'
  | 'pg-multi-row';

/** Where a processor-alone row runs: `c` single dispatches in flight, or two batches of `b`. */
export interface ProcessorRowPlan {
  readonly mode: 'single' | 'batch';
  readonly parallelism: number;
  readonly messages: number;
  readonly warmup: number;
}

/** One processor-alone measurement: the median of its repetitions. */
export interface ProcessorRow {
  readonly subject: ProcessorSubject;
  readonly mode: 'single' | 'batch';
  readonly parallelism: number;
  readonly messages: number;
  /** Messages per second of each repetition, in run order. */
  readonly repetitions: readonly number[];
  readonly messagesPerSecond: number;
}

/**
 * Runs `subject` over the plan's messages `plan.parallelism` at a time (single) or in batches
 * of `plan.parallelism`, two in flight (batch), after a warm-up; checks that every message wrote
 * its effect and answers messages per second.
 */
export async function measureOnce(
  db: Kysely<BenchDatabase>,
  subject: Subject,
  prefix: string,
  plan: ProcessorRowPlan,
): Promise<number> {
  const run = async (runPrefix: string, count: number): Promise<void> => {
    const size = plan.mode === 'single' ? 1 : plan.parallelism;
    const workers = plan.mode === 'single' ? plan.parallelism : 2;
    let next = 0;
    const worker = async (): Promise<void> => {
      while (next < count) {
        const first = next;
        const end = Math.min(count, first + size);
        next = end;
        const messages = Array.from({ length: end - first }, (_, offset) =>
          benchInboundMessage(PROCESSOR_TOPIC, runPrefix, first + offset),
        );
        await subject(messages);
      }
    };
    await Promise.all(Array.from({ length: workers }, () => worker()));
  };
  await run(`${prefix}-warmup`, plan.warmup);
  await resetTables(db);
  const startedAt = performance.now();
  await run(prefix, plan.messages);
  const elapsedMs = performance.now() - startedAt;
  const written = await countEffects(db);
  if (written !== plan.messages) {
    throw new Error(`${prefix}: ${written} effects written for ${plan.messages} messages`);
  }
  return rate(plan.messages, elapsedMs);
}

/** The median of a row's repetitions (the lower middle for an even count). */
export function median(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor((sorted.length - 1) / 2)] ?? 0;
}
