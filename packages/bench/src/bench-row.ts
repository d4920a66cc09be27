import type { LatencySummary } from './latency.js';

/**
 * Who wrote the effect: Idem, Idem whose handler also sends a message through the outbox, the
 * consumer without Idem, or pg alone with no broker.
 */
export type BenchSubject = 'idem' | 'outbox' | 'baseline' | 'pg';

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
}

/** What a row measurement needs to know about its place in the run. */
export interface RowPlan {
  readonly mode: BenchMode;
  readonly parallelism: number;
  readonly messages: number;
  readonly warmup: number;
}

/** In batch mode two batches are in flight, so receiving the next overlaps committing the last. */
export function concurrencyOf(plan: RowPlan): number {
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
