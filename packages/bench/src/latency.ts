/** Collects durations in milliseconds and answers percentiles (nearest rank). */
export class LatencyRecorder {
  readonly #samples: number[] = [];

  record(ms: number): void {
    this.#samples.push(ms);
  }

  get count(): number {
    return this.#samples.length;
  }

  /** The `p`-th percentile (0 < p <= 100); 0 without samples. */
  percentile(p: number): number {
    if (this.#samples.length === 0) return 0;
    const sorted = [...this.#samples].sort((a, b) => a - b);
    const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
    return sorted[rank] ?? 0;
  }
}

/** Latency of one row: p50 and p99 of the per-message dispatch time, in milliseconds. */
export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
}

/** Summarises a recorder into p50/p99. */
export function summarise(recorder: LatencyRecorder): LatencySummary {
  return { p50Ms: recorder.percentile(50), p99Ms: recorder.percentile(99) };
}
