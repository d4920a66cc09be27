import type { MachineDescription } from './describe-machine.js';
import type { ProcessorRow, ProcessorSubject } from './processor-rows.js';

/** One ratio of two rows of the same run, with the goal issue 13 set for it, if any. */
export interface ProcessorRatio {
  readonly label: string;
  readonly value: number;
  readonly goal: number | undefined;
}

/** Everything one processor-alone run wrote to its JSON file. */
export interface ProcessorReport {
  readonly startedAt: string;
  readonly machine: MachineDescription;
  /** `os.loadavg()` before and after the run: other work on the machine moves the figures. */
  readonly loadAverage: { readonly before: readonly number[]; readonly after: readonly number[] };
  /** Messages per single-mode row, and per batch row. */
  readonly messages: number;
  readonly batchMessages: number;
  readonly warmup: number;
  readonly repeat: number;
  readonly rows: readonly ProcessorRow[];
  readonly ratios: readonly ProcessorRatio[];
}

/** The ratios the processor-alone rows exist for. */
export function processorRatios(rows: readonly ProcessorRow[]): ProcessorRatio[] {
  const rate = (subject: ProcessorSubject, mode: 'single' | 'batch', parallelism: number): number =>
    rows.find((row) => row.subject === subject && row.mode === mode && row.parallelism === parallelism)
      ?.messagesPerSecond ?? Number.NaN;
  const single = (subject: ProcessorSubject, parallelism: number) => rate(subject, 'single', parallelism);
  const batch = (subject: ProcessorSubject) => rate(subject, 'batch', 64);
  const table: [string, number, number, number?][] = [
    ['single c=1: idem / same SQL by hand', single('idem', 1), single('pg-same-sql', 1), 0.9],
    ['single c=16: idem / same SQL by hand', single('idem', 16), single('pg-same-sql', 16), 0.9],
    ['batch b=64: idem / same SQL by hand', batch('idem'), batch('pg-same-sql'), 0.9],
    ['batch b=64: idem savepoints / same SQL by hand', batch('idem-savepoints'), batch('pg-same-sql')],
    ['batch b=64: optimistic / savepoints', batch('idem'), batch('idem-savepoints')],
    ['batch b=64: batch handler / per-message handler', batch('idem-batch-handler'), batch('idem'), 3],
    [
      'batch b=64: batch handler / multi-row insert, no dedup',
      batch('idem-batch-handler'),
      batch('pg-multi-row'),
      0.5,
    ],
    [
      'batch b=64: batch handler / same SQL by hand (claim + multi-row insert)',
      batch('idem-batch-handler'),
      batch('pg-same-sql-multi-row'),
    ],
  ];
  return table.map(([label, numerator, denominator, goal]) => ({
    label,
    value: numerator / denominator,
    goal,
  }));
}

/** The run as a table: the machine line, the rows, the ratios against their goals. */
export function formatProcessorReport(report: ProcessorReport): string {
  const { machine } = report;
  const load = (values: readonly number[]) => values.map((value) => value.toFixed(2)).join(' ');
  const lines = [
    `machine: ${machine.cpus} x ${machine.cpuModel}, ${machine.memoryGiB.toFixed(1)} GiB, Node ${machine.node}, ${machine.postgres} (${machine.database}); load ${load(report.loadAverage.before)} -> ${load(report.loadAverage.after)}`,
    `${report.messages} messages per single row, ${report.batchMessages} per batch row, after ${report.warmup} warm-up; median of ${report.repeat}`,
    '',
    `${'row'.padEnd(14)} ${'subject'.padEnd(22)} ${'msg/s'.padStart(8)}   repetitions`,
    ...report.rows.map(
      (row) =>
        `${`${row.mode} ${row.mode === 'single' ? 'c' : 'b'}=${row.parallelism}`.padEnd(14)} ${row.subject.padEnd(22)} ${row.messagesPerSecond
          .toFixed(0)
          .padStart(8)}   ${row.repetitions.map((value) => value.toFixed(0)).join(' / ')}`,
    ),
    '',
    ...report.ratios.map(
      (ratio) =>
        `${ratio.label.padEnd(74)} ${ratio.value.toFixed(2).padStart(6)}${ratio.goal === undefined ? '' : `   (goal >= ${ratio.goal})`}`,
    ),
  ];
  return lines.join('\n');
}
