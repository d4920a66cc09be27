import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { BenchReport } from '../src/bench-report.js';
import type { ProcessorReport } from '../src/processor-report.js';

const benchDir = fileURLToPath(new URL('..', import.meta.url));
const databaseName = `idem_bench_${process.pid}_${Date.now()}`;
let admin: pg.Client;
let workDir: string;

// The bench truncates Idem's tables: it gets a database of its own on the test server.
beforeAll(async () => {
  admin = new pg.Client({ connectionString: inject('databaseUrl') });
  await admin.connect();
  await admin.query(`create database ${databaseName}`);
  workDir = await mkdtemp(join(tmpdir(), 'idem-bench-test-'));
});

afterAll(async () => {
  await admin.query(`drop database if exists ${databaseName} with (force)`);
  await admin.end();
  await rm(workDir, { recursive: true, force: true });
});

describe('pnpm bench', () => {
  it('runs end to end in its quickest mode and writes every row with positive figures', async () => {
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${databaseName}`;
    const output = join(workDir, 'bench.json');
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ['--conditions=@idem/source', '--import', 'tsx', 'src/run-bench.ts', '--quick'],
      {
        cwd: benchDir,
        env: {
          ...process.env,
          DATABASE_URL: url.toString(),
          IDEM_BENCH_MESSAGES: '40',
          IDEM_BENCH_WARMUP: '10',
          IDEM_BENCH_ROUNDS: '2',
          IDEM_BENCH_RSS_MESSAGES: '2000',
          IDEM_BENCH_RETENTION_ROWS: '2000',
          IDEM_BENCH_OUTPUT: output,
        },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    expect(stdout).toContain('idem/baseline');
    const report = JSON.parse(await readFile(output, 'utf8')) as BenchReport;

    const expected = [
      ...[1, 4, 16].map((parallelism) => ({ mode: 'single', parallelism })),
      ...[16, 32, 64].map((parallelism) => ({ mode: 'batch', parallelism })),
    ];
    for (const subject of ['idem', 'outbox', 'baseline', 'pg', 'broker'] as const) {
      for (const { mode, parallelism } of expected) {
        const row = report.rows.find(
          (r) => r.subject === subject && r.mode === mode && r.parallelism === parallelism,
        );
        expect(row, `${subject} ${mode} ${parallelism}`).toBeDefined();
        expect(row?.messages).toBe(40);
        expect(row?.messagesPerSecond).toBeGreaterThan(0);
        expect(row?.rounds).toHaveLength(2);
        // The broker floor dispatches nothing: its latency is no figure to check.
        if (subject === 'broker') continue;
        expect(row?.latency.p50Ms).toBeGreaterThan(0);
        expect(row?.latency.p99Ms).toBeGreaterThanOrEqual(row?.latency.p50Ms ?? Number.POSITIVE_INFINITY);
      }
    }
    expect(report.comparisons.map(({ mode, parallelism }) => ({ mode, parallelism }))).toEqual(expected);
    for (const comparison of report.comparisons) {
      expect(comparison.idemVsBaseline).toBeGreaterThan(0);
      expect(comparison.idemVsPg).toBeGreaterThan(0);
      expect(comparison.baselineVsBroker).toBeGreaterThan(0);
      expect(Number.isFinite(comparison.addedLatencyP50Ms)).toBe(true);
      expect(Number.isFinite(comparison.addedLatencyP99Ms)).toBe(true);
    }
    expect(report.outbox.map(({ mode, parallelism }) => ({ mode, parallelism }))).toEqual(expected);
    for (const outbox of report.outbox) {
      expect(outbox.outboxVsIdem).toBeGreaterThan(0);
      expect(outbox.commitToAck.p50Ms).toBeGreaterThan(0);
      expect(outbox.commitToAck.p99Ms).toBeGreaterThanOrEqual(outbox.commitToAck.p50Ms);
      expect(outbox.backlog.samples).toBeGreaterThan(0);
      expect(typeof outbox.backlog.keepsUp).toBe('boolean');
    }
    expect(stdout).toContain('relay keeps up');
    const { rss, retention } = report;
    expect(rss?.messages).toBe(2000);
    for (const mib of [rss?.startMiB, rss?.middleMiB, rss?.endMiB, rss?.maxMiB]) {
      expect(mib).toBeGreaterThan(0);
    }
    expect(retention?.expiredRows).toBe(2000);
    expect(retention?.withoutCleanup.messagesPerSecond).toBeGreaterThan(0);
    expect(retention?.withCleanup.messagesPerSecond).toBeGreaterThan(0);
    expect(retention?.deletedDuringRow).toBeGreaterThan(0);
    expect(report.machine.cpus).toBeGreaterThan(0);
    expect(report.machine.postgres).toMatch(/^PostgreSQL \d+/);
  }, 300_000);
});

describe('pnpm --filter @idem/bench processor', () => {
  it('runs every processor-alone row, each message writing its effect, and reports every ratio', async () => {
    const url = new URL(inject('databaseUrl'));
    url.pathname = `/${databaseName}`;
    const output = join(workDir, 'processor.json');
    await promisify(execFile)(
      process.execPath,
      ['--conditions=@idem/source', '--import', 'tsx', 'src/processor-bench.ts', '--quick'],
      {
        cwd: benchDir,
        env: {
          ...process.env,
          DATABASE_URL: url.toString(),
          IDEM_BENCH_MESSAGES: '128',
          IDEM_BENCH_WARMUP: '16',
          IDEM_BENCH_REPEAT: '1',
          IDEM_BENCH_OUTPUT: output,
        },
        maxBuffer: 16 * 1024 * 1024,
      },
    );
    // Each row checks itself that every message wrote its effect, and fails the run if not.
    const report = JSON.parse(await readFile(output, 'utf8')) as ProcessorReport;
    expect(report.rows.map(({ subject, mode, parallelism }) => `${subject} ${mode} ${parallelism}`)).toEqual([
      'idem single 1',
      'pg-same-sql single 1',
      'idem single 16',
      'pg-same-sql single 16',
      'idem batch 64',
      'idem-savepoints batch 64',
      'pg-same-sql batch 64',
      'idem-batch-handler batch 64',
      'pg-same-sql-multi-row batch 64',
      'pg-multi-row batch 64',
    ]);
    for (const row of report.rows) expect(row.messagesPerSecond).toBeGreaterThan(0);
    for (const ratio of report.ratios) expect(ratio.value).toBeGreaterThan(0);
  }, 300_000);
});
