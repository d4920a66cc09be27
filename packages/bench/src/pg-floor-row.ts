import type { Kysely } from 'kysely';
import type pg from 'pg';
import { type BenchDatabase, benchOrder, INSERT_EFFECT, resetTables } from './bench-database.js';
import { concurrencyOf, type RowPlan, rate, type ThroughputRow } from './bench-row.js';
import { LatencyRecorder, summarise } from './latency.js';

/**
 * The floor: the effect's insert through `pg` alone, no broker and no Idem, with the row's
 * parallelism: `c` connections inserting one row per statement, or two connections committing
 * `b` inserts per transaction.
 */
export async function measurePgFloor(
  db: Kysely<BenchDatabase>,
  pool: pg.Pool,
  id: string,
  plan: RowPlan,
): Promise<ThroughputRow> {
  const latencies = new LatencyRecorder();
  const run = async (prefix: string, count: number, record: boolean): Promise<void> => {
    let next = 0;
    const workers = plan.mode === 'batch' ? concurrencyOf(plan) / plan.parallelism : plan.parallelism;
    const worker = async (): Promise<void> => {
      if (plan.mode === 'single') {
        for (let index = next++; index < count; index = next++) {
          const order = benchOrder(prefix, index);
          const startedAt = performance.now();
          await pool.query(INSERT_EFFECT, [order.id, order.orderId, order.amountCents]);
          if (record) latencies.record(performance.now() - startedAt);
        }
        return;
      }
      while (next < count) {
        const first = next;
        const end = Math.min(count, first + plan.parallelism);
        next = end;
        const startedAt = performance.now();
        const client = await pool.connect();
        try {
          await client.query('begin');
          for (let index = first; index < end; index++) {
            const order = benchOrder(prefix, index);
            await client.query(INSERT_EFFECT, [order.id, order.orderId, order.amountCents]);
          }
          await client.query('commit');
        } finally {
          client.release();
        }
        const ms = performance.now() - startedAt;
        if (record) for (let index = first; index < end; index++) latencies.record(ms);
      }
    };
    await Promise.all(Array.from({ length: workers }, () => worker()));
  };
  await run(`${id}-warmup`, plan.warmup, false);
  await resetTables(db);
  const startedAt = performance.now();
  await run(id, plan.messages, true);
  const elapsedMs = performance.now() - startedAt;
  return {
    subject: 'pg',
    mode: plan.mode,
    parallelism: plan.parallelism,
    messages: plan.messages,
    seconds: elapsedMs / 1000,
    messagesPerSecond: rate(plan.messages, elapsedMs),
    latency: summarise(latencies),
  };
}
