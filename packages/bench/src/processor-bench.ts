/**
 * `pnpm --filter @idem/bench processor`: the processor alone, no broker, against Idem's own
 * statements written by hand with pg, in one run on this machine: single dispatch at c=1 and
 * c=16, and batches of 64 (two in flight) with a per-message handler (optimistic and savepoint
 * strategies), with a one-statement batch handler, and the hand-written floors. Each row is the
 * median of its repetitions; the subjects of a group alternate within each repetition, so a slow
 * phase of a shared machine touches all of them. Prints the rows and the ratios and writes JSON.
 *
 * `--quick` (or IDEM_BENCH_QUICK=1) for a short run; DATABASE_URL to use your own Postgres;
 * IDEM_BENCH_MESSAGES (single rows), IDEM_BENCH_BATCH_MESSAGES (batch rows, default 8 times as
 * many), IDEM_BENCH_WARMUP, IDEM_BENCH_REPEAT and IDEM_BENCH_OUTPUT.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { dirname } from 'node:path';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '@idem/testing';
import { readBenchConfig } from './bench-config.js';
import { createBenchDatabase, createBenchPool, prepareBenchDatabase } from './bench-database.js';
import { describeMachine } from './describe-machine.js';
import { formatProcessorReport, type ProcessorReport, processorRatios } from './processor-report.js';
import {
  measureOnce,
  median,
  type ProcessorRow,
  type ProcessorRowPlan,
  type ProcessorSubject,
} from './processor-rows.js';
import {
  handWrittenSubject,
  idemBatchHandlerSubject,
  idemSubject,
  multiRowFloorSubject,
  type Subject,
} from './processor-subjects.js';

const config = readBenchConfig(process.argv.slice(2), process.env);
const repeat = Number(process.env.IDEM_BENCH_REPEAT ?? (config.quick ? 1 : 3));
// Batches run 10-30 times faster than single dispatches: the same count would time a few dozen
// transactions, too few to outlast the noise of a shared machine.
const batchMessages = Number(
  process.env.IDEM_BENCH_BATCH_MESSAGES ?? config.messages * (config.quick ? 1 : 8),
);
const stamp = new Date().toISOString().replaceAll(':', '-').replace(/\..*/, '');
const outputPath =
  process.env.IDEM_BENCH_OUTPUT ?? new URL(`../results/processor-${stamp}.json`, import.meta.url).pathname;

const fromEnvironment = process.env.DATABASE_URL;
const postgres: EmbeddedPostgresServer | undefined =
  fromEnvironment === undefined || fromEnvironment === '' ? await startEmbeddedPostgres() : undefined;
const databaseUrl = postgres?.url ?? fromEnvironment ?? '';
const db = createBenchDatabase(databaseUrl);
const pool = createBenchPool(databaseUrl);
try {
  await prepareBenchDatabase(db);
  const machine = await describeMachine(db, postgres === undefined ? 'DATABASE_URL' : 'embedded');
  const loadBefore = os.loadavg();
  const subjects: Record<ProcessorSubject, Subject> = {
    idem: idemSubject(db, 'optimistic'),
    'idem-savepoints': idemSubject(db, 'savepoints'),
    'idem-batch-handler': idemBatchHandlerSubject(db),
    'pg-same-sql': handWrittenSubject(pool, { multiRow: false }),
    'pg-same-sql-multi-row': handWrittenSubject(pool, { multiRow: true }),
    'pg-multi-row': multiRowFloorSubject(pool),
  };
  const plan = (mode: 'single' | 'batch', parallelism: number): ProcessorRowPlan => ({
    mode,
    parallelism,
    messages: mode === 'single' ? config.messages : batchMessages,
    warmup: config.warmup,
  });
  const groups: { plan: ProcessorRowPlan; subjects: ProcessorSubject[] }[] = [
    { plan: plan('single', 1), subjects: ['idem', 'pg-same-sql'] },
    { plan: plan('single', 16), subjects: ['idem', 'pg-same-sql'] },
    {
      plan: plan('batch', 64),
      subjects: [
        'idem',
        'idem-savepoints',
        'pg-same-sql',
        'idem-batch-handler',
        'pg-same-sql-multi-row',
        'pg-multi-row',
      ],
    },
  ];
  const rows: ProcessorRow[] = [];
  for (const group of groups) {
    const rates = new Map<ProcessorSubject, number[]>(group.subjects.map((subject) => [subject, []]));
    for (let repetition = 1; repetition <= repeat; repetition++) {
      for (const subject of group.subjects) {
        const prefix = `${subject}-${group.plan.mode}-${group.plan.parallelism}-${repetition}`;
        const perSecond = await measureOnce(db, subjects[subject], prefix, group.plan);
        rates.get(subject)?.push(perSecond);
        process.stderr.write(`${prefix.padEnd(40)} ${perSecond.toFixed(0).padStart(7)} msg/s\n`);
      }
    }
    for (const [subject, repetitions] of rates) {
      rows.push({
        subject,
        mode: group.plan.mode,
        parallelism: group.plan.parallelism,
        messages: group.plan.messages,
        repetitions,
        messagesPerSecond: median(repetitions),
      });
    }
  }
  const report: ProcessorReport = {
    startedAt: new Date().toISOString(),
    machine,
    loadAverage: { before: loadBefore, after: os.loadavg() },
    messages: config.messages,
    batchMessages,
    warmup: config.warmup,
    repeat,
    rows,
    ratios: processorRatios(rows),
  };
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatProcessorReport(report)}\n\nJSON: ${outputPath}\n`);
} catch (error) {
  process.stderr.write(
    `processor bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await pool.end();
  await db.destroy();
  await postgres?.stop();
}
