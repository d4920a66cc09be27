import type { BenchConfig } from './bench-config.js';
import { type BenchMode, rowLabel, type ThroughputRow } from './bench-row.js';
import type { MachineDescription } from './describe-machine.js';
import { formatOutboxReport, type OutboxComparison } from './outbox-report.js';
import type { RetentionReport } from './retention-run.js';
import type { RssReport } from './rss-run.js';

/** Idem's figure for one mode and parallelism, against the baseline and the pg floor of the same run. */
export interface Comparison {
  readonly mode: BenchMode;
  readonly parallelism: number;
  readonly idemPerSecond: number;
  readonly baselinePerSecond: number;
  readonly pgPerSecond: number;
  /** Idem's throughput divided by the baseline's (1 = no cost). */
  readonly idemVsBaseline: number;
  /** Idem's throughput divided by pg alone's. */
  readonly idemVsPg: number;
  /** Idem's dispatch time minus the baseline's, per message. */
  readonly addedLatencyP50Ms: number;
  readonly addedLatencyP99Ms: number;
}

/** Everything one run wrote to its JSON file. */
export interface BenchReport {
  readonly startedAt: string;
  readonly machine: MachineDescription;
  readonly config: Omit<BenchConfig, 'outputPath'>;
  readonly rows: readonly ThroughputRow[];
  readonly comparisons: readonly Comparison[];
  /** The outbox rows against Idem's rows without the send. */
  readonly outbox: readonly OutboxComparison[];
  readonly rss: RssReport;
  readonly retention: RetentionReport;
}

/** Pairs each Idem row with the baseline and pg rows of the same mode and parallelism. */
export function compare(rows: readonly ThroughputRow[]): Comparison[] {
  return rows
    .filter((row) => row.subject === 'idem')
    .map((idem) => {
      const find = (subject: 'baseline' | 'pg'): ThroughputRow => {
        const found = rows.find(
          (row) => row.subject === subject && row.mode === idem.mode && row.parallelism === idem.parallelism,
        );
        if (found === undefined) throw new Error(`no ${subject} row for ${rowLabel(idem)}`);
        return found;
      };
      const baseline = find('baseline');
      const pg = find('pg');
      return {
        mode: idem.mode,
        parallelism: idem.parallelism,
        idemPerSecond: idem.messagesPerSecond,
        baselinePerSecond: baseline.messagesPerSecond,
        pgPerSecond: pg.messagesPerSecond,
        idemVsBaseline: idem.messagesPerSecond / baseline.messagesPerSecond,
        idemVsPg: idem.messagesPerSecond / pg.messagesPerSecond,
        addedLatencyP50Ms: idem.latency.p50Ms - baseline.latency.p50Ms,
        addedLatencyP99Ms: idem.latency.p99Ms - baseline.latency.p99Ms,
      };
    });
}

/** The report as the plain-text table `pnpm bench` prints. */
export function formatReport(report: BenchReport): string {
  const n = (value: number, digits = 0): string => value.toFixed(digits);
  const ms = (value: number): string => value.toFixed(2);
  const latencyOf = (subject: string, c: Comparison): string => {
    const row = report.rows.find(
      (r) => r.subject === subject && r.mode === c.mode && r.parallelism === c.parallelism,
    );
    return row === undefined ? '-' : `${ms(row.latency.p50Ms)}/${ms(row.latency.p99Ms)}`;
  };
  const header = [
    'row',
    'idem msg/s',
    'baseline',
    'pg floor',
    'idem/baseline',
    'idem/pg',
    'idem p50/p99 ms',
    'baseline p50/p99',
    'added p50/p99',
  ];
  const body = report.comparisons.map((c) => [
    rowLabel(c),
    n(c.idemPerSecond),
    n(c.baselinePerSecond),
    n(c.pgPerSecond),
    n(c.idemVsBaseline, 2),
    n(c.idemVsPg, 2),
    latencyOf('idem', c),
    latencyOf('baseline', c),
    `${ms(c.addedLatencyP50Ms)}/${ms(c.addedLatencyP99Ms)}`,
  ]);
  const widths = header.map((title, column) =>
    Math.max(title.length, ...body.map((line) => (line[column] ?? '').length)),
  );
  const line = (cells: readonly string[]): string =>
    cells
      .map((cell, column) =>
        column === 0 ? cell.padEnd(widths[column] ?? 0) : cell.padStart(widths[column] ?? 0),
      )
      .join('  ');
  const { rss, retention, machine } = report;
  return [
    `Idem bench, ${report.startedAt}: ${machine.cpus} CPUs (${machine.cpuModel}), ${n(machine.memoryGiB, 1)} GiB, Node ${machine.node}, ${machine.postgres} (${machine.database})`,
    `${report.config.messages} messages per row after ${report.config.warmup} warm-up messages; msg/s through the RocketMQ peer (pg floor: no broker)`,
    '',
    line(header),
    ...body.map(line),
    '',
    formatOutboxReport(report.outbox),
    '',
    `RSS over ${rss.messages} messages through dispatchBatch (no broker, ${n(rss.messagesPerSecond)} msg/s): start ${n(rss.startMiB)} MiB, middle ${n(rss.middleMiB)} MiB, end ${n(rss.endMiB)} MiB, max ${n(rss.maxMiB)} MiB (second half ${rss.growthSecondHalfMiB >= 0 ? '+' : ''}${n(rss.growthSecondHalfMiB, 1)} MiB)`,
    `Retention: ${retention.expiredRows} expired keys (generated in ${n(retention.generateSeconds, 1)} s); idem single c=16 ${n(retention.withoutCleanup.messagesPerSecond)} msg/s without cleanup, ${n(retention.withCleanup.messagesPerSecond)} msg/s while cleanup deleted ${retention.deletedDuringRow} keys at ${n(retention.deletedPerSecond)} keys/s (ratio ${n(retention.ratio, 2)})`,
  ].join('\n');
}
