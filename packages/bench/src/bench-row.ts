import type { LatencySummary } from './latency.js';

/**
 * Who wrote the effect: Idem, Idem whose handler also sends a message through the outbox, the
 * consumer without Idem, or pg alone with no broker; `broker` writes nothing (receive and ack
 * through the same client, no database: the broker floor).
 */
export type BenchSubject = 'idem' | 'outbox' | 'baseline' | 'pg' | 'broker';

/** One transaction per message, or one per received batch. */
export type BenchMode = 'single' | 'batch';

/** One throughput measurement. */
export interface ThroughputRow {
  readonly subject: BenchSubject;
  readonly mode: BenchMode;
  /** Deliveries in flight (single mode) or messages per transaction (batch mode). */
  readonly parallelism: number;
  readonly messages: number;
  readonly seconds: number;
  readonly messagesPerSecond: number;
  /** Per-message dispatch time: claim to commit for Idem, the insert (or batch transaction) otherwise. */
  readonly latency: LatencySummary;
  /** msg/s of every round when the row is the median of several (see `medianRow`), in run order. */
  readonly rounds?: readonly number[];
}

/** What a row measurement needs to know about its place in the run. */
export interface RowPlan {
  readonly mode: BenchMode;
  readonly parallelism: number;
  readonly messages: number;
  readonly warmup: number;
}

/** In batch mode two batches are in flight, so receiving the next overlaps committing the last. */
export function concurrencyOf(plan: Pick<RowPlan, 'mode' | 'parallelism'>): number {
  return plan.mode === 'batch' ? plan.parallelism * 2 : plan.parallelism;
}

/** The row's label as the table prints it, e.g. `single c=4` or `batch b=32`. */
export function rowLabel(row: { readonly mode: BenchMode; readonly parallelism: number }): string {
  return row.mode === 'single' ? `single c=${row.parallelism}` : `batch b=${row.parallelism}`;
}

/** Throughput of `messages` over `ms` milliseconds. */
export function rate(messages: number, ms: number): number {
  return ms <= 0 ? 0 : (messages * 1000) / ms;
}

/**
 * The round with the median throughput (the upper middle for an even count), carrying every
 * round's figure: one slow phase of a shared machine then moves a row by a rank, not by its size.
 */
export function medianRow<Row extends ThroughputRow>(rounds: readonly Row[]): Row {
  const sorted = [...rounds].sort((a, b) => a.messagesPerSecond - b.messagesPerSecond);
  const median = sorted[Math.floor(sorted.length / 2)];
  if (median === undefined) throw new Error('medianRow: no rounds');
  return { ...median, rounds: rounds.map((row) => row.messagesPerSecond) };
}
