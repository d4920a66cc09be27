/**
 * `pnpm bench`: Idem's throughput per mode against a consumer without Idem and against pg alone,
 * added latency, memory over a long run and the cost of retention, all measured in this one run
 * on this machine. Prints a table and writes the JSON (to packages/bench/results/ by default).
 *
 * `--quick` (or IDEM_BENCH_QUICK=1) for a short run; DATABASE_URL to use your own Postgres;
 * IDEM_BENCH_MESSAGES, IDEM_BENCH_WARMUP, IDEM_BENCH_RSS_MESSAGES, IDEM_BENCH_RETENTION_ROWS,
 * IDEM_BENCH_OUTPUT to change the counts and the output file.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { type EmbeddedPostgresServer, startEmbeddedPostgres, startRocketMQPeer } from '@idem/testing';
import pg from 'pg';
import { measureBaselineTcp } from './baseline-tcp-row.js';
import { readBenchConfig } from './bench-config.js';
import { createBenchDatabase, prepareBenchDatabase } from './bench-database.js';
import { type BenchReport, compare, formatReport } from './bench-report.js';
import { type BenchMode, type RowPlan, rowLabel, type ThroughputRow } from './bench-row.js';
import { describeMachine } from './describe-machine.js';
import { measureIdemOutbox } from './idem-outbox-row.js';
import { measureIdemTcp } from './idem-tcp-row.js';
import { compareOutbox } from './outbox-report.js';
import { measurePgFloor } from './pg-floor-row.js';
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
const peer = await startRocketMQPeer();
const db = createBenchDatabase(databaseUrl);
const pool = new pg.Pool({ connectionString: databaseUrl, max: 40 });
try {
  await prepareBenchDatabase(db);
  const machine = await describeMachine(db, postgres === undefined ? 'DATABASE_URL' : 'embedded');
  say(`Postgres: ${machine.postgres} (${machine.database}); RocketMQ peer at ${peer.endpoints}`);
  const plans: RowPlan[] = [
    ...config.concurrencies.map((parallelism) => plan('single', parallelism)),
    ...config.batchSizes.map((parallelism) => plan('batch', parallelism)),
  ];
  const rows: ThroughputRow[] = [];
  const note = (row: ThroughputRow): void => {
    rows.push(row);
    say(
      `${row.subject.padEnd(8)} ${rowLabel(row).padEnd(11)} ${row.messagesPerSecond.toFixed(0).padStart(6)} msg/s`,
    );
  };
  // The subjects of one mode and parallelism run back to back, so a slow phase of a shared
  // machine touches all of them rather than one; the outbox row right after Idem's, its pair.
  for (const rowPlan of plans) {
    const id = `${rowPlan.mode}-${rowPlan.parallelism}`;
    note(await measurePgFloor(db, pool, `pg-${id}`, rowPlan));
    note(await measureBaselineTcp(db, pool, peer, `baseline-${id}`, rowPlan));
    note(await measureIdemTcp(db, peer, `idem-${id}`, rowPlan));
    note(await measureIdemOutbox(db, peer, `outbox-${id}`, rowPlan));
  }
  say(`RSS run: ${config.rssMessages} messages through dispatchBatch`);
  const rss = await measureRss(db, config.rssMessages);
  say(`retention: generating ${config.retentionRows} expired keys`);
  const retention = await measureRetention(
    db,
    peer,
    config.retentionRows,
    config.messages * 2,
    config.warmup,
  );
  const { outputPath, ...reported } = config;
  const report: BenchReport = {
    startedAt: startedAt.toISOString(),
    machine,
    config: reported,
    rows,
    comparisons: compare(rows),
    outbox: compareOutbox(rows),
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
  await peer.stop();
  await postgres?.stop();
}

function plan(mode: BenchMode, parallelism: number): RowPlan {
  return { mode, parallelism, messages: config.messages, warmup: config.warmup };
}
