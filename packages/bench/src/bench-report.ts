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
  /** Receive and ack alone through the same client and broker, no database. */
  readonly brokerPerSecond: number;
  /** Idem's throughput divided by the baseline's (1 = no cost). */
  readonly idemVsBaseline: number;
  /** Idem's throughput divided by pg alone's. */
  readonly idemVsPg: number;
  /** The baseline's throughput divided by the broker floor's: how much of the broker's pace a plain consumer keeps. */
  readonly baselineVsBroker: number;
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
  /** Only in runs on the peer. */
  readonly rss: RssReport | undefined;
  /** Only in runs on the peer. */
  readonly retention: RetentionReport | undefined;
}

/** Pairs each Idem row with the baseline and pg rows of the same mode and parallelism. */
export function compare(rows: readonly ThroughputRow[]): Comparison[] {
  return rows
    .filter((row) => row.subject === 'idem')
    .map((idem) => {
      const find = (subject: 'baseline' | 'pg' | 'broker'): ThroughputRow => {
        const found = rows.find(
          (row) => row.subject === subject && row.mode === idem.mode && row.parallelism === idem.parallelism,
        );
        if (found === undefined) throw new Error(`no ${subject} row for ${rowLabel(idem)}`);
        return found;
      };
      const baseline = find('baseline');
      const pg = find('pg');
      const broker = find('broker');
      return {
        mode: idem.mode,
        parallelism: idem.parallelism,
        idemPerSecond: idem.messagesPerSecond,
        baselinePerSecond: baseline.messagesPerSecond,
        pgPerSecond: pg.messagesPerSecond,
        brokerPerSecond: broker.messagesPerSecond,
        idemVsBaseline: idem.messagesPerSecond / baseline.messagesPerSecond,
        idemVsPg: idem.messagesPerSecond / pg.messagesPerSecond,
        baselineVsBroker: baseline.messagesPerSecond / broker.messagesPerSecond,
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
    'broker floor',
    'pg floor',
    'idem/baseline',
    'baseline/broker',
    'idem/pg',
    'idem p50/p99 ms',
    'baseline p50/p99',
    'added p50/p99',
  ];
  const body = report.comparisons.map((c) => [
    rowLabel(c),
    n(c.idemPerSecond),
    n(c.baselinePerSecond),
    n(c.brokerPerSecond),
    n(c.pgPerSecond),
    n(c.idemVsBaseline, 2),
    n(c.baselineVsBroker, 2),
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
  const through = report.config.broker === 'peer' ? 'the RocketMQ peer' : 'Apache RocketMQ (real broker)';
  return [
    `Idem bench, ${report.startedAt}: ${machine.cpus} CPUs (${machine.cpuModel}), ${n(machine.memoryGiB, 1)} GiB, Node ${machine.node}, ${machine.postgres} (${machine.database})`,
    `${report.config.messages} messages per row after ${report.config.warmup} warm-up messages, each row the median of ${report.config.rounds} rounds; msg/s through ${through} in its own process (pg floor: no broker; broker floor: receive + ack, no database)`,
    '',
    line(header),
    ...body.map(line),
    ...(report.outbox.length === 0 ? [] : ['', formatOutboxReport(report.outbox)]),
    ...(rss === undefined ? [] : ['', formatRss(rss)]),
    ...(retention === undefined ? [] : [formatRetention(retention)]),
  ].join('\n');
}

function formatRss(rss: RssReport): string {
  const n = (value: number, digits = 0): string => value.toFixed(digits);
  return `RSS over ${rss.messages} messages through dispatchBatch (no broker, ${n(rss.messagesPerSecond)} msg/s): start ${n(rss.startMiB)} MiB, middle ${n(rss.middleMiB)} MiB, end ${n(rss.endMiB)} MiB, max ${n(rss.maxMiB)} MiB (second half ${rss.growthSecondHalfMiB >= 0 ? '+' : ''}${n(rss.growthSecondHalfMiB, 1)} MiB)`;
}

function formatRetention(retention: RetentionReport): string {
  const n = (value: number, digits = 0): string => value.toFixed(digits);
  return `Retention: ${retention.expiredRows} expired keys (generated in ${n(retention.generateSeconds, 1)} s); idem single c=16 ${n(retention.withoutCleanup.messagesPerSecond)} msg/s without cleanup, ${n(retention.withCleanup.messagesPerSecond)} msg/s while cleanup deleted ${retention.deletedDuringRow} keys at ${n(retention.deletedPerSecond)} keys/s (ratio ${n(retention.ratio, 2)})`;
}
