/**
 * `pnpm bench`: Idem's throughput per mode against a consumer without Idem and against pg alone,
 * added latency, memory over a long run and the cost of retention, all measured in this one run
 * on this machine. Prints a table and writes the JSON (to packages/bench/results/ by default).
 *
 * The broker (the RocketMQ peer, or real RocketMQ with `--real-broker`) runs in a child process,
 * so the consumers measured here have this process's event loop to themselves.
 *
 * `--quick` (or IDEM_BENCH_QUICK=1) for a short run; `--real-broker` for the throughput rows
 * through Apache RocketMQ from the cached jars (see docs/benchmarks.md); DATABASE_URL to use your
 * own Postgres; IDEM_BENCH_MESSAGES, IDEM_BENCH_WARMUP, IDEM_BENCH_ROUNDS, IDEM_BENCH_ONLY,
 * IDEM_BENCH_RSS_MESSAGES, IDEM_BENCH_RETENTION_ROWS, IDEM_BENCH_OUTPUT to change the counts and
 * the output file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type EmbeddedPostgresServer, startEmbeddedPostgres } from '@idem/testing';
import { type BenchBroker, startBenchBroker } from './bench-broker.js';
import { readBenchConfig } from './bench-config.js';
import { createBenchDatabase, createBenchPool, prepareBenchDatabase } from './bench-database.js';
import { type BenchReport, compare, formatReport } from './bench-report.js';
import { type BenchMode, type BenchSubject, type RowPlan, rowLabel } from './bench-row.js';
import { describeMachine } from './describe-machine.js';
import { measureEndToEndRows } from './end-to-end-rows.js';
import { compareOutbox } from './outbox-report.js';
import { measureRetention } from './retention-run.js';
import { measureRss } from './rss-run.js';

const config = readBenchConfig(process.argv.slice(2), process.env);
const startedAt = new Date();
const clock = (): string => `${((Date.now() - startedAt.getTime()) / 1000).toFixed(0).padStart(4)} s`;
const say = (line: string): void => {
  process.stderr.write(`[${clock()}] ${line}\n`);
};

const fromEnvironment = process.env.DATABASE_URL;
const postgres: EmbeddedPostgresServer | undefined =
  fromEnvironment === undefined || fromEnvironment === '' ? await startEmbeddedPostgres() : undefined;
const databaseUrl = postgres?.url ?? fromEnvironment ?? '';
let broker: BenchBroker | undefined;
const db = createBenchDatabase(databaseUrl);
const pool = createBenchPool(databaseUrl);
try {
  say(`starting the ${config.broker} in its own process`);
  broker = await startBenchBroker(config.broker);
  await prepareBenchDatabase(db);
  const machine = await describeMachine(db, postgres === undefined ? 'DATABASE_URL' : 'embedded');
  say(`Postgres: ${machine.postgres} (${machine.database}); ${config.broker} at ${broker.endpoints}`);
  const onPeer = config.broker === 'peer';
  const subjects: BenchSubject[] = onPeer
    ? ['pg', 'broker', 'baseline', 'idem', 'outbox']
    : ['pg', 'broker', 'baseline', 'idem'];
  const rows = await measureEndToEndRows(
    {
      db,
      pool,
      broker,
      rounds: config.rounds,
      subjects,
      onRound: (row, round) =>
        say(
          `${row.subject.padEnd(8)} ${rowLabel(row).padEnd(11)} round ${round}: ${row.messagesPerSecond.toFixed(0).padStart(6)} msg/s`,
        ),
    },
    [
      ...config.concurrencies.map((parallelism) => plan('single', parallelism)),
      ...config.batchSizes.map((parallelism) => plan('batch', parallelism)),
    ],
  );
  let rss: BenchReport['rss'];
  let retention: BenchReport['retention'];
  if (onPeer && config.only === undefined) {
    say(`RSS run: ${config.rssMessages} messages through dispatchBatch`);
    rss = await measureRss(db, config.rssMessages);
    say(`retention: generating ${config.retentionRows} expired keys`);
    retention = await measureRetention(db, broker, config.retentionRows, config.messages * 2, config.warmup);
  }
  const { outputPath, ...reported } = config;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    machine,
    config: reported,
    rows,
    comparisons: compare(rows),
    outbox: onPeer ? compareOutbox(rows) : [],
    rss,
    retention,
  };
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`\n${formatReport(report)}\n\nJSON: ${outputPath}\n`);
} catch (error) {
  process.stderr.write(
    `bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exitCode = 1;
} finally {
  await pool.end();
  await db.destroy();
  await broker?.stop();
  await postgres?.stop();
}

function plan(mode: BenchMode, parallelism: number): RowPlan {
  return { mode, parallelism, messages: config.messages, warmup: config.warmup };
}
