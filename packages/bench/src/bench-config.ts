import type { BenchBrokerKind } from './broker-process-protocol.js';

/** What one bench run measures and how much; every count can be set through the environment. */
export interface BenchConfig {
  /**
   * `peer` (default): the in-repo RocketMQ peer, every row, the memory run and retention.
   * `real-broker` (`--real-broker`): Apache RocketMQ from the cached jars, the throughput rows only.
   */
  readonly broker: BenchBrokerKind;
  /** Rounds of every throughput row, each reported row their median (`IDEM_BENCH_ROUNDS`, default 3). */
  readonly rounds: number;
  /** `--quick` or `IDEM_BENCH_QUICK=1`: a few hundred messages per row, for CI and the smoke test. */
  readonly quick: boolean;
  /** Messages per throughput row (`IDEM_BENCH_MESSAGES`). */
  readonly messages: number;
  /** Messages sent through first and not measured (`IDEM_BENCH_WARMUP`). */
  readonly warmup: number;
  readonly concurrencies: readonly number[];
  readonly batchSizes: readonly number[];
  /**
   * `IDEM_BENCH_ONLY=single-16,batch-64`: only these throughput rows, and no memory or retention
   * run (for measuring one change quickly); every row by default.
   */
  readonly only: readonly string[] | undefined;
  /** Messages of the memory run through `dispatchBatch` (`IDEM_BENCH_RSS_MESSAGES`). */
  readonly rssMessages: number;
  /** Processed keys generated before the retention rows (`IDEM_BENCH_RETENTION_ROWS`). */
  readonly retentionRows: number;
  /** Where the JSON goes (`IDEM_BENCH_OUTPUT`); gitignored by default. */
  readonly outputPath: string;
}

/** Reads the run's configuration from the command line and the environment. */
export function readBenchConfig(argv: readonly string[], env: NodeJS.ProcessEnv): BenchConfig {
  const quick = argv.includes('--quick') || env.IDEM_BENCH_QUICK === '1';
  const count = (name: string, fallback: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw.replaceAll('_', ''));
    if (!Number.isInteger(value) || value < 1)
      throw new Error(`${name} must be a positive integer, got ${raw}`);
    return value;
  };
  const only =
    env.IDEM_BENCH_ONLY === undefined || env.IDEM_BENCH_ONLY === ''
      ? undefined
      : env.IDEM_BENCH_ONLY.split(',');
  const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\..*/, '');
  return {
    broker: argv.includes('--real-broker') ? 'real-broker' : 'peer',
    rounds: count('IDEM_BENCH_ROUNDS', 3),
    quick,
    messages: count('IDEM_BENCH_MESSAGES', quick ? 300 : 2000),
    warmup: count('IDEM_BENCH_WARMUP', quick ? 50 : 200),
    concurrencies: [1, 4, 16].filter((c) => only === undefined || only.includes(`single-${c}`)),
    batchSizes: [16, 32, 64].filter((b) => only === undefined || only.includes(`batch-${b}`)),
    only,
    rssMessages: count('IDEM_BENCH_RSS_MESSAGES', quick ? 5000 : 200_000),
    retentionRows: count('IDEM_BENCH_RETENTION_ROWS', quick ? 20_000 : 1_000_000),
    outputPath: env.IDEM_BENCH_OUTPUT ?? new URL(`../results/bench-${stamp}.json`, import.meta.url).pathname,
  };
}
