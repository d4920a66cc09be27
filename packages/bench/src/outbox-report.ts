import { type BenchMode, rowLabel, type ThroughputRow } from './bench-row.js';
import type { OutboxThroughputRow } from './idem-outbox-row.js';
import type { LatencySummary } from './latency.js';
import type { OutboxBacklog } from './outbox-backlog.js';

/** The outbox's cost for one mode and parallelism: the same handler with and without `ctx.send`. */
export interface OutboxComparison {
  readonly mode: BenchMode;
  readonly parallelism: number;
  readonly outboxPerSecond: number;
  readonly idemPerSecond: number;
  /** Throughput with the send divided by throughput without it (1 = the outbox costs nothing). */
  readonly outboxVsIdem: number;
  readonly commitToAck: LatencySummary;
  readonly backlog: OutboxBacklog;
}

/** Pairs each outbox row with Idem's row of the same mode and parallelism. */
export function compareOutbox(rows: readonly ThroughputRow[]): OutboxComparison[] {
  return rows
    .filter((row): row is OutboxThroughputRow => row.subject === 'outbox')
    .map((outbox) => {
      const idem = rows.find(
        (row) => row.subject === 'idem' && row.mode === outbox.mode && row.parallelism === outbox.parallelism,
      );
      if (idem === undefined) throw new Error(`no idem row for outbox ${rowLabel(outbox)}`);
      return {
        mode: outbox.mode,
        parallelism: outbox.parallelism,
        outboxPerSecond: outbox.messagesPerSecond,
        idemPerSecond: idem.messagesPerSecond,
        outboxVsIdem: outbox.messagesPerSecond / idem.messagesPerSecond,
        commitToAck: outbox.commitToAck,
        backlog: outbox.backlog,
      };
    });
}

/** The outbox table `pnpm bench` prints under the main one. */
export function formatOutboxReport(comparisons: readonly OutboxComparison[]): string {
  const header = [
    'outbox row',
    'send msg/s',
    'no-send msg/s',
    'send/no-send',
    'commit->ack p50/p99 ms',
    'pending max',
    'mean 1st/2nd half',
    'at end',
    'drain ms',
    'relay keeps up',
  ];
  const body = comparisons.map((c) => [
    rowLabel(c),
    c.outboxPerSecond.toFixed(0),
    c.idemPerSecond.toFixed(0),
    c.outboxVsIdem.toFixed(2),
    `${c.commitToAck.p50Ms.toFixed(2)}/${c.commitToAck.p99Ms.toFixed(2)}`,
    String(c.backlog.maxPending),
    `${c.backlog.meanPendingFirstHalf.toFixed(1)}/${c.backlog.meanPendingSecondHalf.toFixed(1)}`,
    String(c.backlog.pendingAtEnd),
    c.backlog.drainMs.toFixed(0),
    c.backlog.keepsUp ? 'yes' : 'NO',
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
  return [
    'Outbox: the same handler plus one ctx.send, against Idem without the send (msg/s of the incoming messages; pending = unsent outbox rows sampled every 200 ms)',
    line(header),
    ...body.map(line),
  ].join('\n');
}
